// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {CollateralFields, TcbStatus} from "./CollateralFields.sol";
import {DcapCertificate} from "./DcapCertificate.sol";
import {DcapCollateral} from "./DcapCollateral.sol";
import {DcapCrls} from "./DcapCrls.sol";
import {DcapQuote} from "./DcapQuote.sol";
import {IDcapVerifier} from "./IDcapVerifier.sol";
import {EvidenceKind, IEnclaveVerifier} from "../IEnclaveVerifier.sol";
import {P256} from "./P256.sol";
import {P256Verifier} from "./P256Verifier.sol";
import {PckCertificateCache} from "./PckCertificateCache.sol";
import {PckChain} from "./PckChain.sol";
import {PckChainVerification} from "./PckChainVerification.sol";
import {QuoteSignatures} from "./QuoteSignatures.sol";
import {SignedCollateral} from "./SignedCollateral.sol";
import {
    CertificateRevoked,
    CertificateRole,
    CollateralExpired,
    CollateralKind,
    QeAttributesMismatch,
    QeIsvProdIdMismatch,
    QeMiscselectMismatch,
    QeMrsignerMismatch,
    QeTcbLevelNotFound,
    QeTcbStatusNotAllowed,
    TcbEvaluationDataNumberTooLow,
    TcbLevelNotFound,
    TcbStatusNotAllowed
} from "./DcapErrors.sol";

/**
 * @title DcapVerifier
 * @notice Verifies Intel SGX ECDSA (DCAP) quotes on chain with no trusted helper: the quote's layout, its PCK
 * chain under the pinned Intel SGX Root CA (cached per chain), revocation and freshness of the collateral
 * anyone upserted under Intel's signatures into {DcapCollateral} and {DcapCrls}, the QE report and the quote's
 * signatures, the QE identity and the platform's TCB level, then the deployment's policy: TCB statuses,
 * DEBUG, MRENCLAVE allowlist, signer. The REPORTDATA is returned for the caller to bind.
 * @dev Check order and errors: docs/attestation-dcap.md ("DcapVerifier"); the same error names and arguments as
 * src/attestation/dcap/verifier.ts. The P-256 path (P256VERIFY or {P256Software}) is chosen once, at deployment,
 * by {P256Verifier}'s known-answer probe. A chain not cached yet is verified by the linked {PckChainVerification}.
 */
contract DcapVerifier is IDcapVerifier, PckCertificateCache, AccessControlDefaultAdminRules {
    /// @notice Deployment policy. `mrsigner` is only read when `signerCheck` is on.
    struct Policy {
        uint8 allowedTcbStatuses; // bit i: TcbStatus(i) allowed (Revoked never)
        bool debugAllowed;
        bool mrenclaveCheck;
        bool signerCheck;
        uint16 isvProdId;
        uint16 minIsvSvn;
        uint32 minTcbEvaluationDataNumber;
        uint64 collateralGrace; // seconds after an item's nextUpdate it is still accepted
        bytes32 mrsigner;
    }

    /// @notice May change the policy.
    bytes32 public constant POLICY_ROLE = keccak256("POLICY_ROLE");
    /// @notice The longest collateral grace a policy may set (Intel reissues TCB Info and QE Identity every 30 days).
    uint64 public constant MAX_COLLATERAL_GRACE = 30 days;

    /// @dev sgx_report_body_t offsets (quote.ts).
    uint256 private constant REPORT_MISCSELECT = 16;
    uint256 private constant REPORT_ATTRIBUTES = 48;
    uint256 private constant REPORT_MRENCLAVE = 64;
    uint256 private constant REPORT_MRSIGNER = 128;
    uint256 private constant REPORT_ISV_PROD_ID = 256;
    uint256 private constant REPORT_ISV_SVN = 258;
    uint256 private constant REPORT_DATA = 320;
    uint256 private constant WORD = 32;
    uint256 private constant ATTRIBUTES_LENGTH = 16;
    /// @dev SGX_FLAGS_DEBUG in the first byte of attributes.flags (little-endian).
    uint8 private constant FLAG_DEBUG = 0x02;
    uint256 private constant COMPONENT_COUNT = 16;

    /// @notice The TCB Info and QE Identity store (pinned to the same root).
    DcapCollateral public immutable collateralStore;
    /// @notice The CRL store (pinned to the same root).
    DcapCrls public immutable crlStore;
    /// @inheritdoc IDcapVerifier
    bool public immutable usesP256Precompile;

    bytes32 private immutable _rootDerHash;
    bytes32 private immutable _rootSubjectHash;
    uint256 private immutable _rootSubjectLength;
    bytes32 private immutable _rootKeyX;
    bytes32 private immutable _rootKeyY;
    uint64 private immutable _rootNotBefore;
    uint64 private immutable _rootNotAfter;

    mapping(bytes32 mrenclave => bool allowed) private _allowedMrenclaves;
    mapping(bytes32 mrenclave => uint64 timestamp) private _mrenclaveDisallowedAt;
    Policy private _policy;

    // --- errors: the enclave policy, the same as IasVerifier's (step 12) ---
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

    // --- errors: deployment and policy setters ---
    /// @notice A store address has no code.
    error StoreNotContract(address store);
    /// @notice `Revoked` can never be allowed.
    error TcbStatusNotAllowable(TcbStatus status);
    /// @notice The grace exceeds {MAX_COLLATERAL_GRACE}.
    error CollateralGraceTooLong(uint64 grace, uint64 maximum);
    /// @notice Advisory IDs given for a level do not hash to the level's stored hash (0: no advisories).
    error AdvisoryIdsMismatch(bytes32 expected, bytes32 actual);

    // --- events ---
    /// @notice The root was pinned (keccak256 of its DER and of its subject Name).
    event RootPinned(bytes32 rootDerHash, bytes32 rootSubjectHash);
    /// @notice The advisory IDs of a verified quote: the platform level's, then the QE level's not already listed.
    event QuoteAdvisories(bytes32 indexed mrenclave, bytes32 indexed pckChainHash, string[] advisoryIds);
    /// @notice The known-answer probe's answer: whether P-256 goes to the P256VERIFY precompile.
    event P256PathChosen(bool precompile);
    /// @notice A TCB status was allowed or disallowed (for the platform and the QE).
    event TcbStatusAllowedSet(TcbStatus indexed status, bool allowed);
    /// @notice The collateral grace changed.
    event CollateralGraceSet(uint64 grace);
    /// @notice The minimum tcbEvaluationDataNumber changed.
    event MinTcbEvaluationDataNumberSet(uint32 minimum);
    /// @notice DEBUG enclaves were allowed or refused.
    event DebugAllowedSet(bool allowed);
    /// @notice The MRENCLAVE check was switched.
    event MrenclaveCheckSet(bool enabled);
    /// @notice An MRENCLAVE was allowed or disallowed.
    event MrenclaveAllowedSet(bytes32 indexed mrenclave, bool allowed);
    /// @notice The signer policy changed.
    event SignerPolicySet(bool enabled, bytes32 mrsigner, uint16 isvProdId, uint16 minIsvSvn);

    /**
     * @notice Probes the P-256 path, pins the root and sets the default policy: only `UpToDate`, no grace, no
     * minimum tcbEvaluationDataNumber, no DEBUG, MRENCLAVE check on with an empty allowlist, signer check off.
     * @param rootDer the root to pin (the Intel SGX Root CA; the stores must pin the same)
     * @param collateral_ the TCB Info / QE Identity store
     * @param crls_ the CRL store
     * @param initialAdmin holder of DEFAULT_ADMIN_ROLE and POLICY_ROLE
     * @param initialAdminDelay delay of a two-step admin transfer (seconds)
     */
    constructor(bytes memory rootDer, DcapCollateral collateral_, DcapCrls crls_, address initialAdmin, uint48 initialAdminDelay)
        AccessControlDefaultAdminRules(initialAdminDelay, initialAdmin)
    {
        if (address(collateral_).code.length == 0) revert StoreNotContract(address(collateral_));
        if (address(crls_).code.length == 0) revert StoreNotContract(address(crls_));
        bool precompile = _probeP256();
        PckChain.PinnedRoot memory root = PckChain.pin(rootDer, precompile);
        usesP256Precompile = precompile;
        collateralStore = collateral_;
        crlStore = crls_;
        _rootDerHash = root.derHash;
        _rootSubjectHash = root.issuer.subjectHash;
        _rootSubjectLength = root.issuer.subjectLength;
        (_rootKeyX, _rootKeyY) = (root.issuer.keyX, root.issuer.keyY);
        (_rootNotBefore, _rootNotAfter) = (root.notBefore, root.notAfter);
        emit RootPinned(root.derHash, root.issuer.subjectHash);
        emit P256PathChosen(precompile);

        _grantRole(POLICY_ROLE, initialAdmin);
        _setTcbStatusAllowed(TcbStatus.UpToDate, true);
        _setMrenclaveCheck(true);
    }

    // ------------------------------------------------------------------ verification

    /// @inheritdoc IDcapVerifier
    function verifyQuote(bytes calldata quote) external returns (Verified memory verified) {
        return _verifyQuote(quote);
    }

    /**
     * @notice {verifyQuote}, then the advisory IDs of the platform's and the QE's TCB levels, given by the caller (from
     * the stores' `TcbInfoUpdated` / `QeIdentityUpdated` events) and checked against the levels' stored hashes;
     * emits them in {QuoteAdvisories}. Reverts `AdvisoryIdsMismatch(expected, actual)` for a list that does not hash
     * to its level's.
     * @param quote the raw quote
     * @param tcbAdvisoryIds the platform level's advisory IDs, in the level's order (empty: none)
     * @param qeAdvisoryIds the QE level's advisory IDs, in the level's order (empty: none)
     * @return verified the quote's fields
     * @return advisoryIds the platform level's IDs, then the QE level's not already listed (verifier.ts's order)
     */
    function verifyQuoteWithAdvisories(bytes calldata quote, string[] calldata tcbAdvisoryIds, string[] calldata qeAdvisoryIds)
        external
        returns (Verified memory verified, string[] memory advisoryIds)
    {
        verified = _verifyQuote(quote);
        _checkAdvisories(verified.tcbAdvisoryHash, tcbAdvisoryIds);
        _checkAdvisories(verified.qeAdvisoryHash, qeAdvisoryIds);
        advisoryIds = _mergeAdvisories(tcbAdvisoryIds, qeAdvisoryIds);
        emit QuoteAdvisories(verified.mrenclave, verified.pckChainHash, advisoryIds);
    }

    /**
     * @notice {verifyQuote} for a group ({IEnclaveVerifier}): the evidence is the raw quote, the answer its MRENCLAVE
     * and REPORTDATA.
     * @param evidence the raw SGX ECDSA quote
     * @return attested the quote's MRENCLAVE and REPORTDATA
     */
    function verifyEvidence(bytes calldata evidence) external returns (Attested memory attested) {
        Verified memory v = _verifyQuote(evidence);
        attested = Attested(v.mrenclave, v.reportDataLow, v.reportDataHigh);
    }

    /// @notice This verifier takes DCAP evidence.
    /// @return kind {EvidenceKind.DCAP}
    function evidenceKind() external pure returns (uint8 kind) {
        return EvidenceKind.DCAP;
    }

    /// @dev Steps 1, 2, 4-12 (docs/attestation-dcap.md "DcapVerifier").
    function _verifyQuote(bytes calldata quote) private returns (Verified memory v) {
        uint256 now_ = _now();
        // 1. layout
        DcapQuote.Layout memory q = DcapQuote.decode(quote);
        // 2. PCK chain (cached: validity windows only); the cache write is this call's only effect, and every
        // later call is a STATICCALL to the stores.
        bytes calldata pem = quote[q.pckChain:q.pckChain + q.pckChainLength];
        CachedPck memory pck = _pckChain(pem, now_);
        Policy memory p = _policy;
        // 4. revocation and CRL freshness
        v.collateralNextUpdate = _checkRevocation(pck, pem, p.collateralGrace, now_);
        // 5. TCB Info of the PCK's (FMSPC, PCEID): freshness, minimum tcbEvaluationDataNumber
        DcapCollateral.StoredLevel[] memory levels = _checkTcbInfo(pck, p, now_, v);
        // 6. QE Identity: freshness, minimum tcbEvaluationDataNumber
        DcapCollateral.StoredQeIdentityView memory qe = _checkQeIdentity(p, now_, v);
        // 7. QE report under the PCK key, bound to the attestation key
        QuoteSignatures.checkQeReport(quote, q, pck.keyX, pck.keyY, _p256);
        // 8. QE identity and its TCB level
        (v.qeTcbStatus, v.qeAdvisoryHash) = _checkQe(quote, q.qeReport, qe);
        // 9. the quote under the attestation key
        QuoteSignatures.checkQuoteSignature(quote, q, _p256);
        // 10. the platform's TCB level
        (v.tcbStatus, v.tcbAdvisoryHash) = _platformLevel(levels, pck);
        // 11. TCB statuses
        if (!_allowed(p, v.qeTcbStatus)) revert QeTcbStatusNotAllowed(CollateralFields.statusName(v.qeTcbStatus));
        if (!_allowed(p, v.tcbStatus)) revert TcbStatusNotAllowed(CollateralFields.statusName(v.tcbStatus));
        // 12. the enclave policy
        _readReport(quote, v);
        _checkEnclavePolicy(p, v);
        (v.fmspc, v.pceId, v.quoteVersion, v.pckChainHash) = (pck.fmspc, pck.pceId, uint16(q.version), keccak256(pem));
        _emitVerified(v);
    }

    // ------------------------------------------------------------------ policy setters
    // Each setter changes state and emits its event only when the value differs from the stored one.

    /// @notice Allows or disallows a TCB status, for the platform and the QE alike. Only POLICY_ROLE.
    /// @param status the status; `Revoked` cannot be allowed ({TcbStatusNotAllowable})
    /// @param allowed whether quotes at this status pass
    function setTcbStatusAllowed(TcbStatus status, bool allowed) external onlyRole(POLICY_ROLE) {
        _setTcbStatusAllowed(status, allowed);
    }

    /// @notice Sets how long after its nextUpdate a collateral item (TCB Info, QE Identity, CRL) is accepted. Only POLICY_ROLE.
    /// @param grace seconds, at most {MAX_COLLATERAL_GRACE}
    function setCollateralGrace(uint64 grace) external onlyRole(POLICY_ROLE) {
        if (grace > MAX_COLLATERAL_GRACE) revert CollateralGraceTooLong(grace, MAX_COLLATERAL_GRACE);
        if (_policy.collateralGrace == grace) return;
        _policy.collateralGrace = grace;
        emit CollateralGraceSet(grace);
    }

    /// @notice Sets the minimum tcbEvaluationDataNumber of TCB Info and QE Identity. Only POLICY_ROLE.
    /// @param minimum 0 accepts any
    function setMinTcbEvaluationDataNumber(uint32 minimum) external onlyRole(POLICY_ROLE) {
        if (_policy.minTcbEvaluationDataNumber == minimum) return;
        _policy.minTcbEvaluationDataNumber = minimum;
        emit MinTcbEvaluationDataNumberSet(minimum);
    }

    /// @notice Allows or refuses DEBUG enclaves. Only POLICY_ROLE.
    /// @param allowed whether quotes of DEBUG enclaves pass
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
    /// @dev A disallow records when it happened ({mrenclaveDisallowedAt}), as IasVerifier does.
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

    // ------------------------------------------------------------------ views

    /// @notice The current policy (the MRENCLAVE allowlist is queried separately).
    /// @return the policy struct
    function policy() external view returns (Policy memory) {
        return _policy;
    }

    /// @notice Whether quotes at `status` (platform or QE) pass the policy.
    /// @param status the TCB status
    /// @return allowed whether it is allowed
    function isTcbStatusAllowed(TcbStatus status) external view returns (bool allowed) {
        return _allowed(_policy, status);
    }

    /// @inheritdoc IEnclaveVerifier
    function isMrenclaveAllowed(bytes32 mrenclave) external view returns (bool allowed) {
        return _allowedMrenclaves[mrenclave];
    }

    /// @inheritdoc IEnclaveVerifier
    function mrenclaveDisallowedAt(bytes32 mrenclave) external view returns (uint64 disallowedAt) {
        return _mrenclaveDisallowedAt[mrenclave];
    }

    /// @notice keccak256 of the pinned root's DER.
    /// @return the hash a chain's last certificate must have
    function pinnedRootHash() external view returns (bytes32) {
        return _rootDerHash;
    }

    // ------------------------------------------------------------------ internals

    /// @notice The verification time: block.timestamp (a test harness replays Intel's 2025 vectors at their time).
    function _now() internal view virtual returns (uint256) {
        return block.timestamp;
    }

    /// @notice The known-answer probe ({P256Verifier.precompileAvailable}), run once in the constructor.
    function _probeP256() internal view virtual returns (bool) {
        return P256Verifier.precompileAvailable();
    }

    function _pinnedRoot() internal view override returns (PckChain.PinnedRoot memory) {
        return PckChain.PinnedRoot({
            derHash: _rootDerHash,
            issuer: DcapCertificate.Issuer({
                subjectHash: _rootSubjectHash,
                subjectLength: _rootSubjectLength,
                keyX: _rootKeyX,
                keyY: _rootKeyY
            }),
            notBefore: _rootNotBefore,
            notAfter: _rootNotAfter
        });
    }

    function _verifyPckChain(bytes calldata pem, PckChain.PinnedRoot memory root, uint256 now_)
        internal
        view
        override
        returns (PckChain.Verified memory)
    {
        return PckChainVerification.verify(pem, root, now_, usesP256Precompile);
    }

    /// @dev P-256 on the path the probe chose: P256VERIFY inline, or {P256Software} through the linked library.
    function _p256(bytes32 digest, bytes32 r, bytes32 s, bytes32 x, bytes32 y) private view returns (bool) {
        return usesP256Precompile ? P256.verify(digest, r, s, x, y) : PckChainVerification.softwareVerify(digest, r, s, x, y);
    }

    /// @dev Step 4: the root CA CRL and the PCK CA CRL (in that order: freshness, then the PCK CA's serial, then
    /// the PCK's). Returns the earlier nextUpdate.
    function _checkRevocation(CachedPck memory pck, bytes calldata pem, uint256 grace, uint256 now_)
        private
        view
        returns (uint64 earliest)
    {
        (bool caRevoked, uint64 rootNext) = crlStore.isRevoked(_rootSubjectHash, pck.pckCaSerialHash);
        (bool pckRevoked, uint64 pckCaNext) = crlStore.isRevoked(pck.pckCaSubjectHash, pck.pckSerialHash);
        if (now_ > rootNext + grace) revert CollateralExpired(CollateralKind.RootCaCrl, rootNext, now_);
        if (now_ > pckCaNext + grace) revert CollateralExpired(CollateralKind.PckCaCrl, pckCaNext, now_);
        // verifier.ts's order: the PCK CA, the TCB Signing certificate(s) (both in the root CA CRL), then the PCK.
        if (caRevoked) {
            (, bytes memory pckCaSerial) = _pckSerials(keccak256(pem));
            revert CertificateRevoked(CertificateRole.PckCa, pckCaSerial);
        }
        _checkTcbSigners(pck);
        if (pckRevoked) {
            (bytes memory pckSerial,) = _pckSerials(keccak256(pem));
            revert CertificateRevoked(CertificateRole.Pck, pckSerial);
        }
        earliest = rootNext < pckCaNext ? rootNext : pckCaNext;
    }

    /// @dev Step 4, the TCB Signing certificates the stored TCB Info (of the PCK's platform) and QE Identity were
    /// verified under, against the root CA CRL: collateral signed under a certificate revoked since it was upserted
    /// stops verifying. An item not stored has no serial here; steps 5 and 6 refuse it.
    function _checkTcbSigners(CachedPck memory pck) private view {
        (bytes32 tcbInfoSigner, bytes32 qeIdentitySigner) = collateralStore.tcbSigningSerials(pck.fmspc, pck.pceId);
        _requireNotRevokedByRoot(tcbInfoSigner);
        if (qeIdentitySigner != tcbInfoSigner) _requireNotRevokedByRoot(qeIdentitySigner);
    }

    /// @param packed a serial as {DcapCollateral.tcbSigningSerials} packs it (0: no item stored)
    function _requireNotRevokedByRoot(bytes32 packed) private view {
        if (packed == 0) return;
        uint256 length = uint8(uint256(packed));
        bytes memory serial = new bytes(length);
        assembly ("memory-safe") {
            // the magnitude bytes are the word's first `length` bytes; the count byte is past them (length <= 20)
            mstore(add(serial, 0x20), and(packed, not(0xff)))
        }
        (bool revoked,) = crlStore.isRevoked(_rootSubjectHash, keccak256(serial));
        if (revoked) revert CertificateRevoked(CertificateRole.TcbSigning, serial);
    }

    /// @dev Step 5 (the signature, fields and FMSPC/PCEID were checked at upsert; the lookup is by the PCK's FMSPC and PCEID).
    function _checkTcbInfo(CachedPck memory pck, Policy memory p, uint256 now_, Verified memory v)
        private
        view
        returns (DcapCollateral.StoredLevel[] memory levels)
    {
        uint32 number;
        uint64 issueDate;
        uint64 nextUpdate;
        (number, issueDate, nextUpdate, levels) = collateralStore.tcbInfo(pck.fmspc, pck.pceId);
        SignedCollateral.checkFreshness(CollateralKind.TcbInfo, issueDate, nextUpdate, now_, p.collateralGrace);
        if (number < p.minTcbEvaluationDataNumber) {
            revert TcbEvaluationDataNumberTooLow(CollateralKind.TcbInfo, p.minTcbEvaluationDataNumber, number);
        }
        v.tcbEvaluationDataNumber = number;
        if (nextUpdate < v.collateralNextUpdate) v.collateralNextUpdate = nextUpdate;
    }

    /// @dev Step 6.
    function _checkQeIdentity(Policy memory p, uint256 now_, Verified memory v)
        private
        view
        returns (DcapCollateral.StoredQeIdentityView memory qe)
    {
        qe = collateralStore.qeIdentity();
        SignedCollateral.checkFreshness(CollateralKind.QeIdentity, qe.issueDate, qe.nextUpdate, now_, p.collateralGrace);
        if (qe.tcbEvaluationDataNumber < p.minTcbEvaluationDataNumber) {
            revert TcbEvaluationDataNumberTooLow(CollateralKind.QeIdentity, p.minTcbEvaluationDataNumber, qe.tcbEvaluationDataNumber);
        }
        if (qe.tcbEvaluationDataNumber < v.tcbEvaluationDataNumber) v.tcbEvaluationDataNumber = qe.tcbEvaluationDataNumber;
        if (qe.nextUpdate < v.collateralNextUpdate) v.collateralNextUpdate = qe.nextUpdate;
    }

    /// @dev Step 8: MRSIGNER, ISVPRODID, masked MISCSELECT and attributes, then the first QE level the ISVSVN reaches.
    function _checkQe(bytes calldata quote, uint256 r, DcapCollateral.StoredQeIdentityView memory qe)
        private
        pure
        returns (TcbStatus, bytes32)
    {
        bytes32 mrsigner = bytes32(quote[r + REPORT_MRSIGNER:r + REPORT_MRSIGNER + WORD]);
        if (mrsigner != qe.mrsigner) revert QeMrsignerMismatch(qe.mrsigner, mrsigner);
        uint256 prodId = DcapQuote._u16(quote, r + REPORT_ISV_PROD_ID);
        if (prodId != qe.isvProdId) revert QeIsvProdIdMismatch(qe.isvProdId, prodId);
        uint256 misc = DcapQuote._u32(quote, r + REPORT_MISCSELECT) & qe.miscselectMask;
        uint256 miscExpected = qe.miscselect & qe.miscselectMask;
        if (misc != miscExpected) revert QeMiscselectMismatch(miscExpected, misc);
        bytes16 attributes = bytes16(quote[r + REPORT_ATTRIBUTES:r + REPORT_ATTRIBUTES + ATTRIBUTES_LENGTH]) & qe.attributesMask;
        bytes16 attributesExpected = qe.attributes & qe.attributesMask;
        if (attributes != attributesExpected) revert QeAttributesMismatch(attributesExpected, attributes);
        uint256 isvSvn = DcapQuote._u16(quote, r + REPORT_ISV_SVN);
        for (uint256 i = 0; i < qe.levels.length; ++i) {
            if (isvSvn >= qe.levels[i].isvSvn) return (qe.levels[i].status, qe.levels[i].advisoryHash);
        }
        revert QeTcbLevelNotFound(isvSvn);
    }

    /// @dev Step 10: the first level (best first) whose 16 component SVNs and PCESVN the PCK certificate's all reach.
    function _platformLevel(DcapCollateral.StoredLevel[] memory levels, CachedPck memory pck)
        private
        pure
        returns (TcbStatus, bytes32)
    {
        for (uint256 i = 0; i < levels.length; ++i) {
            DcapCollateral.StoredLevel memory level = levels[i];
            if (pck.pceSvn >= level.pceSvn && _reachesAll(pck.components, level.components)) return (level.status, level.advisoryHash);
        }
        revert TcbLevelNotFound(pck.fmspc);
    }

    function _reachesAll(bytes16 platform, bytes16 level) private pure returns (bool) {
        for (uint256 i = 0; i < COMPONENT_COUNT; ++i) {
            if (uint8(platform[i]) < uint8(level[i])) return false;
        }
        return true;
    }

    /// @dev The ISV report's fields (it starts right after the 48-byte header).
    function _readReport(bytes calldata quote, Verified memory v) private pure {
        uint256 r = DcapQuote.HEADER_LENGTH;
        v.mrenclave = bytes32(quote[r + REPORT_MRENCLAVE:r + REPORT_MRENCLAVE + WORD]);
        v.mrsigner = bytes32(quote[r + REPORT_MRSIGNER:r + REPORT_MRSIGNER + WORD]);
        v.isvProdId = uint16(DcapQuote._u16(quote, r + REPORT_ISV_PROD_ID));
        v.isvSvn = uint16(DcapQuote._u16(quote, r + REPORT_ISV_SVN));
        v.debug = uint8(quote[r + REPORT_ATTRIBUTES]) & FLAG_DEBUG != 0;
        v.reportDataLow = bytes32(quote[r + REPORT_DATA:r + REPORT_DATA + WORD]);
        v.reportDataHigh = bytes32(quote[r + REPORT_DATA + WORD:r + REPORT_DATA + 2 * WORD]);
    }

    /// @dev Step 12, IasVerifier's order: DEBUG, MRENCLAVE allowlist, signer.
    function _checkEnclavePolicy(Policy memory p, Verified memory v) private view {
        if (v.debug && !p.debugAllowed) revert DebugEnclaveNotAllowed(v.mrenclave);
        if (p.mrenclaveCheck && !_allowedMrenclaves[v.mrenclave]) revert MrenclaveNotAllowed(v.mrenclave);
        if (p.signerCheck) {
            if (v.mrsigner != p.mrsigner) revert MrsignerMismatch(p.mrsigner, v.mrsigner);
            if (v.isvProdId != p.isvProdId) revert IsvProdIdMismatch(p.isvProdId, v.isvProdId);
            if (v.isvSvn < p.minIsvSvn) revert IsvSvnTooLow(p.minIsvSvn, v.isvSvn);
        }
    }

    /// @dev The stored hash: keccak256(abi.encode(ids)), or 0 for no advisories (DcapCollateral's encoding).
    function _checkAdvisories(bytes32 expected, string[] calldata ids) private pure {
        bytes32 actual = ids.length == 0 ? bytes32(0) : keccak256(abi.encode(ids));
        if (actual != expected) revert AdvisoryIdsMismatch(expected, actual);
    }

    function _mergeAdvisories(string[] calldata platform, string[] calldata qe) private pure returns (string[] memory ids) {
        ids = new string[](platform.length + qe.length);
        uint256 n;
        for (uint256 i = 0; i < platform.length; ++i) {
            ids[n++] = platform[i];
        }
        for (uint256 j = 0; j < qe.length; ++j) {
            bytes32 h = keccak256(bytes(qe[j]));
            bool listed;
            for (uint256 i = 0; i < platform.length && !listed; ++i) {
                listed = keccak256(bytes(platform[i])) == h;
            }
            if (!listed) ids[n++] = qe[j];
        }
        assembly ("memory-safe") {
            mstore(ids, n)
        }
    }

    function _emitVerified(Verified memory v) private {
        emit QuoteVerified(
            v.mrenclave, v.fmspc, v.pckChainHash, v.tcbStatus, v.qeTcbStatus, v.tcbAdvisoryHash, v.qeAdvisoryHash, v.reportDataLow
        );
    }

    function _allowed(Policy memory p, TcbStatus status) private pure returns (bool) {
        return (p.allowedTcbStatuses >> uint8(status)) & 1 == 1;
    }

    function _setTcbStatusAllowed(TcbStatus status, bool allowed) private {
        if (allowed && status == TcbStatus.Revoked) revert TcbStatusNotAllowable(status);
        uint8 bit = uint8(1 << uint8(status));
        uint8 current = _policy.allowedTcbStatuses;
        uint8 next = allowed ? current | bit : current & ~bit;
        if (next == current) return;
        _policy.allowedTcbStatuses = next;
        emit TcbStatusAllowedSet(status, allowed);
    }

    function _setMrenclaveCheck(bool enabled) private {
        if (_policy.mrenclaveCheck == enabled) return;
        _policy.mrenclaveCheck = enabled;
        emit MrenclaveCheckSet(enabled);
    }
}
