// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {RSA} from "@openzeppelin/contracts/utils/cryptography/RSA.sol";
import {IasReport} from "../attestation/IasReport.sol";
import {Base64} from "../lib/Base64.sol";
import {RsaPkcs1Sha256} from "../lib/RsaPkcs1Sha256.sol";

/**
 * @title IasVerifierGasProbe
 * @notice Test-only harness: gas of each stage of report verification (gasleft() differences)
 * and direct access to the libraries for differential tests against node:crypto / Buffer.
 * Not deployed anywhere; the figures it prints are informational (tests assert no timings).
 */
contract IasVerifierGasProbe {
    bytes private constant EXPONENT = hex"010001";

    /// @notice Gas of: [0] sha256 over the report, [1] our RSA check, [2] OpenZeppelin's RSA
    /// check, [3] JSON parse (includes base64), [4] base64 alone over `report[bodyStart:bodyEnd]`.
    function stages(bytes calldata report, bytes calldata signature, bytes calldata modulus, uint256 bodyStart, uint256 bodyEnd)
        external
        view
        returns (uint256[5] memory gasUsed)
    {
        uint256 g = gasleft();
        bytes32 digest = sha256(report);
        gasUsed[0] = g - gasleft();
        gasUsed[1] = _ours(digest, signature, modulus);
        gasUsed[2] = _openZeppelin(digest, signature, modulus);
        g = gasleft();
        IasReport.parse(report);
        gasUsed[3] = g - gasleft();
        g = gasleft();
        Base64.decode(report[bodyStart:bodyEnd]);
        gasUsed[4] = g - gasleft();
    }

    function _ours(bytes32 digest, bytes calldata signature, bytes calldata modulus) private view returns (uint256 used) {
        bytes memory n = modulus;
        uint256 g = gasleft();
        require(RsaPkcs1Sha256.verify(digest, signature, n), "ours");
        used = g - gasleft();
    }

    function _openZeppelin(bytes32 digest, bytes calldata signature, bytes calldata modulus)
        private
        view
        returns (uint256 used)
    {
        bytes memory n = modulus;
        bytes memory s = signature;
        uint256 g = gasleft();
        require(RSA.pkcs1Sha256(digest, s, EXPONENT, n), "openzeppelin");
        used = g - gasleft();
    }

    /// @notice Gas of parsing `report` alone (steps 4-7 without the certificate comparison).
    function parseGas(bytes calldata report) external view returns (uint256 used) {
        uint256 g = gasleft();
        IasReport.parse(report);
        used = g - gasleft();
    }

    /// @notice Our RSA-2048 PKCS#1 v1.5 SHA-256 check and OpenZeppelin's, on the same input.
    function rsaBoth(bytes32 digest, bytes calldata signature, bytes calldata modulus)
        external
        view
        returns (bool ours, bool openZeppelin)
    {
        ours = RsaPkcs1Sha256.verify(digest, signature, modulus);
        openZeppelin = RSA.pkcs1Sha256(digest, signature, EXPONENT, modulus);
    }

    /// @notice Strict base64 decoding of `input`.
    function base64(bytes calldata input) external pure returns (bool valid, bytes memory decoded) {
        return Base64.decode(input);
    }
}
