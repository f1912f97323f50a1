// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DcapCertificate} from "./DcapCertificate.sol";
import {DerReader} from "./DerReader.sol";
import {P256Verifier} from "./P256Verifier.sol";
import {Pem} from "./Pem.sol";
import {SgxExtension} from "./SgxExtension.sol";
import {
    CertificateIssuerMismatch,
    CertificateNotValidAt,
    CertificateRole,
    CertificateSignatureInvalid,
    PckChainLengthInvalid,
    RootCaNotPinned
} from "./DcapErrors.sol";

/**
 * @title PckChain
 * @notice The pinned Intel SGX Root CA and the PCK chain a quote carries (PCK certificate, PCK CA, root):
 * x509.ts `pinRoot` and `checkPckChain`, rule for rule. The result is what a verifier caches per chain.
 */
library PckChain {
    using DerReader for bytes;

    /// @notice The pinned root, reduced to what the checks need.
    struct PinnedRoot {
        bytes32 derHash;
        DcapCertificate.Issuer issuer;
        uint64 notBefore;
        uint64 notAfter;
    }

    /// @notice A verified PCK chain: the PCK key, the platform's TCB, serials and validity windows (for re-checks at a later time).
    struct Verified {
        bytes32 pckKeyX;
        bytes32 pckKeyY;
        SgxExtension.PlatformTcb tcb;
        bytes pckSerial;
        bytes pckCaSerial;
        uint64 pckCaNotBefore;
        uint64 pckCaNotAfter;
        uint64 pckNotBefore;
        uint64 pckNotAfter;
        /// @dev keccak256 of the PCK CA's DER subject: the issuer key of its CRL in {DcapCrls}.
        bytes32 pckCaSubjectHash;
    }

    /// @notice A verified TCB Signing chain (TCB Signing certificate, root): the key collateral is signed with.
    struct TcbSigner {
        bytes32 keyX;
        bytes32 keyY;
        bytes serial;
        uint64 notBefore;
        uint64 notAfter;
    }

    uint256 private constant PCK_CHAIN_LENGTH = 3;
    /// @dev Two-certificate chains (TCB Signing or PCK CA, then the root).
    uint256 private constant TCB_SIGNING_CHAIN_LENGTH = 2;
    uint256 private constant INDEX_TCB_SIGNING = 0;
    uint256 private constant INDEX_TCB_ROOT = 1;
    uint256 private constant INDEX_PCK = 0;
    uint256 private constant INDEX_PCK_CA = 1;
    uint256 private constant INDEX_ROOT = 2;

    /// @notice Parses and checks a root to pin: self-issued, self-signed, a CA with keyCertSign and cRLSign.
    function pin(bytes memory der) internal view returns (PinnedRoot memory root) {
        return pin(der, true);
    }

    /// @notice {pin} with the self-signature checked on the P-256 path chosen by {P256Verifier}.
    function pin(bytes memory der, bool usePrecompile) internal view returns (PinnedRoot memory root) {
        DcapCertificate.Certificate memory c = DcapCertificate.parse(der, CertificateRole.Root);
        DcapCertificate.Issuer memory self = DcapCertificate.asIssuer(der, c);
        if (c.issuerEnd - c.issuerStart != self.subjectLength || der.spanHash(c.issuerStart, c.issuerEnd) != self.subjectHash) {
            revert CertificateIssuerMismatch(CertificateRole.Root);
        }
        if (!c.signatureWellFormed || !_verifies(der, c, self, usePrecompile)) revert CertificateSignatureInvalid(CertificateRole.Root);
        DcapCertificate.checkUsage(c);
        root = PinnedRoot({derHash: keccak256(der), issuer: self, notBefore: uint64(c.notBefore), notAfter: uint64(c.notAfter)});
    }

    function _verifies(bytes memory der, DcapCertificate.Certificate memory c, DcapCertificate.Issuer memory by, bool usePrecompile)
        private
        view
        returns (bool)
    {
        return P256Verifier.verify(usePrecompile, der.spanSha256(c.tbsStart, c.tbsEnd), c.sigR, c.sigS, by.keyX, by.keyY);
    }

    /// @notice The chain's root must be the pinned root byte for byte, and valid at `now_`.
    function checkRoot(bytes memory der, PinnedRoot memory root, uint256 now_) internal pure {
        if (keccak256(der) != root.derHash) revert RootCaNotPinned(CertificateRole.Root);
        if (now_ < root.notBefore || now_ > root.notAfter) {
            revert CertificateNotValidAt(CertificateRole.Root, root.notBefore, root.notAfter, now_);
        }
    }

    /// @notice Checks the PEM chain under `root` at `now_` and reads the SGX extension.
    function verify(bytes memory pem, PinnedRoot memory root, uint256 now_) internal view returns (Verified memory v) {
        return verify(pem, root, now_, true);
    }

    /// @notice {verify} with the certificate signatures checked on the P-256 path chosen by {P256Verifier}.
    function verify(bytes memory pem, PinnedRoot memory root, uint256 now_, bool usePrecompile)
        internal
        view
        returns (Verified memory v)
    {
        (bytes[] memory ders, uint256 count) = Pem.split(pem);
        if (count != PCK_CHAIN_LENGTH) revert PckChainLengthInvalid(count);
        checkRoot(ders[INDEX_ROOT], root, now_);
        bytes memory pckCaDer = ders[INDEX_PCK_CA];
        DcapCertificate.Certificate memory pckCa = DcapCertificate.parse(pckCaDer, CertificateRole.PckCa);
        DcapCertificate.checkIssuedBy(pckCaDer, pckCa, root.issuer, now_, usePrecompile);
        bytes memory pckDer = ders[INDEX_PCK];
        DcapCertificate.Certificate memory pck = DcapCertificate.parse(pckDer, CertificateRole.Pck);
        DcapCertificate.Issuer memory pckCaIssuer = DcapCertificate.asIssuer(pckCaDer, pckCa);
        DcapCertificate.checkIssuedBy(pckDer, pck, pckCaIssuer, now_, usePrecompile);
        v.pckCaSubjectHash = pckCaIssuer.subjectHash;
        v.tcb = SgxExtension.read(pckDer, pck);
        (v.pckKeyX, v.pckKeyY) = (pck.keyX, pck.keyY);
        v.pckSerial = _slice(pckDer, pck.serialStart, pck.serialEnd);
        v.pckCaSerial = _slice(pckCaDer, pckCa.serialStart, pckCa.serialEnd);
        (v.pckCaNotBefore, v.pckCaNotAfter) = (uint64(pckCa.notBefore), uint64(pckCa.notAfter));
        (v.pckNotBefore, v.pckNotAfter) = (uint64(pck.notBefore), uint64(pck.notAfter));
    }

    /**
     * @notice Checks the TCB Signing chain (PEM, as the PCS header `TCB-Info-Issuer-Chain`: the TCB Signing
     * certificate, then the root) under `root` at `now_` (x509.ts `checkTcbSigningChain`).
     */
    function verifyTcbSigning(bytes memory pem, PinnedRoot memory root, uint256 now_) internal view returns (TcbSigner memory t) {
        (bytes[] memory ders, uint256 count) = Pem.split(pem);
        if (count != TCB_SIGNING_CHAIN_LENGTH) revert PckChainLengthInvalid(count);
        checkRoot(ders[INDEX_TCB_ROOT], root, now_);
        bytes memory der = ders[INDEX_TCB_SIGNING];
        DcapCertificate.Certificate memory c = DcapCertificate.parse(der, CertificateRole.TcbSigning);
        DcapCertificate.checkIssuedBy(der, c, root.issuer, now_);
        t = TcbSigner({
            keyX: c.keyX,
            keyY: c.keyY,
            serial: _slice(der, c.serialStart, c.serialEnd),
            notBefore: uint64(c.notBefore),
            notAfter: uint64(c.notAfter)
        });
    }

    /**
     * @notice Checks a CRL issuer chain (PEM, as the PCS header `SGX-PCK-CRL-Issuer-Chain`: the PCK Platform or
     * Processor CA certificate, then the root) under `root` at `now_` (x509.ts `checkPckCaChain`).
     */
    function verifyPckCa(bytes memory pem, PinnedRoot memory root, uint256 now_) internal view returns (DcapCertificate.Issuer memory) {
        (bytes[] memory ders, uint256 count) = Pem.split(pem);
        if (count != TCB_SIGNING_CHAIN_LENGTH) revert PckChainLengthInvalid(count);
        checkRoot(ders[INDEX_TCB_ROOT], root, now_);
        bytes memory der = ders[INDEX_TCB_SIGNING];
        DcapCertificate.Certificate memory c = DcapCertificate.parse(der, CertificateRole.PckCa);
        DcapCertificate.checkIssuedBy(der, c, root.issuer, now_);
        return DcapCertificate.asIssuer(der, c);
    }

    /// @notice The validity checks of `verify` for a chain verified earlier (root, PCK CA, PCK, in that order).
    function checkValidityAgain(Verified memory v, PinnedRoot memory root, uint256 now_) internal pure {
        if (now_ < root.notBefore || now_ > root.notAfter) {
            revert CertificateNotValidAt(CertificateRole.Root, root.notBefore, root.notAfter, now_);
        }
        if (now_ < v.pckCaNotBefore || now_ > v.pckCaNotAfter) {
            revert CertificateNotValidAt(CertificateRole.PckCa, v.pckCaNotBefore, v.pckCaNotAfter, now_);
        }
        if (now_ < v.pckNotBefore || now_ > v.pckNotAfter) {
            revert CertificateNotValidAt(CertificateRole.Pck, v.pckNotBefore, v.pckNotAfter, now_);
        }
    }

    function _slice(bytes memory b, uint256 start, uint256 end) private pure returns (bytes memory out) {
        out = new bytes(end - start);
        for (uint256 i = 0; i < out.length; ++i) {
            out[i] = b[start + i];
        }
    }
}
