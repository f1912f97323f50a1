// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {CollateralJson} from "./CollateralJson.sol";
import {DerReader} from "./DerReader.sol";
import {P256} from "./P256.sol";
import {CollateralKind, CollateralMalformed, CollateralSignatureInvalid, CollateralNotYetValid, CollateralExpired} from "./DcapErrors.sol";

/**
 * @title SignedCollateral
 * @notice A PCS collateral body `{"<field>":{…},"signature":"<128 hex>"}` (trailing whitespace allowed): the
 * signed object's span and the r ‖ s signature, found exactly as collateral.ts `splitSignedCollateral` finds
 * them (the same offsets in `CollateralMalformed`); the TCB Signing key's signature over the span; freshness.
 */
library SignedCollateral {
    using DerReader for bytes;

    /// @notice Where the signed object lies in the body, and its signature.
    struct Span {
        uint256 start;
        uint256 end;
        bytes32 r;
        bytes32 s;
    }

    uint256 private constant OPEN_OBJECT = 0x7b;
    uint256 private constant SIGNATURE_HEX_LENGTH = 128;
    uint256 private constant HALF_SIGNATURE_HEX_LENGTH = 64;
    uint256 private constant WHITESPACE_SET = (1 << 0x20) | (1 << 0x09) | (1 << 0x0a) | (1 << 0x0d);
    bytes private constant SIGNATURE_MIDDLE = ',"signature":"';
    bytes private constant SIGNATURE_END = '"}';

    /// @notice Splits `body` whose object is under `field` (`tcbInfo`, `enclaveIdentity`).
    function split(bytes memory body, CollateralKind kind, bytes memory field) internal pure returns (Span memory span) {
        bytes memory prefix = abi.encodePacked('{"', field, '":');
        if (!_startsWith(body, 0, prefix)) revert CollateralMalformed(kind, 0);
        uint256 start = prefix.length;
        if (start >= body.length || body.byteAt(start) != OPEN_OBJECT) revert CollateralMalformed(kind, start);
        (bool found, uint256 end) = _objectEnd(body, start);
        if (!found) revert CollateralMalformed(kind, start);
        if (!_startsWith(body, end, SIGNATURE_MIDDLE)) revert CollateralMalformed(kind, end);
        uint256 sigStart = end + SIGNATURE_MIDDLE.length;
        (bool okR, bytes32 r) = _hex32(body, sigStart);
        (bool okS, bytes32 s) = _hex32(body, sigStart + HALF_SIGNATURE_HEX_LENGTH);
        if (!okR || !okS) revert CollateralMalformed(kind, sigStart);
        uint256 p = sigStart + SIGNATURE_HEX_LENGTH;
        if (!_startsWith(body, p, SIGNATURE_END)) revert CollateralMalformed(kind, p);
        p += SIGNATURE_END.length;
        while (p < body.length && (WHITESPACE_SET >> body.byteAt(p)) & 1 == 1) ++p;
        if (p != body.length) revert CollateralMalformed(kind, p);
        span = Span({start: start, end: end, r: r, s: s});
    }

    /// @notice The signature over the span must verify under the signer's key (x, y).
    function checkSignature(bytes memory body, Span memory span, CollateralKind kind, bytes32 x, bytes32 y) internal view {
        if (!P256.verify(body.spanSha256(span.start, span.end), span.r, span.s, x, y)) {
            revert CollateralSignatureInvalid(kind);
        }
    }

    /// @notice issueDate <= now <= nextUpdate + grace (collateral.ts `checkFreshness`).
    function checkFreshness(CollateralKind kind, uint256 issueDate, uint256 nextUpdate, uint256 now_, uint256 grace) internal pure {
        if (now_ < issueDate) revert CollateralNotYetValid(kind, issueDate, now_);
        if (now_ > nextUpdate + grace) revert CollateralExpired(kind, nextUpdate, now_);
    }

    /**
     * @dev collateral.ts `objectEnd`: brackets counted outside strings, the byte after a backslash skipped; an
     * object closed by `]` fails. Assembly: one pass over the body, about 25 gas a byte.
     */
    function _objectEnd(bytes memory b, uint256 start) private pure returns (bool found, uint256 end) {
        assembly ("memory-safe") {
            let data := add(b, 0x20)
            let n := mload(b)
            let depth := 0
            let inString := 0
            for { let i := start } lt(i, n) { i := add(i, 1) } {
                let c := byte(0, mload(add(data, i)))
                switch inString
                case 1 {
                    if eq(c, 0x5c) { i := add(i, 1) } // backslash: skip the escaped byte
                    if eq(c, 0x22) { inString := 0 } // closing quote
                }
                default {
                    if eq(c, 0x22) { inString := 1 }
                    // { and [ (0x7b, 0x5b) open, } and ] (0x7d, 0x5d) close
                    if eq(and(c, 0xdf), 0x5b) { depth := add(depth, 1) }
                    if eq(and(c, 0xdf), 0x5d) {
                        depth := sub(depth, 1)
                        if iszero(depth) {
                            found := eq(c, 0x7d)
                            end := add(i, 1)
                            break
                        }
                    }
                }
            }
        }
    }

    function _hex32(bytes memory b, uint256 at) private pure returns (bool ok, bytes32 value) {
        if (at + HALF_SIGNATURE_HEX_LENGTH > b.length) return (false, 0);
        uint256 v;
        for (uint256 k = 0; k < HALF_SIGNATURE_HEX_LENGTH; ++k) {
            uint256 d = CollateralJson.hexValue(b.byteAt(at + k));
            if (d > 0xf) return (false, 0);
            v = (v << 4) | d;
        }
        return (true, bytes32(v));
    }

    function _startsWith(bytes memory b, uint256 at, bytes memory text) private pure returns (bool) {
        if (at + text.length > b.length) return false;
        return b.spanHash(at, at + text.length) == keccak256(text);
    }
}
