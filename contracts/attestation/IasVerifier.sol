// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {RSA} from "@openzeppelin/contracts/utils/cryptography/RSA.sol";
import {RsaPkcs1Sha256} from "../lib/RsaPkcs1Sha256.sol";
import {SStore2} from "../lib/SStore2.sol";
import {IasReport} from "./IasReport.sol";
import {IEnclaveVerifier, EvidenceKind} from "./IEnclaveVerifier.sol";
import {IIasVerifier} from "./IIasVerifier.sol";
import {X509} from "./X509.sol";
import {X509Extensions} from "./X509Extensions.sol";

/**
 * @title IasVerifier
 * @notice Verifies Intel IAS (EPID) attestation reports on chain with no trusted helper.
 * The RSA-3072 Report Signing CA is pinned at deployment; anyone may register a report-signing
 * certificate the CA issued (its RSA-2048 key is cached as contract code); each report is checked
 * for its signature, parsed, and judged against the deployment's policy.
 * @dev Normative rules, check order and errors: docs/attestation-onchain.md.
 */
contract IasVerifier is IIasVerifier, AccessControlDefaultAdminRules {
    /// @notice Deployment policy. `mrsigner` is only read when `signerCheck` is on.
    struct Policy {
        bool debugAllowed;
        bool mrenclaveCheck;
        bool signerCheck;
        uint16 isvProdId;
        uint16 minIsvSvn;
        uint64 maxReportAge; // seconds; 0 = off
        uint32 deniedSigningKeys; // how many keys {setSigningKeyDenied} denies: 0 skips the denylist read
        bytes32 mrsigner;
    }

    /// @notice May change the policy.
    bytes32 public constant POLICY_ROLE = keccak256("POLICY_ROLE");

    /// @notice Signing-key modulus length (RSA-2048).
    uint256 public constant SIGNING_KEY_BYTES = 256;
    /// @notice Pinned CA modulus length (RSA-3072).
    uint256 public constant CA_KEY_BYTES = 384;
    /// @notice The only RSA exponent accepted (CA and signing keys).
    bytes public constant RSA_EXPONENT = hex"010001";

    /// @dev IAS evidence ({verifyEvidence}): keyId ‖ signature ‖ report.
    uint256 private constant EVIDENCE_SIGNATURE_OFFSET = 32;
    uint256 private constant EVIDENCE_REPORT_OFFSET = EVIDENCE_SIGNATURE_OFFSET + SIGNING_KEY_BYTES;

    /// @dev X.509 version number of v3 (its DER INTEGER is 2).
    uint256 private constant X509_VERSION_3 = 3;
    string private constant STATUS_OK = "OK";
    /// @dev Key record (data contract at SStore2.pointerOf(keyId)):
    /// `0x01 || notBefore (uint64 BE) || notAfter (uint64 BE) || modulus (256 bytes)`.
    uint8 private constant KEY_RECORD_MARKER = 0x01;
    uint256 private constant KEY_RECORD_HEADER = 17;

    /// @dev Data contract holding `caModulus (384 bytes) || caSubject`.
    address private immutable _caStore;
    uint256 private immutable _caSubjectLength;

    // Signing keys live in data contracts at SStore2.pointerOf(keyId): no storage slot to read.
    mapping(bytes32 statusHash => bool allowed) private _allowedStatuses;
    mapping(bytes32 mrenclave => bool allowed) private _allowedMrenclaves;
    mapping(bytes32 mrenclave => uint64 timestamp) private _mrenclaveDisallowedAt;
    mapping(bytes32 keyId => bool denied) private _deniedSigningKeys;
    Policy private _policy;

    // --- errors: registration (see docs for the order) ---
    /// @notice signatureAlgorithm is not sha256WithRSAEncryption (or the TBS copy differs).
    error CertificateAlgorithmUnsupported();
    /// @notice The issuer Name is not the pinned CA's subject (for the CA itself: not self-issued).
    error CertificateIssuerMismatch();
    /// @notice The certificate's signature does not verify under the CA key.
    error CertificateSignatureInvalid();
    /// @notice The subject key is not RSA-2048 (CA: RSA-3072) with exponent 65537.
    error CertificateKeyUnsupported();
    /// @notice The certificate is not X.509 version 3 (`version` is the version number: 1 when absent).
    error CertificateVersionUnsupported(uint256 version);
    /// @notice The extension at byte `offset` is critical and unknown, or repeats keyUsage or basicConstraints.
    error CertificateExtensionUnsupported(uint256 offset);
    /// @notice keyUsage (bit 0 = 0x8000; 0 when absent) does not fit the role: a signing certificate needs
    /// digitalSignature and no keyCertSign, the CA keyCertSign.
    error CertificateKeyUsageInvalid(uint256 keyUsage);
    /// @notice basicConstraints is absent, or its cA does not fit the role (a signing certificate is no CA).
    error CertificateBasicConstraintsInvalid(bool present, bool isCa);
    /// @notice The key is already registered.
    error SigningKeyAlreadyRegistered(bytes32 keyId);

    // --- errors: report ---
    /// @notice The signature is not 256 bytes.
    error SignatureLengthInvalid(uint256 length);
    /// @notice No signing key with this id.
    error SigningKeyNotRegistered(bytes32 keyId);
    /// @notice The signing key was denied by the policy ({setSigningKeyDenied}), e.g. after a key compromise.
    error SigningKeyDenied(bytes32 keyId);
    /// @notice RSA PKCS#1 v1.5 SHA-256 over the report bytes does not verify.
    error ReportSignatureInvalid();
    /// @notice The report timestamp lies outside the signing certificate's validity.
    error ReportOutsideCertificateValidity(uint64 timestamp, uint64 notBefore, uint64 notAfter);

    // --- errors: policy ---
    /// @notice The report is older than the maximum report age.
    error ReportTooOld(uint64 timestamp, uint64 maxAge, uint64 now);
    /// @notice The quote status is not allowlisted.
    error QuoteStatusNotAllowed(string status);
    /// @notice The enclave is a DEBUG enclave and debug is not allowed.
    error DebugEnclaveNotAllowed(bytes32 mrenclave);
    /// @notice The MRENCLAVE is not allowlisted.
    error MrenclaveNotAllowed(bytes32 mrenclave);
    /// @notice MRSIGNER differs from the signer policy.
    error MrsignerMismatch(bytes32 expected, bytes32 actual);
    /// @notice ISVPRODID differs from the signer policy.
    error IsvProdIdMismatch(uint16 expected, uint16 actual);
    /// @notice ISVSVN is below the signer policy's minimum.
    error IsvSvnTooLow(uint16 minimum, uint16 actual);

    // --- events ---
    /// @notice The CA was pinned (keccak256 of its modulus and of its subject Name DER).
    event CaPinned(bytes32 caKeyHash, bytes32 caSubjectHash);
    /// @notice A signing key was registered.
    event SigningKeyRegistered(bytes32 indexed keyId, uint64 notBefore, uint64 notAfter);
    /// @notice A quote status was allowed or disallowed.
    event QuoteStatusAllowedSet(bytes32 indexed statusHash, string status, bool allowed);
    /// @notice DEBUG enclaves were allowed or refused.
    event DebugAllowedSet(bool allowed);
    /// @notice The MRENCLAVE check was switched.
    event MrenclaveCheckSet(bool enabled);
    /// @notice An MRENCLAVE was allowed or disallowed.
    event MrenclaveAllowedSet(bytes32 indexed mrenclave, bool allowed);
    /// @notice The signer policy changed.
    event SignerPolicySet(bool enabled, bytes32 mrsigner, uint16 isvProdId, uint16 minIsvSvn);
    /// @notice The maximum report age changed (0 = off).
    event MaxReportAgeSet(uint64 maxAge);
    /// @notice A registered signing key was denied or allowed again.
    event SigningKeyDeniedSet(bytes32 indexed keyId, bool denied);

    /**
     * @notice Pins the report-signing CA and sets the default policy (only "OK", no debug,
     * MRENCLAVE check on with an empty allowlist, signer check off, no maximum age).
     * @param caCertificateDer the CA certificate (DER): X.509 v3, self-issued, sha256WithRSAEncryption,
     * RSA-3072 with exponent 65537, valid self-signature, keyUsage keyCertSign, basicConstraints cA TRUE
     * @param initialAdmin holder of DEFAULT_ADMIN_ROLE and POLICY_ROLE
     * @param initialAdminDelay delay of a two-step admin transfer (seconds)
     */
    constructor(bytes memory caCertificateDer, address initialAdmin, uint48 initialAdminDelay)
        AccessControlDefaultAdminRules(initialAdminDelay, initialAdmin)
    {
        X509.Certificate memory ca = X509.parse(caCertificateDer);
        _checkVersion(ca);
        if (!X509.hasSha256WithRsa(caCertificateDer, ca)) revert CertificateAlgorithmUnsupported();
        if (
            X509.spanHash(caCertificateDer, ca.issuerStart, ca.issuerEnd)
                != X509.spanHash(caCertificateDer, ca.subjectStart, ca.subjectEnd)
        ) revert CertificateIssuerMismatch();
        (bool keyOk, bytes memory pinnedModulus) = X509.rsaModulus(caCertificateDer, ca, CA_KEY_BYTES);
        if (!keyOk) revert CertificateKeyUnsupported();
        if (!_verifyCertificateSignature(caCertificateDer, ca, pinnedModulus)) revert CertificateSignatureInvalid();
        _checkProfile(ca.extensions, true);

        bytes memory pinnedSubject = X509.slice(caCertificateDer, ca.subjectStart, ca.subjectEnd);
        _caStore = SStore2.write(bytes.concat(pinnedModulus, pinnedSubject));
        _caSubjectLength = pinnedSubject.length;
        emit CaPinned(keccak256(pinnedModulus), keccak256(pinnedSubject));

        _grantRole(POLICY_ROLE, initialAdmin);
        _setQuoteStatusAllowed(STATUS_OK, true);
        _setMrenclaveCheck(true);
    }

    // ------------------------------------------------------------------ registration

    /**
     * @notice Registers an IAS report-signing certificate issued by the pinned CA and caches its
     * RSA-2048 key. Permissionless: the CA signature is the permission, and the certificate must be
     * a report-signing certificate (X.509 v3, keyUsage digitalSignature without keyCertSign,
     * basicConstraints cA FALSE, no unknown critical extension). The certificate's validity is
     * stored, not compared with the current time.
     * @param der the certificate (DER)
     * @return keyId keccak256 of the 256-byte modulus
     */
    function registerSigningCertificate(bytes calldata der) external returns (bytes32 keyId) {
        bytes memory cert = der;
        X509.Certificate memory c = X509.parse(cert);
        _checkVersion(c);
        if (!X509.hasSha256WithRsa(cert, c)) revert CertificateAlgorithmUnsupported();
        bytes memory ca = SStore2.read(_caStore, 0, CA_KEY_BYTES + _caSubjectLength);
        if (_issuerHash(cert, c) != _caSubjectHash(ca)) revert CertificateIssuerMismatch();
        if (!_verifyCertificateSignature(cert, c, _caModulus(ca))) revert CertificateSignatureInvalid();
        (bool keyOk, bytes memory modulus) = X509.rsaModulus(cert, c, SIGNING_KEY_BYTES);
        if (!keyOk) revert CertificateKeyUnsupported();
        _checkProfile(c.extensions, false);
        keyId = keccak256(modulus);
        if (SStore2.pointerOf(keyId).code.length != 0) revert SigningKeyAlreadyRegistered(keyId);

        SStore2.writeAt(keyId, abi.encodePacked(KEY_RECORD_MARKER, c.notBefore, c.notAfter, modulus));
        emit SigningKeyRegistered(keyId, c.notBefore, c.notAfter);
    }

    // ------------------------------------------------------------------ verification

    /**
     * @notice Verifies a report: signature, parsing, timestamp within the signing certificate's
     * validity, then the policy. Reverts with the first failing check's error.
     * @param keyId id of a registered signing key
     * @param report the exact JSON body IAS signed
     * @param signature the 256-byte RSA signature (raw, not base64)
     * @return verified the report's fields
     */
    function verifyReport(bytes32 keyId, bytes calldata report, bytes calldata signature)
        external
        view
        returns (IasReport.Verified memory verified)
    {
        bytes calldata status;
        (verified, status) = _verify(keyId, report, signature);
        _checkPolicy(verified, status);
    }

    /**
     * @notice {verifyReport} for a group ({IEnclaveVerifier}): the evidence is
     * `keyId (32) ‖ signature (256) ‖ report`, and the answer the report's MRENCLAVE and REPORTDATA.
     * @param evidence the IAS evidence
     * @return attested the report's MRENCLAVE and REPORTDATA
     */
    function verifyEvidence(bytes calldata evidence) external view returns (Attested memory attested) {
        if (evidence.length < EVIDENCE_REPORT_OFFSET) revert EvidenceTooShort(evidence.length, EVIDENCE_REPORT_OFFSET);
        (IasReport.Verified memory verified, bytes calldata status) = _verify(
            bytes32(evidence[:EVIDENCE_SIGNATURE_OFFSET]),
            evidence[EVIDENCE_REPORT_OFFSET:],
            evidence[EVIDENCE_SIGNATURE_OFFSET:EVIDENCE_REPORT_OFFSET]
        );
        _checkPolicy(verified, status);
        attested = Attested(verified.mrenclave, verified.reportDataLow, verified.reportDataHigh);
    }

    /// @notice This verifier takes IAS evidence.
    /// @return kind {EvidenceKind.IAS}
    function evidenceKind() external pure returns (uint8 kind) {
        return EvidenceKind.IAS;
    }

    /**
     * @notice Same as {verifyReport} without the policy (steps 1-7): for tools and audits.
     * @param keyId id of a registered signing key
     * @param report the exact JSON body IAS signed
     * @param signature the 256-byte RSA signature
     * @return verified the report's fields
     */
    function verifyReportWithoutPolicy(bytes32 keyId, bytes calldata report, bytes calldata signature)
        external
        view
        returns (IasReport.Verified memory verified)
    {
        (verified,) = _verify(keyId, report, signature);
    }

    // ------------------------------------------------------------------ policy setters
    // Each setter changes state and emits its event only when the value differs from the stored one.

    /// @notice Allows or disallows an `isvEnclaveQuoteStatus` value. Only POLICY_ROLE.
    /// @param status the exact status string, e.g. "OK" or "SW_HARDENING_NEEDED"
    /// @param allowed whether reports with this status pass
    function setQuoteStatusAllowed(string calldata status, bool allowed) external onlyRole(POLICY_ROLE) {
        _setQuoteStatusAllowed(status, allowed);
    }

    /// @notice Allows or refuses DEBUG enclaves. Only POLICY_ROLE.
    /// @param allowed whether reports of DEBUG enclaves pass
    function setDebugAllowed(bool allowed) external onlyRole(POLICY_ROLE) {
        if (_policy.debugAllowed == allowed) return;
        _policy.debugAllowed = allowed;
        emit DebugAllowedSet(allowed);
    }

    /// @notice Switches the MRENCLAVE allowlist check. Only POLICY_ROLE.
    /// @param enabled whether MRENCLAVE must be allowlisted
    function setMrenclaveCheck(bool enabled) external onlyRole(POLICY_ROLE) {
        _setMrenclaveCheck(enabled);
    }

    /// @notice Adds or removes an MRENCLAVE from the allowlist. Only POLICY_ROLE.
    /// @dev A disallow records when it happened ({mrenclaveDisallowedAt}), so groups can give their members a grace
    /// period before anyone may evict them; setting the value it already has changes nothing and emits nothing.
    /// @param mrenclave the enclave measurement
    /// @param allowed whether it is allowlisted
    function setMrenclaveAllowed(bytes32 mrenclave, bool allowed) external onlyRole(POLICY_ROLE) {
        if (_allowedMrenclaves[mrenclave] == allowed) return;
        _allowedMrenclaves[mrenclave] = allowed;
        _mrenclaveDisallowedAt[mrenclave] = allowed ? 0 : uint64(block.timestamp);
        emit MrenclaveAllowedSet(mrenclave, allowed);
    }

    /// @notice Sets the signer policy (MRSIGNER, ISVPRODID, minimum ISVSVN). Only POLICY_ROLE.
    /// @param enabled whether the signer check runs
    /// @param mrsigner required MRSIGNER
    /// @param isvProdId required ISVPRODID
    /// @param minIsvSvn minimum ISVSVN
    function setSignerPolicy(bool enabled, bytes32 mrsigner, uint16 isvProdId, uint16 minIsvSvn)
        external
        onlyRole(POLICY_ROLE)
    {
        Policy storage p = _policy;
        if (p.signerCheck == enabled && p.mrsigner == mrsigner && p.isvProdId == isvProdId && p.minIsvSvn == minIsvSvn) return;
        p.signerCheck = enabled;
        p.mrsigner = mrsigner;
        p.isvProdId = isvProdId;
        p.minIsvSvn = minIsvSvn;
        emit SignerPolicySet(enabled, mrsigner, isvProdId, minIsvSvn);
    }

    /// @notice Denies a signing key (or allows it again): reports it signed no longer verify. Only POLICY_ROLE.
    /// @dev Registration is permissionless and cached for good; this is how a compromised or retired key is withdrawn.
    /// @param keyId keccak256 of the key's 256-byte modulus (need not be registered yet)
    /// @param denied whether reports signed by it are refused
    function setSigningKeyDenied(bytes32 keyId, bool denied) external onlyRole(POLICY_ROLE) {
        if (_deniedSigningKeys[keyId] == denied) return;
        _deniedSigningKeys[keyId] = denied;
        if (denied) ++_policy.deniedSigningKeys;
        else --_policy.deniedSigningKeys;
        emit SigningKeyDeniedSet(keyId, denied);
    }

    /// @notice Sets the maximum age of a report against block.timestamp. Only POLICY_ROLE.
    /// @param maxAge seconds; 0 turns the check off
    function setMaxReportAge(uint64 maxAge) external onlyRole(POLICY_ROLE) {
        if (_policy.maxReportAge == maxAge) return;
        _policy.maxReportAge = maxAge;
        emit MaxReportAgeSet(maxAge);
    }

    // ------------------------------------------------------------------ views

    /// @notice The current policy (allowlists are queried separately).
    /// @return the policy struct (debug, MRENCLAVE check, signer policy, maximum report age, number of denied keys)
    function policy() external view returns (Policy memory) {
        return _policy;
    }

    /// @notice Whether `status` is allowlisted.
    /// @param status the exact isvEnclaveQuoteStatus string
    /// @return allowed whether reports with this status pass the policy
    function isQuoteStatusAllowed(string calldata status) external view returns (bool allowed) {
        return _allowedStatuses[keccak256(bytes(status))];
    }

    /// @notice Whether `mrenclave` is allowlisted.
    /// @param mrenclave the enclave measurement
    /// @return allowed whether it is on the allowlist (used when the MRENCLAVE check is on)
    function isMrenclaveAllowed(bytes32 mrenclave) external view returns (bool allowed) {
        return _allowedMrenclaves[mrenclave];
    }

    /// @notice Whether reports signed by `keyId` are refused ({setSigningKeyDenied}).
    /// @param keyId keccak256 of the key's modulus
    /// @return denied whether the key is denied
    function isSigningKeyDenied(bytes32 keyId) external view returns (bool denied) {
        return _deniedSigningKeys[keyId];
    }

    /// @notice When `mrenclave` was last taken off the allowlist.
    /// @param mrenclave the enclave measurement
    /// @return disallowedAt block.timestamp of the disallow that is still in force; 0 while it is allowed or when it
    /// was never allowed through {setMrenclaveAllowed}
    function mrenclaveDisallowedAt(bytes32 mrenclave) external view returns (uint64 disallowedAt) {
        return _mrenclaveDisallowedAt[mrenclave];
    }

    /**
     * @notice A registered signing key: its certificate's validity and modulus; zeros and an empty
     * modulus when `keyId` is not registered.
     * @param keyId keccak256 of the 256-byte modulus
     * @return notBefore start of the certificate's validity (unix seconds)
     * @return notAfter end of the certificate's validity (unix seconds)
     * @return modulus the RSA-2048 modulus (exponent 65537)
     */
    function signingKey(bytes32 keyId) external view returns (uint64 notBefore, uint64 notAfter, bytes memory modulus) {
        bool registered;
        (registered, notBefore, notAfter, modulus) = _signingKey(keyId);
        if (!registered) return (0, 0, new bytes(0));
    }

    /// @notice The pinned CA's subject Name (DER).
    /// @return the Name TLV that registered certificates' issuer must equal byte for byte
    function caSubject() external view returns (bytes memory) {
        return SStore2.read(_caStore, CA_KEY_BYTES, _caSubjectLength);
    }

    /// @notice The pinned CA's RSA-3072 modulus.
    /// @return the 384-byte modulus (exponent 65537)
    function caModulus() external view returns (bytes memory) {
        return SStore2.read(_caStore, 0, CA_KEY_BYTES);
    }

    // ------------------------------------------------------------------ internals

    /// @dev Steps 1-7.
    function _verify(bytes32 keyId, bytes calldata report, bytes calldata signature)
        private
        view
        returns (IasReport.Verified memory verified, bytes calldata status)
    {
        if (signature.length != SIGNING_KEY_BYTES) revert SignatureLengthInvalid(signature.length);
        (bool registered, uint64 notBefore, uint64 notAfter, bytes memory modulus) = _signingKey(keyId);
        if (!registered) revert SigningKeyNotRegistered(keyId);
        // The count shares the policy's slot (read anyway by the policy check): no cold read while nothing is denied.
        if (_policy.deniedSigningKeys != 0 && _deniedSigningKeys[keyId]) revert SigningKeyDenied(keyId);
        if (!RsaPkcs1Sha256.verify(_sha256(report), signature, modulus)) revert ReportSignatureInvalid();

        (verified, status) = IasReport.parse(report);

        if (verified.timestamp < notBefore || verified.timestamp > notAfter) {
            revert ReportOutsideCertificateValidity(verified.timestamp, notBefore, notAfter);
        }
    }

    /// @dev SHA-256 of calldata bytes through unallocated scratch memory (reused right after).
    function _sha256(bytes calldata data) private view returns (bytes32 digest) {
        assembly ("memory-safe") {
            let scratch := mload(0x40)
            calldatacopy(scratch, data.offset, data.length)
            if iszero(staticcall(gas(), 0x02, scratch, data.length, 0x00, 0x20)) { revert(0x00, 0x00) }
            digest := mload(0x00)
        }
    }

    /// @dev One EXTCODECOPY of the key record (an address never written reads as zeros).
    function _signingKey(bytes32 keyId)
        private
        view
        returns (bool registered, uint64 notBefore, uint64 notAfter, bytes memory modulus)
    {
        bytes memory header = SStore2.read(SStore2.pointerOf(keyId), 0, KEY_RECORD_HEADER + SIGNING_KEY_BYTES);
        uint256 word;
        assembly ("memory-safe") {
            word := mload(add(header, 0x20))
            // the modulus follows the 17-byte header: reuse the buffer as a 256-byte bytes array
            modulus := add(header, KEY_RECORD_HEADER)
            mstore(modulus, SIGNING_KEY_BYTES)
        }
        registered = uint8(word >> 248) == KEY_RECORD_MARKER;
        notBefore = uint64(word >> 184);
        notAfter = uint64(word >> 120);
    }

    /// @dev Step 8.
    function _checkPolicy(IasReport.Verified memory v, bytes calldata status) private view {
        Policy storage p = _policy; // slot 0 is read once (then warm); mrsigner only when needed
        uint64 maxAge = p.maxReportAge;
        if (maxAge != 0 && block.timestamp > v.timestamp && block.timestamp - v.timestamp > maxAge) {
            revert ReportTooOld(v.timestamp, maxAge, uint64(block.timestamp));
        }
        if (!_allowedStatuses[v.statusHash]) revert QuoteStatusNotAllowed(string(status));
        if (v.debug && !p.debugAllowed) revert DebugEnclaveNotAllowed(v.mrenclave);
        if (p.mrenclaveCheck && !_allowedMrenclaves[v.mrenclave]) revert MrenclaveNotAllowed(v.mrenclave);
        if (p.signerCheck) {
            bytes32 mrsigner = p.mrsigner;
            if (v.mrsigner != mrsigner) revert MrsignerMismatch(mrsigner, v.mrsigner);
            if (v.isvProdId != p.isvProdId) revert IsvProdIdMismatch(p.isvProdId, v.isvProdId);
            if (v.isvSvn < p.minIsvSvn) revert IsvSvnTooLow(p.minIsvSvn, v.isvSvn);
        }
    }

    function _setQuoteStatusAllowed(string memory status, bool allowed) private {
        bytes32 statusHash = keccak256(bytes(status));
        if (_allowedStatuses[statusHash] == allowed) return;
        _allowedStatuses[statusHash] = allowed;
        emit QuoteStatusAllowedSet(statusHash, status, allowed);
    }

    function _setMrenclaveCheck(bool enabled) private {
        if (_policy.mrenclaveCheck == enabled) return;
        _policy.mrenclaveCheck = enabled;
        emit MrenclaveCheckSet(enabled);
    }

    function _verifyCertificateSignature(bytes memory der, X509.Certificate memory c, bytes memory caKey)
        private
        view
        returns (bool)
    {
        bytes32 digest;
        uint256 tbsStart = c.tbsStart;
        uint256 tbsLength = c.tbsEnd - c.tbsStart;
        assembly ("memory-safe") {
            // sha256 precompile over der[tbsStart:tbsEnd] in place
            if iszero(staticcall(gas(), 0x02, add(add(der, 0x20), tbsStart), tbsLength, 0x00, 0x20)) {
                revert(0, 0)
            }
            digest := mload(0x00)
        }
        return RSA.pkcs1Sha256(digest, X509.slice(der, c.signatureStart, c.signatureEnd), RSA_EXPONENT, caKey);
    }

    /// @dev Registration step 2: only X.509 v3 certificates carry the extensions the profile requires.
    function _checkVersion(X509.Certificate memory c) private pure {
        if (c.version != X509_VERSION_3) revert CertificateVersionUnsupported(c.version);
    }

    /**
     * @dev The last registration steps (audit F-9): no unknown critical or repeated extension, then keyUsage and
     * basicConstraints fit the role. A CA signs certificates; a report-signing key signs reports and nothing else.
     */
    function _checkProfile(X509Extensions.Profile memory p, bool isCaRole) private pure {
        if (p.unsupportedAt != X509Extensions.NONE) revert CertificateExtensionUnsupported(p.unsupportedAt);
        bool usageOk = isCaRole
            ? p.keyUsage & X509Extensions.KEY_USAGE_KEY_CERT_SIGN != 0
            : p.keyUsage & X509Extensions.KEY_USAGE_DIGITAL_SIGNATURE != 0
                && p.keyUsage & X509Extensions.KEY_USAGE_KEY_CERT_SIGN == 0;
        if (!p.keyUsagePresent || !usageOk) revert CertificateKeyUsageInvalid(p.keyUsage);
        if (!p.basicConstraintsPresent || p.isCa != isCaRole) {
            revert CertificateBasicConstraintsInvalid(p.basicConstraintsPresent, p.isCa);
        }
    }

    function _issuerHash(bytes memory der, X509.Certificate memory c) private pure returns (bytes32) {
        return X509.spanHash(der, c.issuerStart, c.issuerEnd);
    }

    function _caSubjectHash(bytes memory ca) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            h := keccak256(add(add(ca, 0x20), CA_KEY_BYTES), sub(mload(ca), CA_KEY_BYTES))
        }
    }

    function _caModulus(bytes memory ca) private pure returns (bytes memory modulus) {
        modulus = new bytes(CA_KEY_BYTES);
        assembly ("memory-safe") {
            mcopy(add(modulus, 0x20), add(ca, 0x20), CA_KEY_BYTES)
        }
    }
}
