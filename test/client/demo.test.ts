/**
 * anonify:demo in-process (the default network): it must end OK with identical balances on every remaining node,
 * agreeing state hashes, a clean audit and no plaintext on chain, and print each part of its report.
 */
import { expect } from "chai";
import type { DemoResult } from "../../src/client/demo";
import { runTaskCapturing } from "../helpers/tasks";

describe("client: anonify:demo", function () {
  this.timeout(240_000);

  it("runs the whole flow with DCAP quotes (the default) and reports agreement, gas and no plaintext", async function () {
    const { result, stdout, exitCode } = await runTaskCapturing<DemoResult>("anonify:demo", {});
    expect(result.attestation).to.equal("dcap");
    // The first node brought the empty stores up to the development PCS's collateral; every node joined with a quote.
    for (const item of ["tcbInfo", "qeIdentity", "rootCaCrl", "pckCrl"]) expect(stdout).to.match(new RegExp(`node-A: collateral: ${item} .* upserted`));
    expect(stdout.match(/joined with a DCAP quote/g)?.length).to.equal(3);
    expect(result.ok, stdout).to.equal(true);
    expect(exitCode).to.equal(0);
    expect(Object.keys(result.views)).to.deep.equal(["node-A", "node-B"]);
    expect(result.views["node-A"]).to.deep.equal(result.expected);
    expect(result.views["node-B"]).to.deep.equal(result.expected);
    expect(result.stateHashes["node-A"]).to.deep.equal(result.stateHashes["node-B"]);
    expect(BigInt(result.stateHashes["node-C"].lastApplied)).to.be.lessThan(BigInt(result.stateHashes["node-A"].lastApplied));
    expect(result.plaintextHits).to.deep.equal([]);
    expect(result.auditFindings).to.equal(0);
    const operations = result.gas.map((g) => g.operation);
    for (const op of ["join", "postHandshake", "postCiphertext", "postCheckpoint", "revokeEnclave"]) expect(operations).to.include(op);
    expect(result.gas.find((g) => g.operation === "join")!.count).to.equal(3);
    for (const part of ["1. Deploying", "4. Key rotation", "5. Member removal", "clients now refuse node-C", "AGREE", "no plaintext found", "Demo OK"]) {
      expect(stdout).to.contain(part);
    }
  });

  it("runs with IAS reports (--attestation ias), and refuses an unknown kind", async function () {
    const { result, stdout, exitCode } = await runTaskCapturing<DemoResult>("anonify:demo", { attestation: "ias" });
    expect(result.ok, stdout).to.equal(true);
    expect(exitCode).to.equal(0);
    expect(result.attestation).to.equal("ias");
    expect(result.views["node-A"]).to.deep.equal(result.expected);
    expect(result.auditFindings).to.equal(0);
    expect(stdout.match(/joined with an IAS report/g)?.length).to.equal(3);
    expect(stdout).to.not.contain("collateral:");
    const error = await runTaskCapturing<DemoResult>("anonify:demo", { attestation: "epid" }).catch((e: unknown) => e);
    expect((error as Error).message).to.contain('--attestation must be "dcap" or "ias", got "epid"');
  });
});
