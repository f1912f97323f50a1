// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IasReport} from "../attestation/IasReport.sol";
import {X509} from "../attestation/X509.sol";
import {Asn1Der} from "../lib/Asn1Der.sol";
import {Base64} from "../lib/Base64.sol";
import {DateTime} from "../lib/DateTime.sol";

/**
 * @title ParserProbe
 * @notice Test-only harness: the attestation parsers (internal library functions) as external calls, for the
 * property tests in test/property/ (differential against Node's Buffer, Date and X509Certificate, and the
 * TypeScript verifier). Not deployed anywhere.
 */
contract ParserProbe {
    function base64(bytes calldata input) external pure returns (bool valid, bytes memory decoded) {
        return Base64.decode(input);
    }

    /// @return valid {DateTime.isValid}; unixSeconds {DateTime.toUnixSeconds} when valid, else 0.
    function dateTime(uint256 year, uint256 month, uint256 day, uint256 hour, uint256 minute, uint256 second)
        external
        pure
        returns (bool valid, uint256 unixSeconds)
    {
        valid = DateTime.isValid(year, month, day, hour, minute, second);
        if (valid) unixSeconds = DateTime.toUnixSeconds(year, month, day, hour, minute, second);
    }

    function readElement(bytes memory der, uint256 offset, uint256 limit) external pure returns (Asn1Der.Element memory) {
        return Asn1Der.readElement(der, offset, limit);
    }

    function parseCertificate(bytes memory der) external pure returns (X509.Certificate memory) {
        return X509.parse(der);
    }

    function parseReport(bytes calldata report) external pure returns (IasReport.Verified memory v, bytes memory status) {
        return IasReport.parse(report);
    }
}
