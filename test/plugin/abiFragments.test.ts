import { expect } from "chai";
import hre from "hardhat";
import { Interface, type EventFragment, type FunctionFragment, type ParamType } from "ethers";
import { IAS_ERROR_FRAGMENTS } from "../../src/attestation/onchain";
import { AUDIT_GROUP_ABI, AUDIT_VERIFIER_ABI } from "../../src/client/audit";
import { CHECKPOINT_ABI, CLIENT_GROUP_ABI, CLIENT_VERIFIER_ABI, JOIN_ABI } from "../../src/client/trust";
import { IAS_VERIFIER_ABI } from "../../src/node/evidence";
import { ANONIFY_GROUP_ABI } from "../../src/node/groupContract";

// The node and the client talk to the contracts through hand-written human-readable ABIs (they run without Hardhat's
// artifacts). Every fragment must be the compiled contract's own: a tuple that lost a field decodes the wrong words
// without any error (IasVerifier.policy() once gained deniedSigningKeys while two of these still read seven fields).
const HAND_WRITTEN: Array<[string, readonly string[], "AnonifyGroup" | "IasVerifier"]> = [
  ["node/groupContract ANONIFY_GROUP_ABI", ANONIFY_GROUP_ABI, "AnonifyGroup"],
  ["node/evidence IAS_VERIFIER_ABI", IAS_VERIFIER_ABI, "IasVerifier"],
  ["client/audit AUDIT_GROUP_ABI", AUDIT_GROUP_ABI, "AnonifyGroup"],
  ["client/audit AUDIT_VERIFIER_ABI", AUDIT_VERIFIER_ABI, "IasVerifier"],
  ["client/trust CLIENT_GROUP_ABI", CLIENT_GROUP_ABI, "AnonifyGroup"],
  ["client/trust CLIENT_VERIFIER_ABI", CLIENT_VERIFIER_ABI, "IasVerifier"],
  ["client/trust JOIN_ABI", JOIN_ABI, "AnonifyGroup"],
  ["client/trust CHECKPOINT_ABI", CHECKPOINT_ABI, "AnonifyGroup"],
  ["attestation/onchain IAS_ERROR_FRAGMENTS", IAS_ERROR_FRAGMENTS, "IasVerifier"],
];

/**
 * A parameter list with everything the encoding and the callers depend on: types (tuples expanded), the names of
 * tuple components (callers read `policy.mrsigner`) and `indexed`. Top-level names are documentation only.
 */
const shape = (params: readonly ParamType[]): string[] =>
  params.map((p) => `${p.format("sighash")}${p.isTuple() ? ` {${p.components.map((c) => c.name).join(",")}}` : ""}${p.indexed ? " indexed" : ""}`);

describe("hand-written ABIs match the compiled contracts", function () {
  for (const [name, abi, contract] of HAND_WRITTEN) {
    it(`${name} (${contract})`, async function () {
      const compiled = new Interface((await hre.artifacts.readArtifact(contract)).abi);
      // The group's ABIs also name the verifier's errors: a join's revert bubbles up from the verifier.
      const verifier = new Interface((await hre.artifacts.readArtifact("IasVerifier")).abi);
      const written = new Interface(abi);
      expect(written.fragments.length, "every line parses").to.equal(abi.length);
      for (const fragment of written.fragments) {
        const signature = fragment.format("sighash");
        if (fragment.type === "function") {
          const own = compiled.getFunction(signature);
          expect(own, `${contract} has ${signature}`).to.not.equal(null);
          const f = fragment as FunctionFragment;
          expect(shape(f.outputs), `${signature} returns`).to.deep.equal(shape(own!.outputs));
          expect(f.stateMutability === "view" || f.stateMutability === "pure", `${signature} view`).to.equal(
            own!.stateMutability === "view" || own!.stateMutability === "pure",
          );
        } else if (fragment.type === "event") {
          const own = compiled.getEvent(signature);
          expect(own, `${contract} emits ${signature}`).to.not.equal(null);
          expect(shape((fragment as EventFragment).inputs), `${signature} indexed`).to.deep.equal(shape(own!.inputs));
        } else if (fragment.type === "error") {
          expect(compiled.getError(signature) ?? verifier.getError(signature), `${contract} reverts ${signature}`).to.not.equal(null);
        }
      }
    });
  }
});
