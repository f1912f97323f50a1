// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IasReport} from "./IasReport.sol";
import {IEnclaveVerifier} from "./IEnclaveVerifier.sol";

/**
 * @title IIasVerifier
 * @notice The IAS verifier: a group's {IEnclaveVerifier} for IAS evidence, and a report's full verdict for tools.
 * @dev {AnonifyGroup} depends on {IEnclaveVerifier} rather than on {IasVerifier}, so the verifier is compiled once,
 * under its own optimizer settings, and a group's build never carries a second copy of it.
 */
interface IIasVerifier is IEnclaveVerifier {
    /**
     * @notice Verifies a report: signature, parsing, timestamp within the signing certificate's validity,
     * then the policy. Reverts with the first failing check's error.
     * @param keyId id of a registered signing key
     * @param report the exact JSON body IAS signed
     * @param signature the 256-byte RSA signature (raw, not base64)
     * @return verified the report's fields
     */
    function verifyReport(bytes32 keyId, bytes calldata report, bytes calldata signature)
        external
        view
        returns (IasReport.Verified memory verified);
}
