/**
 * The node's checkpoint poster (src/node/checkpoints.ts, audit F-8) against a real group, with the enclave played by
 * a stub whose `state_checkpoint` an EnclaveKeys wallet signs: a checkpoint at an older counter is posted with the
 * later entries' hashes read from the chain; one far behind the head is skipped; one whose log hash is not the chain's
 * is not sent; one overtaken by a new entry before it is mined is refused with a warning, and the next one is posted.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ethers, network } from "hardhat";
import { keccak256, randomBytes, toUtf8Bytes } from "ethers";
import type { EnclaveProcess } from "../../src/enclave/EnclaveProcess";
import type { Hex, StateCheckpointResult } from "../../src/enclave/protocol";
import { CheckpointBehindHeadError, CheckpointPoster, MAX_CHECKPOINT_TAIL, readLogTail } from "../../src/node/checkpoints";
import { groupContract, type CiphertextLogEntry } from "../../src/node/groupContract";
import { MemoryLogger } from "../../src/node/logger";
import { TxSender } from "../../src/node/txSender";
import type { EnclaveKeys } from "../group/helpers/enclaveKeys";
import { joinedEnclave, simulationGroupFixture } from "../group/helpers/fixtures";
import { logEntriesOf, logHashChain } from "../group/helpers/logHash";
import { until } from "./helpers";

/** A member and a log of five entries over three blocks: a batch of three, then two singles. */
async function logOverThreeBlocks() {
  const f = await loadFixture(simulationGroupFixture);
  const alice = await joinedEnclave(f);
  const epoch = await f.group.currentEpoch();
  const batch = [randomBytes(40), randomBytes(40), randomBytes(40)];
  const first = await (await f.group.postCiphertextBatch(epoch, 0n, batch, await alice.signCiphertextBatch(f.domain, epoch, batch, 0n))).wait();
  for (const sequence of [3n, 4n]) {
    const c = randomBytes(40);
    await (await f.group.postCiphertext(epoch, sequence, c, await alice.signCiphertext(f.domain, epoch, c, sequence))).wait();
  }
  return { ...f, alice, epoch, batchBlock: first!.blockNumber };
}

type Fixture = Awaited<ReturnType<typeof logOverThreeBlocks>>;

/** The poster as the node wires it, its enclave a stub that signs `Checkpoint(counter, stateHash, logHash)` with `keys`. */
async function poster(f: Fixture, keys: EnclaveKeys, logHashAt: (counter: bigint) => string) {
  const logger = new MemoryLogger();
  const { chainId } = await ethers.provider.getNetwork();
  const group = groupContract(await f.group.getAddress(), ethers.provider);
  let next = 0n;
  const enclave = {
    call: async (method: string): Promise<StateCheckpointResult> => {
      expect(method).to.equal("state_checkpoint");
      const counter = next;
      const stateHash = keccak256(toUtf8Bytes(`state at ${counter}`)) as Hex;
      const logHash = logHashAt(counter) as Hex;
      return { stateCounter: counter.toString(), stateHash, logHash, signature: (await keys.signCheckpoint(f.domain, counter, stateHash, logHash)) as Hex };
    },
  } as unknown as EnclaveProcess;
  const p = new CheckpointPoster(
    {
      enclave: () => enclave,
      group,
      provider: ethers.provider,
      sender: new TxSender(f.relayer, undefined, { receiptPollMs: 20 }),
      domain: { name: "Anonify", version: "1", chainId: chainId.toString(), verifyingContract: (await f.group.getAddress()) as Hex },
      logger,
    },
    1n,
  );
  await p.load(keys.address);
  /** Entry `counter` was applied (in block `blockNumber`): the poster checkpoints it. */
  const applied = (counter: bigint, blockNumber: number) => {
    next = counter;
    p.onApplied({ kind: "ciphertext", stateCounter: counter, epoch: f.epoch, sender: keys.address, ciphertext: "0x00", blockNumber, logIndex: 0, transactionHash: "0x" });
  };
  const line = (pattern: RegExp) => until(async () => logger.lines.find((l) => pattern.test(l)));
  return { logger, applied, line };
}

describe("node: checkpoints with the log hash (src/node/checkpoints.ts)", function () {
  it("readLogTail: the hashes of the entries after a counter up to the head, from the events, and the head's log hash", async function () {
    const f = await loadFixture(logOverThreeBlocks);
    const log = await logEntriesOf(f.group);
    const group = groupContract(await f.group.getAddress(), ethers.provider);
    for (const after of [0n, 2n, 4n, 5n]) {
      const tail = await readLogTail(ethers.provider, group, after, f.batchBlock);
      expect(tail.headStateCounter).to.equal(5n);
      expect(tail.headLogHash).to.equal(await f.group.logHash());
      expect(tail.laterEntryHashes).to.deep.equal(log.slice(Number(after)).map((e) => keccak256(e)));
    }
    // From a block after some of them: the events do not hold every entry.
    await expect(readLogTail(ethers.provider, group, 1n, f.batchBlock + 1)).to.be.rejectedWith(/entry #2 is not in the group's events/);
    // More later entries than the bound: the checkpoint is too far behind the head.
    await expect(readLogTail(ethers.provider, group, 2n, f.batchBlock, 2)).to.be.rejectedWith(CheckpointBehindHeadError, /head is #5, 3 entries later/);
  });

  it("posts a checkpoint at an older counter with the later entries' hashes (across blocks)", async function () {
    const f = await loadFixture(logOverThreeBlocks);
    const chain = logHashChain(await logEntriesOf(f.group));
    const p = await poster(f, f.alice, (counter) => chain[Number(counter)]);
    p.applied(2n, f.batchBlock);
    expect(await p.line(/checkpoint #2/)).to.contain("checkpoint #2 posted").and.contain(`log hash ${chain[2]} with 3 later entries`);
    const events = await f.group.queryFilter(f.group.filters.CheckpointPosted(f.alice.address));
    expect(events.map((e) => [e.args.stateCounter, e.args.logHash])).to.deep.equal([[2n, chain[2]]]);
    expect((await f.group.enclave(f.alice.address)).checkpointStateCounter).to.equal(2n);
  });

  it(`far behind the head (more than ${MAX_CHECKPOINT_TAIL} later entries, a node catching up) the checkpoint is skipped`, async function () {
    const f = await loadFixture(logOverThreeBlocks);
    let sequence = 5n;
    for (let i = 0; i < 2; i++) {
      const batch = Array.from({ length: 128 }, () => randomBytes(8));
      await (await f.group.postCiphertextBatch(f.epoch, sequence, batch, await f.alice.signCiphertextBatch(f.domain, f.epoch, batch, sequence))).wait();
      sequence += 128n;
    }
    const chain = logHashChain(await logEntriesOf(f.group));
    const p = await poster(f, f.alice, (counter) => chain[Number(counter)]);
    const nonce = await f.relayer.getNonce();
    p.applied(4n, f.batchBlock);
    expect(await p.line(/checkpoint #4/)).to.equal(
      `info checkpoint #4 skipped: the chain's head is #261, 257 entries later (more than ${MAX_CHECKPOINT_TAIL} would ride along); checkpoints resume near the head`,
    );
    expect(await f.relayer.getNonce()).to.equal(nonce);
    // Near the head it is posted.
    p.applied(5n, f.batchBlock);
    expect(await p.line(/checkpoint #5/)).to.contain("checkpoint #5 posted").and.contain("with 256 later entries");
  });

  it("a checkpoint of another log than the chain's is not sent (a warning, no transaction)", async function () {
    const f = await loadFixture(logOverThreeBlocks);
    const other = logHashChain([randomBytes(40), randomBytes(40), randomBytes(40)]);
    const p = await poster(f, f.alice, (counter) => other[Number(counter)]);
    const nonce = await f.relayer.getNonce();
    p.applied(3n, f.batchBlock);
    expect(await p.line(/checkpoint #3/)).to.match(/^warn checkpoint #3 not posted: .*another log than the chain's/);
    expect(await f.relayer.getNonce()).to.equal(nonce);
    expect(await f.group.queryFilter(f.group.filters.CheckpointPosted())).to.deep.equal([]);
  });

  it("overtaken by a new entry before it is mined: refused with a warning, and the next interval's checkpoint is posted", async function () {
    const f = await loadFixture(logOverThreeBlocks);
    let log = await logEntriesOf(f.group);
    const p = await poster(f, f.alice, (counter) => logHashChain(log)[Number(counter)]);
    await network.provider.send("evm_setAutomine", [false]);
    try {
      p.applied(4n, f.batchBlock);
      // The checkpoint (tail: entry 5) waits in the pool; an entry with a higher tip lands before it in the block.
      await until(async () => ((await network.provider.send("eth_getBlockByNumber", ["pending", false])) as { transactions: string[] }).transactions.length === 1 || undefined);
      const c = randomBytes(40);
      const epoch = f.epoch;
      await f.group.connect(f.outsider).postCiphertext(epoch, 5n, c, await f.alice.signCiphertext(f.domain, epoch, c, 5n), {
        maxPriorityFeePerGas: ethers.parseUnits("50", "gwei"),
        maxFeePerGas: ethers.parseUnits("100", "gwei"),
        gasLimit: 200_000n,
      });
      await network.provider.send("evm_mine", []);
    } finally {
      await network.provider.send("evm_setAutomine", [true]);
    }
    expect(await p.line(/checkpoint #4/)).to.match(/^warn checkpoint #4 refused: RevertedOnChain \(the log moved on before it was mined/);
    expect(await f.group.stateCounter()).to.equal(6n);
    expect((await f.group.enclave(f.alice.address)).checkpointStateCounter).to.equal(0n);
    // Nothing stopped: the next checkpoint goes through.
    log = await logEntriesOf(f.group);
    const sixth = await f.group.queryFilter(f.group.filters.CiphertextPosted(6n));
    p.applied(6n, sixth[0].blockNumber);
    expect(await p.line(/checkpoint #6/)).to.contain("checkpoint #6 posted");
    expect((await f.group.enclave(f.alice.address)).checkpointStateCounter).to.equal(6n);
  });
});
