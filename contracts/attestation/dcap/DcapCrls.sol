// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DcapCertificate} from "./DcapCertificate.sol";
import {DcapCrl} from "./DcapCrl.sol";
import {DerReader} from "./DerReader.sol";
import {P256} from "./P256.sol";
import {PckChain} from "./PckChain.sol";
import {SignedCollateral} from "./SignedCollateral.sol";
import {CollateralKind, CollateralSignatureInvalid, CrlIssuerUnknown} from "./DcapErrors.sol";
import {SStore2} from "../../lib/SStore2.sol";

/**
 * @title DcapCrls
 * @notice Intel's CRLs, upserted by anyone under their issuers' signatures and stored compactly: the root CA
 * CRL (issued by the pinned Intel SGX Root CA; revokes PCK CA and TCB Signing certificates) and the PCK
 * Platform/Processor CA CRLs (revoke PCK certificates), each keyed by its issuer's subject. A CRL is accepted
 * as the TypeScript verifier's `checkCrls` accepts it: the PCK CA from the issuer chain checked under the
 * pinned root (when given), then the CRL's DER, its issuer (the root or that PCK CA, else
 * `CrlIssuerUnknown()`), its signature (`CollateralSignatureInvalid(kind)`) and freshness at `block.timestamp`
 * (no grace); then it must be newer (a later thisUpdate) than the stored CRL of the same issuer.
 * @dev Per issuer: one slot (the blob's address, thisUpdate, nextUpdate) and an SStore2 blob of the revoked
 * serials' keccak256 (32 bytes each, CRL order); {isRevoked} scans it (Intel's CRLs list tens of serials).
 */
contract DcapCrls {
    using DerReader for bytes;

    /// @notice A stored CRL.
    struct StoredCrl {
        address blob;
        uint40 thisUpdate;
        uint40 nextUpdate;
    }

    /// @notice A CRL of `kind` by the issuer with subject hash `issuerSubjectHash` was stored, replacing an older one.
    /// @param kind RootCaCrl or PckCaCrl
    /// @param issuerSubjectHash keccak256 of the issuer's DER subject name
    /// @param thisUpdate unix seconds
    /// @param nextUpdate unix seconds
    /// @param revokedSerialHashes keccak256 of each revoked serial's magnitude bytes
    event CrlUpdated(
        CollateralKind indexed kind, bytes32 indexed issuerSubjectHash, uint64 thisUpdate, uint64 nextUpdate, bytes32[] revokedSerialHashes
    );

    /// @notice The CRL is not newer than the stored one of its issuer (thisUpdate).
    error CrlNotNewer(CollateralKind kind, uint256 storedThisUpdate, uint256 thisUpdate);
    /// @notice No CRL is stored for the issuer.
    error CrlNotStored(bytes32 issuerSubjectHash);

    uint256 private constant NO_GRACE = 0;
    uint256 private constant HASH_BYTES = 32;

    PckChain.PinnedRoot private _root;
    mapping(bytes32 issuerSubjectHash => StoredCrl) private _crls;

    /// @param rootDer the root to pin (the Intel SGX Root CA; a test root in tests)
    constructor(bytes memory rootDer) {
        _root = PckChain.pin(rootDer);
    }

    /**
     * @notice Verifies a CRL at `now_` without storing it (the order above). Reverts with the TypeScript verifier's errors.
     * @param der the CRL (DER)
     * @param pckCaChainPem the PCK CA certificate then the root (PEM), or empty for the root CA CRL
     * @param now_ unix seconds
     * @return crl the parsed CRL
     * @return kind RootCaCrl or PckCaCrl
     */
    function verifyCrl(bytes memory der, bytes memory pckCaChainPem, uint256 now_)
        public
        view
        returns (DcapCrl.Crl memory crl, CollateralKind kind)
    {
        DcapCertificate.Issuer memory pckCa;
        bool withPckCa = pckCaChainPem.length != 0;
        if (withPckCa) pckCa = PckChain.verifyPckCa(pckCaChainPem, _root, now_);
        crl = DcapCrl.parse(der);
        DcapCertificate.Issuer memory issuer;
        if (_issuedBy(crl, _root.issuer)) {
            (kind, issuer) = (CollateralKind.RootCaCrl, _root.issuer);
        } else if (withPckCa && _issuedBy(crl, pckCa)) {
            (kind, issuer) = (CollateralKind.PckCaCrl, pckCa);
        } else {
            revert CrlIssuerUnknown();
        }
        if (!crl.signatureWellFormed || !P256.verify(der.spanSha256(crl.tbsStart, crl.tbsEnd), crl.sigR, crl.sigS, issuer.keyX, issuer.keyY)) {
            revert CollateralSignatureInvalid(kind);
        }
        SignedCollateral.checkFreshness(kind, crl.thisUpdate, crl.nextUpdate, now_, NO_GRACE);
    }

    /**
     * @notice Verifies a CRL at `block.timestamp` ({verifyCrl}) and stores its revoked serials for its issuer
     * if it is newer than the stored one; emits {CrlUpdated}.
     * @param der the CRL (DER)
     * @param pckCaChainPem the PCK CA certificate then the root (PEM), or empty for the root CA CRL
     */
    function upsertCrl(bytes calldata der, bytes calldata pckCaChainPem) external {
        (DcapCrl.Crl memory crl, CollateralKind kind) = verifyCrl(der, pckCaChainPem, _now());
        StoredCrl memory stored = _crls[crl.issuerHash];
        if (stored.blob != address(0) && crl.thisUpdate <= stored.thisUpdate) revert CrlNotNewer(kind, stored.thisUpdate, crl.thisUpdate);
        address blob = SStore2.write(abi.encodePacked(crl.revokedSerialHashes));
        _crls[crl.issuerHash] = StoredCrl({blob: blob, thisUpdate: uint40(crl.thisUpdate), nextUpdate: uint40(crl.nextUpdate)});
        emit CrlUpdated(kind, crl.issuerHash, uint64(crl.thisUpdate), uint64(crl.nextUpdate), crl.revokedSerialHashes);
    }

    /**
     * @notice Whether the stored CRL of the issuer lists the serial; with that CRL's nextUpdate (the caller
     * applies its freshness policy). Reverts {CrlNotStored} when the issuer has no CRL.
     * @param issuerSubjectHash keccak256 of the issuer's DER subject name
     * @param serialHash keccak256 of the serial's magnitude bytes (the PCK cache's serial hashes)
     */
    function isRevoked(bytes32 issuerSubjectHash, bytes32 serialHash) external view returns (bool revoked, uint64 nextUpdate) {
        StoredCrl memory stored = _crls[issuerSubjectHash];
        if (stored.blob == address(0)) revert CrlNotStored(issuerSubjectHash);
        nextUpdate = stored.nextUpdate;
        uint256 length = stored.blob.code.length - 1;
        bytes memory hashes = SStore2.read(stored.blob, 0, length);
        for (uint256 offset = 0; offset < length; offset += HASH_BYTES) {
            bytes32 h;
            assembly ("memory-safe") {
                h := mload(add(add(hashes, 0x20), offset))
            }
            if (h == serialHash) return (true, nextUpdate);
        }
    }

    /// @notice The time upserts are checked at: `block.timestamp` (a test harness replays Intel's 2025 CRLs at their time).
    function _now() internal view virtual returns (uint256) {
        return block.timestamp;
    }

    function _issuedBy(DcapCrl.Crl memory crl, DcapCertificate.Issuer memory issuer) private pure returns (bool) {
        return crl.issuerLength == issuer.subjectLength && crl.issuerHash == issuer.subjectHash;
    }
}
