// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DcapQuote} from "../attestation/dcap/DcapQuote.sol";
import {DcapCertificate} from "../attestation/dcap/DcapCertificate.sol";
import {CertificateRole} from "../attestation/dcap/DcapErrors.sol";
import {P256} from "../attestation/dcap/P256.sol";
import {PckChain} from "../attestation/dcap/PckChain.sol";
import {Pem} from "../attestation/dcap/Pem.sol";
import {QuoteSignatures} from "../attestation/dcap/QuoteSignatures.sol";

/**
 * @title DcapProbe
 * @notice Test-only harness: the DCAP libraries (quote layout, PEM, X.509, PCK chain, P256VERIFY) as external
 * calls, for the differential tests against the TypeScript verifier and the gas rows. Not deployed anywhere.
 */
contract DcapProbe {
    PckChain.PinnedRoot private root;

    /// @param rootDer the root to pin (Intel SGX Root CA, or a test root)
    constructor(bytes memory rootDer) {
        root = PckChain.pin(rootDer);
    }

    /// @notice {DcapQuote.decode}.
    function decodeQuote(bytes calldata quote) external pure returns (DcapQuote.Layout memory) {
        return DcapQuote.decode(quote);
    }

    /// @notice {Pem.split}.
    function splitPem(bytes memory pem) external pure returns (bytes[] memory ders, uint256 count) {
        return Pem.split(pem);
    }

    /// @notice {DcapCertificate.parse}.
    function parseCertificate(bytes memory der, CertificateRole role) external pure returns (DcapCertificate.Certificate memory) {
        return DcapCertificate.parse(der, role);
    }

    /// @notice {P256.verify} of r || s over `digest` under x || y.
    function p256Verify(bytes32 digest, bytes32 r, bytes32 s, bytes32 x, bytes32 y) external view returns (bool) {
        return P256.verify(digest, r, s, x, y);
    }

    /// @notice {PckChain.verify} of a PEM chain under the pinned root at `now_`.
    function verifyPckChain(bytes memory pem, uint256 now_) external view returns (PckChain.Verified memory) {
        return PckChain.verify(pem, root, now_);
    }

    /// @notice Decodes a quote and verifies its PCK chain at `now_`; with the gas the chain took.
    function verifyQuotePckChain(bytes calldata quote, uint256 now_)
        external
        view
        returns (PckChain.Verified memory v, uint256 chainGas)
    {
        DcapQuote.Layout memory q = DcapQuote.decode(quote);
        uint256 before = gasleft();
        v = PckChain.verify(quote[q.pckChain:q.pckChain + q.pckChainLength], root, now_);
        chainGas = before - gasleft();
    }

    /// @notice Decodes `quote`, then {QuoteSignatures.checkQeReport} under the PCK key (x, y) and
    /// {QuoteSignatures.checkQuoteSignature}; with the gas of the two checks.
    function checkQuoteSignatures(bytes calldata quote, bytes32 pckX, bytes32 pckY) external view returns (uint256 signaturesGas) {
        DcapQuote.Layout memory q = DcapQuote.decode(quote);
        uint256 before = gasleft();
        QuoteSignatures.checkQeReport(quote, q, pckX, pckY);
        QuoteSignatures.checkQuoteSignature(quote, q);
        signaturesGas = before - gasleft();
    }
}
