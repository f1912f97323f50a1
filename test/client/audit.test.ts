/**
 * anonify:audit on a real AnonifyGroup (project Ignition module, development-IAS reports): a clean log passes
 * with exit code 0; disagreeing checkpoints posted by two enclaves the test controls are a finding (exit code 1), and
 * so is a checkpoint whose log hash is not that of the log's entries (planted by rewriting the contract's storage:
 * the contract itself refuses such a checkpoint, audit F-8).
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre, { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { dataSlice, hexlify, randomBytes, keccak256, toBeHex, toUtf8Bytes } from "ethers";
import { HardhatPluginError } from "hardhat/plugins";
import type { AuditReport } from "../../src/client/audit";
import { joinedEnclave, simulationGroupFixture } from "../group/helpers/fixtures";
import { checkpointArguments, logEntriesOf, logHashOf } from "../group/helpers/logHash";
import { runTaskCapturing } from "../helpers/tasks";

async function runAudit(args: Record<string, unknown>): Promise<{ report: AuditReport; stdout: string; exitCode: number }> {
  const { result, stdout, exitCode } = await runTaskCapturing<AuditReport>("anonify:audit", args);
  return { report: result, stdout, exitCode };
}

/**
 * The storage slot of the group's log head (the layout is private): the word with the log hash in its high 16 bytes
 * and the stateCounter in bits 48-95 (contracts/AnonifyGroup.sol `LogHead`).
 */
async function headSlot(group: string, logHash: string, stateCounter: bigint): Promise<number> {
  for (let slot = 0; slot < 64; slot++) {
    const word = await ethers.provider.getStorage(group, slot);
    if (word.slice(0, 34) === logHash.toLowerCase() && ((BigInt(word) >> 48n) & (2n ** 48n - 1n)) === stateCounter) return slot;
  }
  throw new Error("no slot holds the log head");
}

describe("client: anonify:audit", function () {
  this.timeout(120_000);

  /** Three joined enclaves, single and batched entries, agreeing checkpoints, one revocation. */
  async function cleanLog() {
    const f = await simulationGroupFixture();
    const [a, b, c] = [await joinedEnclave(f), await joinedEnclave(f), await joinedEnclave(f)];
    const epoch = await f.group.currentEpoch();
    for (let i = 0; i < 3; i++) {
      const entry = randomBytes(80);
      const sequence = BigInt(i); // a's posts 0, 1, 2 of the epoch
      await (await f.group.connect(f.relayer).postCiphertext(epoch, sequence, entry, await a.signCiphertext(f.domain, epoch, entry, sequence))).wait();
    }
    const batch = [randomBytes(40), randomBytes(50)];
    await (await f.group.connect(f.relayer).postCiphertextBatch(epoch, 0n, batch, await b.signCiphertextBatch(f.domain, epoch, batch, 0n))).wait();
    const stateHash = keccak256(toUtf8Bytes("state at 5"));
    for (const enclave of [a, b, c]) {
      await (await f.group.connect(f.relayer).postCheckpoint(...(await checkpointArguments(f.group, f.domain, enclave, 5n, stateHash)))).wait();
    }
    // A member leaves by governance; a's removal commit takes its leaf out (audit F-6: no entry is accepted before),
    // then the others keep going.
    await (await f.group.connect(f.governor).revokeEnclave(c.address)).wait();
    const handshake = randomBytes(64);
    await (await f.group.connect(f.relayer).postRemovalCommit(epoch, handshake, [c.address], await a.signRemovalCommit(f.domain, epoch, handshake, [c.address]))).wait();
    const next = epoch + 1n;
    const entry = randomBytes(30);
    // b's batch took its numbers 0 and 1 of the previous epoch; the new epoch starts again at 0.
    await (await f.group.connect(f.relayer).postCiphertext(next, 0n, entry, await b.signCiphertext(f.domain, next, entry, 0n))).wait();
    return { f, a, b, c };
  }

  it("a clean log: every report re-verifies under the SIMULATION CA, no finding, exit code 0", async function () {
    const { f, a, b, c } = await loadFixture(cleanLog);
    const { report, stdout, exitCode } = await runAudit({ group: await f.group.getAddress() });
    expect(report.findings, JSON.stringify(report.findings)).to.deep.equal([]);
    expect(exitCode).to.equal(0);
    expect(report.trustAnchor).to.equal("simulation");
    expect(report.enclaves.map((e) => e.address)).to.deep.equal([a, b, c].map((e) => e.address.toLowerCase()));
    expect(report.enclaves.every((e) => e.reportStatus === "OK")).to.equal(true);
    expect(report.enclaves[2].revokedAtBlock).to.be.a("number");
    expect(report.epochs).to.equal(4n);
    expect(report.handshakes).to.equal(4);
    expect(report.entries).to.equal(6n);
    // The replay recomputed the log hash chain: at the head it is the contract's and the reference's.
    const head = logHashOf(await logEntriesOf(f.group));
    expect(report.logHash).to.equal(head).and.equal(await f.group.logHash());
    expect(stdout).to.contain(`log entries: 6 (log hash ${head})`);
    expect(report.checkpoints).to.have.length(1);
    expect(report.checkpoints[0]).to.include({ stateCounter: 5n, agree: true });
    expect(Object.keys(report.checkpoints[0].hashes)).to.have.length(3);
    expect(stdout).to.contain("Result: clean (0 findings)").and.contain("stateCounter 5: 3 enclaves, agree");
  });

  it("disagreeing checkpoints of two enclaves at one stateCounter: a finding naming both, exit code 1", async function () {
    const { f, a, b } = await loadFixture(cleanLog);
    const honest = keccak256(toUtf8Bytes("state at 6"));
    const forked = keccak256(toUtf8Bytes("another state at 6"));
    await (await f.group.connect(f.relayer).postCheckpoint(...(await checkpointArguments(f.group, f.domain, a, 6n, honest)))).wait();
    await (await f.group.connect(f.relayer).postCheckpoint(...(await checkpointArguments(f.group, f.domain, b, 6n, forked)))).wait();
    const { report, stdout, exitCode } = await runAudit({ group: await f.group.getAddress() });
    expect(exitCode).to.equal(1);
    expect(report.findings.map((x) => x.code)).to.deep.equal(["checkpoint_disagreement"]);
    expect(report.findings[0].message).to.contain(a.address.toLowerCase()).and.contain(b.address.toLowerCase()).and.contain("stateCounter 6");
    expect(report.checkpoints.find((c) => c.stateCounter === 6n)?.agree).to.equal(false);
    expect(stdout).to.contain("[checkpoint_disagreement]").and.contain("stateCounter 6: 2 enclaves, DISAGREE");
  });

  it("a checkpoint whose log hash is not the entries': checkpoint_log_mismatch naming both hashes, exit code 1", async function () {
    const { f, a } = await loadFixture(cleanLog);
    const group = await f.group.getAddress();
    // The contract refuses such a checkpoint (CheckpointLogMismatch), so plant one: give the head another log hash
    // for one transaction, as if the log had other entries, and post a checkpoint of that log at the head.
    const real = await f.group.logHash();
    const slot = await headSlot(group, real, await f.group.stateCounter());
    const word = await ethers.provider.getStorage(group, slot);
    const forged = dataSlice(keccak256(toUtf8Bytes("another log")), 0, 16);
    const setHead = (logHash: string) =>
      network.provider.send("hardhat_setStorageAt", [group, toBeHex(slot), hexlify(Buffer.concat([Buffer.from(logHash.slice(2), "hex"), Buffer.from(word.slice(34), "hex")]))]);
    await setHead(forged);
    expect(await f.group.logHash()).to.equal(forged);
    const stateHash = keccak256(toUtf8Bytes("state of another log"));
    await (await f.group.connect(f.relayer).postCheckpoint(6n, stateHash, forged, [], await a.signCheckpoint(f.domain, 6n, stateHash, forged))).wait();
    await setHead(real);
    expect(await ethers.provider.getStorage(group, slot)).to.equal(word);

    const { report, stdout, exitCode } = await runAudit({ group });
    expect(exitCode).to.equal(1);
    expect(report.findings.map((x) => x.code)).to.deep.equal(["checkpoint_log_mismatch"]);
    expect(report.findings[0].message).to.contain(forged).and.contain(real).and.contain(a.address.toLowerCase()).and.contain("checkpoint at 6");
    expect(stdout).to.contain("[checkpoint_log_mismatch]");
  });

  it("auditing from a later block loses the joins: the entries' senders are not in the replayed roster (findings, exit 1)", async function () {
    const { f } = await loadFixture(cleanLog);
    const joinedBlocks = (await f.group.queryFilter(f.group.filters.EnclaveJoined())).map((l) => l.blockNumber);
    const { report, exitCode } = await runAudit({ group: await f.group.getAddress(), fromBlock: String(Math.max(...joinedBlocks) + 1), quiet: true });
    expect(exitCode).to.equal(1);
    expect(report.findings.map((x) => x.code))
      .to.include("sender_not_active")
      .and.include("epoch_gap");
  });

  it("refuses a bad --group, a group-less chain without a deployment file, and a bad --from-block", async function () {
    const { f } = await loadFixture(cleanLog);
    // An empty data directory: no deployment file to fall back on.
    const dataDir = hre.config.anonify.dataDir;
    hre.config.anonify.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "anonify-audit-"));
    try {
      for (const [args, pattern] of [
        [{ group: "0x1234" }, /not an address/],
        [{ group: (await ethers.getSigners())[5].address }, /no contract at/],
        [{}, /no --group given and no deployment file/],
        [{ group: await f.group.getAddress(), fromBlock: "ten" }, /--from-block/],
      ] as const) {
        const error = await runAudit(args).then(
          () => expect.fail("expected an error"),
          (e: unknown) => e
        );
        expect(error).to.be.instanceOf(HardhatPluginError);
        expect((error as Error).message).to.match(pattern);
      }
    } finally {
      fs.rmSync(hre.config.anonify.dataDir, { recursive: true, force: true });
      hre.config.anonify.dataDir = dataDir;
    }
  });
});
