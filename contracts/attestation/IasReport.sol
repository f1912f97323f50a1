// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Base64} from "../lib/Base64.sol";
import {DateTime} from "../lib/DateTime.sol";
import {SgxQuote} from "./SgxQuote.sol";

/**
 * @title IasReport
 * @notice Parses the body of an Intel IAS attestation-verification report (JSON, read in place
 * from calldata) into the fields Anonify relies on. Steps 4-7 of docs/attestation-onchain.md:
 * JSON scan, field rules, quote-body decoding, timestamp; signature and policy are the caller's.
 * @dev The scanner is hand-written assembly for the strict grammar of step 4 (RFC 8259 strings, keys
 * and numbers; audit F-7): strings are skipped 32 bytes at a time with a SWAR test for `"`, `\` and
 * control bytes, so the ~600-byte quote body costs a few dozen word operations; escapes, keys and
 * numbers are checked byte by byte only where they occur.
 */
library IasReport {
    /// @notice What a verified report says; see docs/attestation-onchain.md for each field.
    struct Verified {
        uint64 timestamp;
        uint8 version;
        bytes32 statusHash;
        bytes32 mrenclave;
        bytes32 mrsigner;
        uint16 isvProdId;
        uint16 isvSvn;
        bool debug;
        bytes32 reportDataLow;
        bytes32 reportDataHigh;
    }

    /// @notice The report is not the JSON accepted here; `offset` is where parsing stopped.
    error ReportMalformed(uint256 offset);
    /// @notice A known key appears twice.
    error ReportFieldDuplicated(string field);
    /// @notice A required field is absent.
    error ReportFieldMissing(string field);
    /// @notice A field has the wrong type or an invalid value.
    error ReportFieldInvalid(string field);
    /// @notice `isvEnclaveQuoteBody` is not strict standard base64.
    error QuoteBodyEncodingInvalid();
    /// @notice `isvEnclaveQuoteBody` does not decode to 432 bytes.
    error QuoteBodyLengthInvalid(uint256 length);
    /// @notice `timestamp` is not `YYYY-MM-DDTHH:MM:SS[.ffffff]` with valid ranges.
    error ReportTimestampInvalid();

    // Indexes of the known keys; the first five are recorded by the scanner.
    uint256 private constant FIELD_ID = 0;
    uint256 private constant FIELD_TIMESTAMP = 1;
    uint256 private constant FIELD_VERSION = 2;
    uint256 private constant FIELD_STATUS = 3;
    uint256 private constant FIELD_BODY = 4;
    uint256 private constant RECORDED_FIELDS = 5;
    uint256 private constant FIELD_NONCE = 5;
    uint256 private constant FIELD_EPID_PSEUDONYM = 6;
    uint256 private constant FIELD_ADVISORY_URL = 7;
    uint256 private constant FIELD_ADVISORY_IDS = 8;
    uint256 private constant FIELD_PLATFORM_INFO_BLOB = 9;
    uint256 private constant FIELD_REVOCATION_REASON = 10;
    uint256 private constant FIELD_PSE_MANIFEST_STATUS = 11;
    uint256 private constant FIELD_PSE_MANIFEST_HASH = 12;
    // 13: tcbEvaluationDataNumber (the last; keyIndex() returns 0xff for unknown keys)

    // Kinds of a recorded value (kept in bits 128.. of its slot).
    uint256 private constant KIND_ABSENT = 0;
    uint256 private constant KIND_STRING = 1;
    uint256 private constant KIND_ESCAPED_STRING = 2;
    uint256 private constant KIND_NUMBER = 3;
    uint256 private constant KIND_OTHER = 4;
    /// @dev The kinds of id, timestamp, status and body packed a byte each: all KIND_STRING.
    uint256 private constant ALL_PLAIN_STRINGS = 0x01010101;

    uint8 internal constant DEFAULT_VERSION = 2;
    uint256 private constant MIN_VERSION_DIGIT = 0x32; // '2'
    uint256 private constant MAX_VERSION_DIGIT = 0x35; // '5'

    uint256 private constant TIMESTAMP_LENGTH = 19; // YYYY-MM-DDTHH:MM:SS
    uint256 private constant TIMESTAMP_MAX_LENGTH = 26; // ... plus .ffffff
    uint256 private constant MAX_REPORT_LENGTH = type(uint64).max;

    /// @dev How IAS ends a report: `"isvEnclaveQuoteBody":"` (23 bytes), the 576 base64 characters of the
    /// 432-byte quote body, then `"}` ({_trailingBody}).
    bytes23 private constant TRAILING_BODY_PREFIX = '"isvEnclaveQuoteBody":"';
    uint256 private constant TRAILING_BODY_CHARS = 576;
    bytes2 private constant TRAILING_BODY_SUFFIX = '"}';

    /**
     * @notice Steps 4-7 except the certificate-validity comparison: returns the verified fields
     * and the status string (a slice of `report`) for the policy's error message.
     */
    function parse(bytes calldata report) internal pure returns (Verified memory v, bytes calldata status) {
        // Recorded spans are packed as 64-bit offsets.
        if (report.length > MAX_REPORT_LENGTH) revert ReportMalformed(MAX_REPORT_LENGTH);
        (uint256 trailing, bytes memory quote) = _trailingBody(report);
        uint256[RECORDED_FIELDS] memory fields = _scan(report, trailing);

        // One comparison on the common path; the ordered checks only run when something is wrong.
        uint256 kinds = (fields[FIELD_ID] >> 128) | ((fields[FIELD_TIMESTAMP] >> 128) << 8)
            | ((fields[FIELD_STATUS] >> 128) << 16) | ((fields[FIELD_BODY] >> 128) << 24);
        if (kinds != ALL_PLAIN_STRINGS) _revertFieldError(fields);
        v.version = _version(report, fields[FIELD_VERSION]);

        // The body decoded before the scan is reused when the scan recorded it at the same place (then it is
        // the same span: a member's string value starting there is skipped to its known end).
        bool valid = true;
        if (trailing == 0 || uint64(fields[FIELD_BODY] >> 64) != trailing) {
            (valid, quote) = Base64.decode(_slice(report, fields[FIELD_BODY]));
        }
        if (!valid) revert QuoteBodyEncodingInvalid();
        if (quote.length != SgxQuote.BODY_LENGTH) revert QuoteBodyLengthInvalid(quote.length);

        v.timestamp = parseTimestamp(_slice(report, fields[FIELD_TIMESTAMP]));

        status = _slice(report, fields[FIELD_STATUS]);
        v.statusHash = keccak256(status);
        v.mrenclave = SgxQuote.word(quote, SgxQuote.MRENCLAVE_OFFSET);
        v.mrsigner = SgxQuote.word(quote, SgxQuote.MRSIGNER_OFFSET);
        v.isvProdId = SgxQuote.uint16LE(quote, SgxQuote.ISV_PROD_ID_OFFSET);
        v.isvSvn = SgxQuote.uint16LE(quote, SgxQuote.ISV_SVN_OFFSET);
        v.debug = SgxQuote.isDebug(quote);
        v.reportDataLow = SgxQuote.word(quote, SgxQuote.REPORT_DATA_OFFSET);
        v.reportDataHigh = SgxQuote.word(quote, SgxQuote.REPORT_DATA_HIGH_OFFSET);
    }

    /**
     * @notice `YYYY-MM-DDTHH:MM:SS[.f{1,6}]` (UTC) -> unix seconds; the fraction is dropped.
     * @dev Reverts {ReportTimestampInvalid}.
     */
    function parseTimestamp(bytes calldata ts) internal pure returns (uint64) {
        uint256 n = ts.length;
        if (n != TIMESTAMP_LENGTH && (n < TIMESTAMP_LENGTH + 2 || n > TIMESTAMP_MAX_LENGTH)) {
            revert ReportTimestampInvalid();
        }
        bool ok;
        uint256 packed; // year << 40 | month << 32 | day << 24 | hour << 16 | minute << 8 | second
        assembly ("memory-safe") {
            let w := calldataload(ts.offset) // the whole timestamp fits in one word
            let highBits := 0x8080808080808080808080808080808080808080808080808080808080808080
            let ones := 0x0101010101010101010101010101010101010101010101010101010101010101
            // '-' @4, '-' @7, 'T' @10, ':' @13, ':' @16; digits at the other places of the first 19
            let separatorMask := 0x00000000ff0000ff0000ff0000ff0000ff000000000000000000000000000000
            let separators := 0x000000002d00002d00005400003a00003a000000000000000000000000000000
            let digitMask := 0x8080808000808000808000808000808000808000000000000000000000000000
            if gt(n, TIMESTAMP_LENGTH) {
                separatorMask := or(separatorMask, shl(96, 0xff)) // '.' @19
                separators := or(separators, shl(96, 0x2e))
                // fraction digits @20..n-1
                digitMask := or(digitMask, and(and(not(shr(shl(3, n), not(0))), shr(160, not(0))), highBits))
            }
            // byte-wise '0' <= b <= '9' (borrow-free on b | 0x80; bytes >= 0x80 excluded by not(w))
            let wh := or(w, highBits)
            let isDigit := and(and(sub(wh, mul(0x30, ones)), not(sub(wh, mul(0x3a, ones)))), not(w))
            ok := and(eq(and(isDigit, digitMask), digitMask), eq(and(w, separatorMask), separators))
            // digit values (meaningful only when ok)
            let v := xor(w, mul(0x30, ones)) // digit bytes 0x30..0x39 -> 0..9, no borrows
            packed := or(
                shl(40, add(add(mul(byte(0, v), 1000), mul(byte(1, v), 100)), add(mul(byte(2, v), 10), byte(3, v)))),
                or(
                    or(shl(32, add(mul(byte(5, v), 10), byte(6, v))), shl(24, add(mul(byte(8, v), 10), byte(9, v)))),
                    or(
                        shl(16, add(mul(byte(11, v), 10), byte(12, v))),
                        or(shl(8, add(mul(byte(14, v), 10), byte(15, v))), add(mul(byte(17, v), 10), byte(18, v)))
                    )
                )
            )
        }
        if (!ok) revert ReportTimestampInvalid();
        return _unixSeconds(packed);
    }

    /// @dev Unpacks the fields packed by {parseTimestamp}, checks the ranges, converts.
    function _unixSeconds(uint256 packed) private pure returns (uint64) {
        uint256 year = packed >> 40;
        uint256 month = (packed >> 32) & 0xff;
        uint256 day = (packed >> 24) & 0xff;
        uint256 hour = (packed >> 16) & 0xff;
        uint256 minute = (packed >> 8) & 0xff;
        uint256 second = packed & 0xff;
        if (!DateTime.isValid(year, month, day, hour, minute, second)) revert ReportTimestampInvalid();
        return uint64(DateTime.toUnixSeconds(year, month, day, hour, minute, second));
    }

    /// @notice Name of known key `index` (for error arguments).
    function fieldName(uint256 index) internal pure returns (string memory) {
        if (index == FIELD_ID) return "id";
        if (index == FIELD_TIMESTAMP) return "timestamp";
        if (index == FIELD_VERSION) return "version";
        if (index == FIELD_STATUS) return "isvEnclaveQuoteStatus";
        if (index == FIELD_BODY) return "isvEnclaveQuoteBody";
        if (index == FIELD_NONCE) return "nonce";
        if (index == FIELD_EPID_PSEUDONYM) return "epidPseudonym";
        if (index == FIELD_ADVISORY_URL) return "advisoryURL";
        if (index == FIELD_ADVISORY_IDS) return "advisoryIDs";
        if (index == FIELD_PLATFORM_INFO_BLOB) return "platformInfoBlob";
        if (index == FIELD_REVOCATION_REASON) return "revocationReason";
        if (index == FIELD_PSE_MANIFEST_STATUS) return "pseManifestStatus";
        if (index == FIELD_PSE_MANIFEST_HASH) return "pseManifestHash";
        return "tcbEvaluationDataNumber";
    }

    /// @dev Reverts with the first field error in the documented order (presence, then kind).
    function _revertFieldError(uint256[RECORDED_FIELDS] memory fields) private pure {
        _requirePresent(fields, FIELD_ID);
        _requirePresent(fields, FIELD_TIMESTAMP);
        _requirePresent(fields, FIELD_STATUS);
        _requirePresent(fields, FIELD_BODY);
        _requirePlainString(fields, FIELD_ID);
        _requirePlainString(fields, FIELD_TIMESTAMP);
        _requirePlainString(fields, FIELD_STATUS);
        _requirePlainString(fields, FIELD_BODY);
    }

    function _requirePresent(uint256[RECORDED_FIELDS] memory fields, uint256 index) private pure {
        if (fields[index] >> 128 == KIND_ABSENT) revert ReportFieldMissing(fieldName(index));
    }

    function _requirePlainString(uint256[RECORDED_FIELDS] memory fields, uint256 index) private pure {
        if (fields[index] >> 128 != KIND_STRING) revert ReportFieldInvalid(fieldName(index));
    }

    /// @dev Absent -> 2; otherwise exactly one digit '2'..'5'.
    function _version(bytes calldata report, uint256 field) private pure returns (uint8) {
        uint256 kind = field >> 128;
        if (kind == KIND_ABSENT) return DEFAULT_VERSION;
        bytes calldata token = _slice(report, field);
        if (kind != KIND_NUMBER || token.length != 1) revert ReportFieldInvalid(fieldName(FIELD_VERSION));
        uint256 digit = uint8(token[0]);
        if (digit < MIN_VERSION_DIGIT || digit > MAX_VERSION_DIGIT) revert ReportFieldInvalid(fieldName(FIELD_VERSION));
        return uint8(digit - 0x30);
    }

    /// @dev Value span of a recorded field: bits 64..127 start, 0..63 end (offsets into `report`).
    function _slice(bytes calldata report, uint256 field) private pure returns (bytes calldata) {
        return report[uint64(field >> 64):uint64(field)];
    }

    /**
     * @dev IAS ends a report with its quote body: `..."isvEnclaveQuoteBody":"<576 characters>"}`. When `report`
     * ends so and the 576 characters are valid base64, they are decoded here, before the scan, which then skips a
     * member's string value starting at them: no base64 character is a quote, a backslash or a control byte, so the
     * string scan would stop at the same closing quote with no escape. The base64 decoder validates every character
     * anyway, so the body is read once instead of twice. Nothing here reverts and the scan's result is the same:
     * the errors and their order do not change. Any other layout, or invalid characters, take the general path.
     * @return start offset of the 576 characters in `report`, 0 if the report does not end so
     * @return quote their decoding (only when `start` is not 0)
     */
    function _trailingBody(bytes calldata report) private pure returns (uint256 start, bytes memory quote) {
        uint256 n = report.length;
        if (n < TRAILING_BODY_PREFIX.length + TRAILING_BODY_CHARS + TRAILING_BODY_SUFFIX.length) return (0, quote);
        uint256 suffixStart = n - TRAILING_BODY_SUFFIX.length;
        uint256 bodyStart = suffixStart - TRAILING_BODY_CHARS;
        if (
            bytes2(report[suffixStart:]) != TRAILING_BODY_SUFFIX
                || bytes23(report[bodyStart - TRAILING_BODY_PREFIX.length:bodyStart]) != TRAILING_BODY_PREFIX
        ) return (0, quote);
        bool valid;
        (valid, quote) = Base64.decode(report[bodyStart:suffixStart]);
        if (valid) start = bodyStart;
    }

    /**
     * @dev Step 4. Scans the whole report; records kind and span of the first five known keys;
     * reverts {ReportMalformed} (from assembly) or {ReportFieldDuplicated}. `trailing`: offset of a trailing
     * quote body already validated by {_trailingBody} (0: none).
     */
    function _scan(bytes calldata report, uint256 trailing) private pure returns (uint256[RECORDED_FIELDS] memory fields) {
        uint256 duplicate; // known-key index + 1 of a duplicated key, 0 if none
        assembly ("memory-safe") {
            // Positions are absolute calldata offsets; the report's own offset is kept in scratch
            // slot 0x20 so that `fail` can report a relative offset without threading it through.
            function fail(p) {
                let offset := sub(p, mload(0x20))
                mstore(0x00, 0xb4a2af2d00000000000000000000000000000000000000000000000000000000) // ReportMalformed(uint256)
                mstore(0x04, offset)
                revert(0x00, 0x24)
            }

            // Skips whitespace from p; returns the position and byte of the next token, or (e, 0x100).
            // IAS never sends whitespace, so the first byte decides in the common case.
            function token(p, e) -> q, c {
                q := p
                c := byte(0, calldataload(p))
                if and(lt(p, e), iszero(and(shr(c, 0x100002600), 1))) { leave }
                for {} lt(q, e) { q := add(q, 1) } {
                    c := byte(0, calldataload(q))
                    // bit set for 0x09, 0x0a, 0x0d, 0x20
                    if iszero(and(shr(c, 0x100002600), 1)) { leave }
                }
                c := 0x100
            }

            // p: first content byte. Returns q one past the closing quote, esc = saw a backslash.
            // Skips 32 bytes per step while a word holds no '"', '\\' or control byte (< 0x20, which no
            // string may hold raw). In a key (isKey) a backslash fails at once: keys have no escapes.
            function scanString(p, e, isKey) -> q, esc {
                for {} 1 {} {
                    let w := calldataload(p)
                    // high bit of every byte that is '"' or '\\' (zero-byte tests on w ^ '"' and w ^ '\\':
                    // (b & 0x7f) + 0x7f never carries) or below 0x20 ((b & 0x7f) + 0x60 < 0x80 and b < 0x80)
                    let x := xor(w, 0x2222222222222222222222222222222222222222222222222222222222222222)
                    let y := xor(w, 0x5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c)
                    let m := and(
                        not(and(
                            and(
                                or(add(and(x, 0x7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f),
                                       0x7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f), x),
                                or(add(and(y, 0x7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f),
                                       0x7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f), y)
                            ),
                            or(add(and(w, 0x7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f),
                                   0x6060606060606060606060606060606060606060606060606060606060606060), w)
                        )),
                        0x8080808080808080808080808080808080808080808080808080808080808080
                    )
                    // ignore bytes past the end (p <= e holds here)
                    let rest := sub(e, p)
                    if lt(rest, 32) { m := and(m, not(shr(shl(3, rest), not(0)))) }
                    if m {
                        // index of the first flagged byte: smear the flags down to every later
                        // byte, count the flagged bytes (byte sum by multiplication), subtract
                        m := or(m, shr(8, m))
                        m := or(m, shr(16, m))
                        m := or(m, shr(32, m))
                        m := or(m, shr(64, m))
                        m := or(m, shr(128, m))
                        let ones := 0x0101010101010101010101010101010101010101010101010101010101010101
                        let i := sub(32, shr(248, mul(shr(7, m), ones)))
                        p := add(p, i)
                        let b := byte(i, w)
                        if eq(b, 0x22) {
                            q := add(p, 1)
                            leave
                        }
                        if or(lt(b, 0x20), isKey) { fail(p) } // a control byte, or an escape in a key
                        esc := 1
                        p := scanEscape(p, e)
                        continue
                    }
                    if lt(rest, 33) { fail(e) } // no closing quote before the end
                    p := add(p, 32)
                }
            }

            // The RFC 8259 escape at the backslash at p; returns the position after it. Fails at the
            // first byte that cannot continue it, or at e when the input ends inside it.
            function scanEscape(p, e) -> next {
                p := add(p, 1)
                if iszero(lt(p, e)) { fail(e) }
                let c := byte(0, calldataload(p))
                next := add(p, 1)
                // bit c set for '"' 0x22, '/' 0x2f, '\\' 0x5c, 'b' 0x62, 'f' 0x66, 'n' 0x6e, 'r' 0x72, 't' 0x74
                if and(shr(c, 0x144044100000000000800400000000), 1) {
                    leave
                }
                if iszero(eq(c, 0x75)) { fail(p) } // 'u'
                for { let end := add(next, 4) } lt(next, end) { next := add(next, 1) } {
                    if iszero(lt(next, e)) { fail(e) }
                    let h := byte(0, calldataload(next))
                    // '0'..'9', or 'a'..'f' / 'A'..'F' (setting 0x20 lower-cases a letter)
                    if iszero(or(lt(sub(h, 0x30), 10), lt(sub(or(h, 0x20), 0x61), 6))) { fail(next) }
                }
            }

            // A scalar starting with byte c at p: string / number / null / true / false.
            function scanScalar(p, c, e) -> next, kind {
                switch c
                case 0x22 {
                    let q, esc := scanString(add(p, 1), e, 0)
                    next := q
                    kind := add(1, esc) // KIND_STRING or KIND_ESCAPED_STRING
                }
                case 0x6e {
                    if or(gt(add(p, 4), e), iszero(eq(shr(224, calldataload(p)), 0x6e756c6c))) { fail(p) }
                    next := add(p, 4)
                    kind := 4
                }
                case 0x74 {
                    if or(gt(add(p, 4), e), iszero(eq(shr(224, calldataload(p)), 0x74727565))) { fail(p) }
                    next := add(p, 4)
                    kind := 4
                }
                case 0x66 {
                    if or(gt(add(p, 5), e), iszero(eq(shr(216, calldataload(p)), 0x66616c7365))) { fail(p) }
                    next := add(p, 5)
                    kind := 4
                }
                default {
                    if iszero(lt(sub(c, 0x30), 10)) { fail(p) }
                    next := add(p, 1)
                    // "0" is a whole number (no leading zeros): what follows it is judged by the context
                    if iszero(eq(c, 0x30)) {
                        for {} lt(next, e) { next := add(next, 1) } {
                            if iszero(lt(sub(byte(0, calldataload(next)), 0x30), 10)) { break }
                        }
                    }
                    kind := 3
                }
            }

            // A member value: a scalar or a flat array of scalars.
            function scanValue(p, c, e) -> next, kind {
                if iszero(eq(c, 0x5b)) {
                    next, kind := scanScalar(p, c, e)
                    leave
                }
                kind := 4
                p := add(p, 1)
                c := byte(0, calldataload(p))
                if or(iszero(lt(p, e)), and(shr(c, 0x100002600), 1)) { p, c := token(p, e) }
                if eq(c, 0x5d) {
                    next := add(p, 1)
                    leave
                }
                for {} 1 {} {
                    let q := 0
                    switch c
                    case 0x22 { q, kind := scanString(add(p, 1), e, 0) }
                    default { q, kind := scanScalar(p, c, e) }
                    kind := 4
                    p := q
                    c := byte(0, calldataload(p))
                    if or(iszero(lt(p, e)), and(shr(c, 0x100002600), 1)) { p, c := token(p, e) }
                    if eq(c, 0x5d) {
                        next := add(p, 1)
                        leave
                    }
                    if iszero(eq(c, 0x2c)) { fail(p) }
                    p := add(p, 1)
                    c := byte(0, calldataload(p))
                    if or(iszero(lt(p, e)), and(shr(c, 0x100002600), 1)) { p, c := token(p, e) }
                }
            }

            // Known key index (0..13), or 0xff. Compares the raw key bytes and their length.
            function keyIndex(s, len) -> idx {
                idx := 0xff
                if lt(len, 24) {
                    let k := or(and(calldataload(s), not(shr(shl(3, len), not(0)))), len)
                    switch k
                    case 0x6964000000000000000000000000000000000000000000000000000000000002 { idx := 0 } // id
                    case 0x74696d657374616d700000000000000000000000000000000000000000000009 { idx := 1 } // timestamp
                    case 0x76657273696f6e00000000000000000000000000000000000000000000000007 { idx := 2 } // version
                    case 0x697376456e636c61766551756f74655374617475730000000000000000000015 { idx := 3 } // isvEnclaveQuoteStatus
                    case 0x697376456e636c61766551756f7465426f647900000000000000000000000013 { idx := 4 } // isvEnclaveQuoteBody
                    case 0x6570696450736575646f6e796d0000000000000000000000000000000000000d { idx := 6 } // epidPseudonym
                    case 0x61647669736f727955524c00000000000000000000000000000000000000000b { idx := 7 } // advisoryURL
                    case 0x61647669736f727949447300000000000000000000000000000000000000000b { idx := 8 } // advisoryIDs
                    case 0x706c6174666f726d496e666f426c6f6200000000000000000000000000000010 { idx := 9 } // platformInfoBlob
                    case 0x6e6f6e6365000000000000000000000000000000000000000000000000000005 { idx := 5 } // nonce
                    case 0x7463624576616c756174696f6e446174614e756d626572000000000000000017 { idx := 13 } // tcbEvaluationDataNumber
                    case 0x7265766f636174696f6e526561736f6e00000000000000000000000000000010 { idx := 10 } // revocationReason
                    case 0x7073654d616e6966657374537461747573000000000000000000000000000011 { idx := 11 } // pseManifestStatus
                    case 0x7073654d616e696665737448617368000000000000000000000000000000000f { idx := 12 } // pseManifestHash
                }
            }

            function scanObject(b, e, out, body) -> dup {
                mstore(0x20, b)
                let p, c := token(b, e)
                if iszero(eq(c, 0x7b)) { fail(p) }
                p := add(p, 1)
                c := byte(0, calldataload(p))
                if or(iszero(lt(p, e)), and(shr(c, 0x100002600), 1)) { p, c := token(p, e) }
                if iszero(eq(c, 0x7d)) {
                    let seen := 0
                    let unknownKeys := 0
                    for {} 1 {} {
                        if iszero(eq(c, 0x22)) { fail(p) }
                        let keyStart := add(p, 1)
                        let q, keyEscaped := scanString(keyStart, e, 1) // keyEscaped: always 0 (no escapes in keys)
                        let keyLength := sub(sub(q, 1), keyStart)
                        let idx := keyIndex(keyStart, keyLength)
                        switch lt(idx, 14)
                        case 1 {
                            let bit := shl(idx, 1)
                            if and(seen, bit) {
                                dup := add(idx, 1)
                                leave
                            }
                            seen := or(seen, bit)
                        }
                        default {
                            // An unknown key may not repeat either: its hash against the earlier ones',
                            // kept past the free memory pointer (scratch, nothing allocates meanwhile).
                            let hashes := mload(0x40)
                            let copy := add(hashes, shl(5, add(unknownKeys, 1)))
                            calldatacopy(copy, keyStart, keyLength)
                            let h := keccak256(copy, keyLength)
                            for { let i := 0 } lt(i, unknownKeys) { i := add(i, 1) } {
                                if eq(mload(add(hashes, shl(5, i))), h) { fail(sub(keyStart, 1)) }
                            }
                            mstore(add(hashes, shl(5, unknownKeys)), h)
                            unknownKeys := add(unknownKeys, 1)
                        }
                        p := q
                        c := byte(0, calldataload(p))
                        if or(iszero(lt(p, e)), and(shr(c, 0x100002600), 1)) { p, c := token(p, e) }
                        if iszero(eq(c, 0x3a)) { fail(p) }
                        p := add(p, 1)
                        c := byte(0, calldataload(p))
                        if or(iszero(lt(p, e)), and(shr(c, 0x100002600), 1)) { p, c := token(p, e) }
                        let next := 0
                        let kind := 1 // KIND_STRING
                        switch c
                        case 0x22 {
                            switch eq(add(p, 1), body)
                            case 1 {
                                // the trailing body (valid base64, then its closing quote): a plain string
                                next := add(body, 577) // TRAILING_BODY_CHARS + 1: past the closing quote
                            }
                            default {
                                let escaped := 0
                                next, escaped := scanString(add(p, 1), e, 0)
                                kind := add(kind, escaped) // KIND_STRING or KIND_ESCAPED_STRING
                            }
                        }
                        default { next, kind := scanValue(p, c, e) }
                        if lt(idx, 5) {
                            let t := next
                            if lt(kind, 3) {
                                // strings: record the content between the quotes
                                p := add(p, 1)
                                t := sub(t, 1)
                            }
                            mstore(add(out, shl(5, idx)), or(shl(128, kind), or(shl(64, sub(p, b)), sub(t, b))))
                        }
                        p := next
                        c := byte(0, calldataload(p))
                        if or(iszero(lt(p, e)), and(shr(c, 0x100002600), 1)) { p, c := token(p, e) }
                        if eq(c, 0x7d) { break }
                        if iszero(eq(c, 0x2c)) { fail(p) }
                        p := add(p, 1)
                        c := byte(0, calldataload(p))
                        if or(iszero(lt(p, e)), and(shr(c, 0x100002600), 1)) { p, c := token(p, e) }
                    }
                }
                p := add(p, 1)
                c := byte(0, calldataload(p))
                if or(iszero(lt(p, e)), and(shr(c, 0x100002600), 1)) { p, c := token(p, e) }
                if lt(p, e) { fail(p) }
            }

            // absolute position of the trailing body's first character; 0 (no string starts there) if none
            let body := 0
            if trailing { body := add(report.offset, trailing) }
            duplicate := scanObject(report.offset, add(report.offset, report.length), fields, body)
        }
        if (duplicate != 0) revert ReportFieldDuplicated(fieldName(duplicate - 1));
    }
}
