// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {DcapQuote} from "./DcapQuote.sol";
import {P256} from "./P256.sol";

/// @notice The QE report's signature does not verify under the PCK key.
error QeReportSignatureInvalid();
/// @notice The QE report data is not SHA-256(attestation key || QE auth data) || 32 zero bytes.
error QeReportDataMismatch(bytes expected, bytes actual);
/// @notice The attestation key is not a point on P-256.
error AttestationKeyInvalid();
/// @notice The quote's header || ISV report is not signed by the attestation key.
error QuoteSignatureInvalid();

/**
 * @title QuoteSignatures
 * @notice Steps 7 and 9 of docs/attestation-dcap.md over a decoded quote: the QE report signed by the PCK
 * key and bound to the attestation key, then the quote signed by the attestation key. The same rules and
 * errors as src/attestation/dcap/verifier.ts `checkQeReport` and `checkQuoteSignature`.
 */
library QuoteSignatures {
    uint256 private constant REPORT_DATA_OFFSET = 320;
    uint256 private constant REPORT_DATA_LENGTH = 64;
    uint256 private constant HALF = 32;

    /// @notice Step 7: the QE report under the PCK key (x, y), and its report data.
    function checkQeReport(bytes calldata quote, DcapQuote.Layout memory q, bytes32 pckX, bytes32 pckY) internal view {
        checkQeReport(quote, q, pckX, pckY, P256.verify);
    }

    /// @notice {checkQeReport} with the P-256 verification `p256` (the path a verifier's probe chose).
    function checkQeReport(
        bytes calldata quote,
        DcapQuote.Layout memory q,
        bytes32 pckX,
        bytes32 pckY,
        function(bytes32, bytes32, bytes32, bytes32, bytes32) internal view returns (bool) p256
    ) internal view {
        bytes32 digest = sha256(quote[q.qeReport:q.qeReport + DcapQuote.REPORT_LENGTH]);
        (bytes32 r, bytes32 s) = _pair(quote, q.qeReportSignature);
        if (!p256(digest, r, s, pckX, pckY)) revert QeReportSignatureInvalid();
        bytes32 binding = sha256(
            bytes.concat(
                quote[q.attestationKey:q.attestationKey + DcapQuote.KEY_LENGTH], quote[q.qeAuthData:q.qeAuthData + q.qeAuthDataLength]
            )
        );
        uint256 at = q.qeReport + REPORT_DATA_OFFSET;
        (bytes32 low, bytes32 high) = _pair(quote, at);
        if (low != binding || high != bytes32(0)) {
            revert QeReportDataMismatch(abi.encodePacked(binding, bytes32(0)), quote[at:at + REPORT_DATA_LENGTH]);
        }
    }

    /// @notice Step 9: the attestation key on the curve, and the signature over the first 432 bytes.
    function checkQuoteSignature(bytes calldata quote, DcapQuote.Layout memory q) internal view {
        checkQuoteSignature(quote, q, P256.verify);
    }

    /// @notice {checkQuoteSignature} with the P-256 verification `p256` (the path a verifier's probe chose).
    function checkQuoteSignature(
        bytes calldata quote,
        DcapQuote.Layout memory q,
        function(bytes32, bytes32, bytes32, bytes32, bytes32) internal view returns (bool) p256
    ) internal view {
        (bytes32 x, bytes32 y) = _pair(quote, q.attestationKey);
        if (!P256.isOnCurve(uint256(x), uint256(y))) revert AttestationKeyInvalid();
        (bytes32 r, bytes32 s) = _pair(quote, q.isvSignature);
        if (!p256(sha256(quote[:DcapQuote.SIGNED_LENGTH]), r, s, x, y)) revert QuoteSignatureInvalid();
    }

    /// @dev Two 32-byte words at `offset` (r || s, or x || y).
    function _pair(bytes calldata quote, uint256 offset) private pure returns (bytes32 a, bytes32 b) {
        a = bytes32(quote[offset:offset + HALF]);
        b = bytes32(quote[offset + HALF:offset + 2 * HALF]);
    }
}
