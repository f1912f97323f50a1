import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { getBytes, keccak256 } from "ethers";
import { joinedEnclave, simulationGroupFixture } from "./helpers/fixtures";
import { EMPTY_LOG_HASH, logHashChain } from "./helpers/logHash";

/**
 * Fixed vectors of the ciphertext log's hash chain (test/group/vectors/logHash.json, audit F-8) for the C++ enclave
 * and any other implementation: the TypeScript reference and the contract must reproduce every L_n.
 */
interface LogHashVector {
  entries: string[];
  entryHashes: string[];
  logHashes: string[];
}

const vector = JSON.parse(fs.readFileSync(path.join(__dirname, "vectors", "logHash.json"), "utf8")) as LogHashVector;

describe("AnonifyGroup: log hash vectors", function () {
  it("the TypeScript reference reproduces every entry hash and L_0 … L_n", function () {
    expect(vector.logHashes).to.have.length(vector.entries.length + 1);
    expect(vector.logHashes[0]).to.equal(EMPTY_LOG_HASH);
    expect(vector.entries.map((e) => keccak256(e))).to.deep.equal(vector.entryHashes);
    expect(logHashChain(vector.entries)).to.deep.equal(vector.logHashes);
  });

  it("the contract reaches every L_n posting the entries as singles, a batch and a snapshot", async function () {
    const f = await loadFixture(simulationGroupFixture);
    const alice = await joinedEnclave(f);
    const epoch = await f.group.currentEpoch();
    const [e1, e2, e3, e4, e5, e6] = vector.entries.map((e) => getBytes(e));
    const expectAt = async (n: number) => {
      expect(await f.group.stateCounter()).to.equal(BigInt(n));
      expect(await f.group.logHash()).to.equal(vector.logHashes[n]);
    };
    await expectAt(0);
    await f.group.postCiphertext(epoch, 0n, e1, await alice.signCiphertext(f.domain, epoch, e1, 0n));
    await expectAt(1);
    await f.group.postCiphertextBatch(epoch, 1n, [e2, e3, e4], await alice.signCiphertextBatch(f.domain, epoch, [e2, e3, e4], 1n));
    await expectAt(4);
    await f.group.postSnapshot(epoch, 5n, e5, await alice.signSnapshot(f.domain, epoch, 5n, e5));
    await expectAt(5);
    await f.group.postCiphertext(epoch, 4n, e6, await alice.signCiphertext(f.domain, epoch, e6, 4n));
    await expectAt(6);
  });
});
