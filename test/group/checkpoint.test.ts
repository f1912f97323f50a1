import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { network } from "hardhat";
import { TypedDataEncoder, hexlify, keccak256, randomBytes, verifyTypedData } from "ethers";
import { CHECKPOINT_TYPES, EnclaveKeys } from "./helpers/enclaveKeys";
import { expectUnchanged, joinedEnclave, simulationGroupFixture, type GroupFixture } from "./helpers/fixtures";
import { EMPTY_LOG_HASH, foldLogHash, logHashChain, logHashOf } from "./helpers/logHash";

/** Two members and a log of five entries (one batch); `entries` are the log's bytes in counter order. */
async function logOfFive() {
  const f = await loadFixture(simulationGroupFixture);
  const alice = await joinedEnclave(f);
  const bob = await joinedEnclave(f);
  const epoch = await f.group.currentEpoch();
  const entries = Array.from({ length: 5 }, () => randomBytes(40));
  await f.group.postCiphertextBatch(epoch, 0n, entries, await alice.signCiphertextBatch(f.domain, epoch, entries, 0n));
  return { ...f, alice, bob, entries };
}

const stateHash = (label: string) => keccak256(Buffer.from(label));

/**
 * What a relayer sends for `enclave`'s checkpoint at `at` of the log `entries` (the chain's): the log hash the
 * enclave signs, L_at, and the hashes of the entries after it up to the head.
 */
async function checkpointCall(f: GroupFixture, enclave: EnclaveKeys, entries: readonly Uint8Array[], at: bigint, hash: string) {
  const logHash = logHashChain(entries)[Number(at)];
  const later = entries.slice(Number(at)).map((e) => keccak256(e));
  return { at, hash, logHash, later, signature: await enclave.signCheckpoint(f.domain, at, hash, logHash) };
}

type CheckpointCall = Awaited<ReturnType<typeof checkpointCall>>;
const post = (f: GroupFixture, c: CheckpointCall) => f.group.postCheckpoint(c.at, c.hash, c.logHash, c.later, c.signature);

describe("AnonifyGroup: checkpoints", function () {
  it("the stored log hash follows the reference chain through singles, batches and snapshots (handshakes leave it)", async function () {
    const f = await loadFixture(simulationGroupFixture);
    expect(await f.group.logHash()).to.equal(EMPTY_LOG_HASH);
    const alice = await joinedEnclave(f);
    expect(await f.group.logHash()).to.equal(EMPTY_LOG_HASH); // a join's handshake is not a log entry
    const entries: Uint8Array[] = [];
    let epoch = await f.group.currentEpoch();
    let sequence = 0n;
    const expectHead = async () => {
      expect(await f.group.stateCounter()).to.equal(BigInt(entries.length));
      expect(await f.group.logHash()).to.equal(logHashOf(entries));
    };

    const single = randomBytes(200);
    await f.group.postCiphertext(epoch, sequence++, single, await alice.signCiphertext(f.domain, epoch, single, 0n));
    entries.push(single);
    await expectHead();
    // By hand once, so the helper is not checked against itself: L_1 = bytes16(keccak256(L_0 ‖ keccak256(entry_1))).
    expect(await f.group.logHash()).to.equal(keccak256(Buffer.concat([Buffer.alloc(16), Buffer.from(keccak256(single).slice(2), "hex")])).slice(0, 34));

    const batch = [randomBytes(1), randomBytes(64), randomBytes(33)];
    await f.group.postCiphertextBatch(epoch, sequence, batch, await alice.signCiphertextBatch(f.domain, epoch, batch, sequence));
    sequence += 3n;
    entries.push(...batch);
    await expectHead();

    const snapshot = randomBytes(120);
    const position = BigInt(entries.length) + 1n;
    await f.group.postSnapshot(epoch, position, snapshot, await alice.signSnapshot(f.domain, epoch, position, snapshot));
    entries.push(snapshot);
    await expectHead();

    const handshake = randomBytes(50);
    await f.group.postHandshake(epoch, handshake, await alice.signHandshake(f.domain, epoch, handshake));
    epoch += 1n;
    await expectHead();

    // Entries of the new epoch keep folding onto the same chain.
    const next = [randomBytes(10), randomBytes(11)];
    await f.group.postCiphertextBatch(epoch, 0n, next, await alice.signCiphertextBatch(f.domain, epoch, next, 0n));
    entries.push(...next);
    await expectHead();
    // Equal bytes at another position give another link: the chain binds order as well as content.
    const again = single;
    await f.group.postCiphertext(epoch, 2n, again, await alice.signCiphertext(f.domain, epoch, again, 2n));
    entries.push(again);
    await expectHead();
    expect(new Set(logHashChain(entries)).size).to.equal(entries.length + 1);
  });

  it("a checkpoint at the head (empty tail) is recorded and CheckpointPosted names its log hash", async function () {
    const f = await loadFixture(logOfFive);
    const c = await checkpointCall(f, f.alice, f.entries, 5n, stateHash("state after 5"));
    expect(c.later).to.deep.equal([]);
    expect(c.logHash).to.equal(await f.group.logHash());
    await expect(f.group.connect(f.relayer).postCheckpoint(c.at, c.hash, c.logHash, [], c.signature))
      .to.emit(f.group, "CheckpointPosted")
      .withArgs(f.alice.address, 5n, c.hash, c.logHash);
    const alice = await f.group.enclave(f.alice.address);
    expect([alice.checkpointStateCounter, alice.checkpointStateHash]).to.deep.equal([5n, c.hash]);
  });

  it("a checkpoint at an older counter is accepted with the later entries' hashes; the latest per enclave is kept", async function () {
    const f = await loadFixture(logOfFive);
    const c3 = await checkpointCall(f, f.alice, f.entries, 3n, stateHash("state after 3"));
    expect(c3.later).to.have.length(2);
    await expect(post(f, c3)).to.emit(f.group, "CheckpointPosted").withArgs(f.alice.address, 3n, c3.hash, c3.logHash);
    const c2 = await checkpointCall(f, f.bob, f.entries, 2n, stateHash("state after 2"));
    await expect(post(f, c2)).to.emit(f.group, "CheckpointPosted").withArgs(f.bob.address, 2n, c2.hash, c2.logHash);
    // Alice moves on to the head (empty tail).
    const c5 = await checkpointCall(f, f.alice, f.entries, 5n, stateHash("state after 5"));
    await post(f, c5);

    const alice = await f.group.enclave(f.alice.address);
    expect([alice.checkpointStateCounter, alice.checkpointStateHash]).to.deep.equal([5n, c5.hash]);
    const bob = await f.group.enclave(f.bob.address);
    expect([bob.checkpointStateCounter, bob.checkpointStateHash]).to.deep.equal([2n, c2.hash]);
    // Checkpoints do not move the logs.
    expect(await f.group.stateCounter()).to.equal(5n);
    expect(await f.group.logHash()).to.equal(logHashOf(f.entries));
  });

  it("a tail of the wrong length is refused: CheckpointTailMismatch(head - stateCounter, given)", async function () {
    const f = await loadFixture(logOfFive);
    const c = await checkpointCall(f, f.alice, f.entries, 2n, stateHash("after 2"));
    await expectUnchanged(f.group, [f.alice.address], async () => {
      await expect(f.group.postCheckpoint(c.at, c.hash, c.logHash, c.later.slice(1), c.signature))
        .to.be.revertedWithCustomError(f.group, "CheckpointTailMismatch")
        .withArgs(3n, 2n);
      await expect(f.group.postCheckpoint(c.at, c.hash, c.logHash, [...c.later, keccak256("0x01")], c.signature))
        .to.be.revertedWithCustomError(f.group, "CheckpointTailMismatch")
        .withArgs(3n, 4n);
      // At the head the tail must be empty.
      const head = await checkpointCall(f, f.alice, f.entries, 5n, stateHash("after 5"));
      await expect(f.group.postCheckpoint(head.at, head.hash, head.logHash, [keccak256(f.entries[4])], head.signature))
        .to.be.revertedWithCustomError(f.group, "CheckpointTailMismatch")
        .withArgs(0n, 1n);
    });
  });

  it("a tail with one hash changed, or the log hash of another log, is refused: CheckpointLogMismatch(head, folded)", async function () {
    const f = await loadFixture(logOfFive);
    const head = logHashOf(f.entries);
    const c = await checkpointCall(f, f.alice, f.entries, 2n, stateHash("after 2"));
    await expectUnchanged(f.group, [f.alice.address], async () => {
      for (let i = 0; i < c.later.length; i += 1) {
        const tampered = c.later.map((h, j) => (j === i ? keccak256(randomBytes(40)) : h));
        await expect(f.group.postCheckpoint(c.at, c.hash, c.logHash, tampered, c.signature))
          .to.be.revertedWithCustomError(f.group, "CheckpointLogMismatch")
          .withArgs(head, foldLogHash(c.logHash, tampered));
      }
      // The right tail in the wrong order.
      const swapped = [c.later[0], c.later[2], c.later[1]];
      await expect(f.group.postCheckpoint(c.at, c.hash, c.logHash, swapped, c.signature))
        .to.be.revertedWithCustomError(f.group, "CheckpointLogMismatch")
        .withArgs(head, foldLogHash(c.logHash, swapped));

      // Signed over the log hash of another log of the same length, with this log's tail.
      const other = [randomBytes(40), randomBytes(40), ...f.entries.slice(2)];
      const foreign = await checkpointCall(f, f.alice, other, 2n, stateHash("after 2 of another log"));
      expect(foreign.later).to.deep.equal(c.later);
      await expect(post(f, foreign))
        .to.be.revertedWithCustomError(f.group, "CheckpointLogMismatch")
        .withArgs(head, logHashOf(other));
      // At the head: the signed log hash itself is compared.
      const atHead = await checkpointCall(f, f.alice, other, 5n, stateHash("after 5 of another log"));
      await expect(post(f, atHead)).to.be.revertedWithCustomError(f.group, "CheckpointLogMismatch").withArgs(head, atHead.logHash);
    });
  });

  it("audit F-8: a checkpoint signed on one fork is refused on another whose entries differ (CheckpointLogMismatch)", async function () {
    const f = await loadFixture(logOfFive);
    const epoch = await f.group.currentEpoch();
    const fork = (await network.provider.send("evm_snapshot", [])) as string;
    // Fork A: two more entries; alice applies them and signs her checkpoint at 7.
    const onA = [randomBytes(40), randomBytes(40)];
    await f.group.postCiphertextBatch(epoch, 5n, onA, await f.alice.signCiphertextBatch(f.domain, epoch, onA, 5n));
    const logA = [...f.entries, ...onA];
    const signedOnA = await checkpointCall(f, f.alice, logA, 7n, stateHash("alice's state after 7 on fork A"));
    expect(await f.group.logHash()).to.equal(signedOnA.logHash);
    // The chain reorganises to fork B: the same counters hold other entries (bob's), and the relayer replays the
    // signed checkpoint there, at the head as it was signed.
    expect(await network.provider.send("evm_revert", [fork])).to.equal(true);
    const onB = [randomBytes(40), randomBytes(40)];
    await f.group.postCiphertextBatch(epoch, 0n, onB, await f.bob.signCiphertextBatch(f.domain, epoch, onB, 0n));
    const logB = [...f.entries, ...onB];
    expect(await f.group.stateCounter()).to.equal(7n);
    expect(await f.group.logHash()).to.equal(logHashOf(logB));
    await expectUnchanged(f.group, [f.alice.address], async () => {
      await expect(post(f, signedOnA))
        .to.be.revertedWithCustomError(f.group, "CheckpointLogMismatch")
        .withArgs(logHashOf(logB), signedOnA.logHash);
    });
    // The fork grows by one entry: the replayed checkpoint with that entry as its tail is refused all the same.
    const more = randomBytes(40);
    await f.group.postCiphertext(epoch, 2n, more, await f.bob.signCiphertext(f.domain, epoch, more, 2n));
    logB.push(more);
    const tail = [keccak256(more)];
    await expect(f.group.postCheckpoint(7n, signedOnA.hash, signedOnA.logHash, tail, signedOnA.signature))
      .to.be.revertedWithCustomError(f.group, "CheckpointLogMismatch")
      .withArgs(logHashOf(logB), foldLogHash(signedOnA.logHash, tail));
    // Before F-8 it was accepted (the signature covered stateCounter and stateHash only). The same enclave's
    // checkpoint of fork B's log is.
    const signedOnB = await checkpointCall(f, f.alice, logB, 7n, stateHash("alice's state after 7 on fork B"));
    await expect(post(f, signedOnB)).to.emit(f.group, "CheckpointPosted").withArgs(f.alice.address, 7n, signedOnB.hash, logHashChain(logB)[7]);
  });

  it("checks run in order: signer, ahead of the log, not after the previous, tail length, log hash", async function () {
    const f = await loadFixture(logOfFive);
    const wrongLog = "0x" + "ab".repeat(16);
    await expectUnchanged(f.group, [f.alice.address], async () => {
      // Ahead of the log, with a tail of the wrong length and a wrong log hash.
      const h = stateHash("future");
      await expect(f.group.postCheckpoint(6n, h, wrongLog, [keccak256("0x01")], await f.alice.signCheckpoint(f.domain, 6n, h, wrongLog)))
        .to.be.revertedWithCustomError(f.group, "CheckpointAheadOfLog")
        .withArgs(5n, 6n);
      // Counter 0 is never after the previous (0), whatever the tail.
      await expect(f.group.postCheckpoint(0n, h, wrongLog, [], await f.alice.signCheckpoint(f.domain, 0n, h, wrongLog)))
        .to.be.revertedWithCustomError(f.group, "CheckpointNotAfterPrevious")
        .withArgs(0n, 0n);
      // The tail's length before its content.
      await expect(f.group.postCheckpoint(3n, h, wrongLog, [], await f.alice.signCheckpoint(f.domain, 3n, h, wrongLog)))
        .to.be.revertedWithCustomError(f.group, "CheckpointTailMismatch")
        .withArgs(2n, 0n);
    });
  });

  it("a checkpoint must move past the enclave's previous one: CheckpointNotAfterPrevious(previous, given)", async function () {
    const f = await loadFixture(logOfFive);
    const c4 = await checkpointCall(f, f.alice, f.entries, 4n, stateHash("after 4"));
    await post(f, c4);
    await expectUnchanged(f.group, [f.alice.address], async () => {
      // The same signed checkpoint again (replay), and an older one.
      await expect(post(f, c4)).to.be.revertedWithCustomError(f.group, "CheckpointNotAfterPrevious").withArgs(4n, 4n);
      const c3 = await checkpointCall(f, f.alice, f.entries, 3n, stateHash("after 3"));
      await expect(post(f, c3)).to.be.revertedWithCustomError(f.group, "CheckpointNotAfterPrevious").withArgs(4n, 3n);
    });
    // Another enclave is not held back by alice's checkpoint.
    await expect(post(f, await checkpointCall(f, f.bob, f.entries, 1n, stateHash("after 1")))).to.emit(f.group, "CheckpointPosted");
  });

  it("refuses unregistered and revoked enclaves and signatures over another state hash or another log hash", async function () {
    const f = await loadFixture(logOfFive);
    const stranger = new EnclaveKeys();
    const c = await checkpointCall(f, f.alice, f.entries, 2n, stateHash("x"));
    await expectUnchanged(f.group, [f.alice.address, stranger.address], async () => {
      await expect(post(f, await checkpointCall(f, stranger, f.entries, 2n, c.hash)))
        .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
        .withArgs(stranger.address);
      const otherState = stateHash("y");
      const recoveredState = verifyTypedData(f.domain, CHECKPOINT_TYPES, { stateCounter: 2n, stateHash: otherState, logHash: c.logHash }, c.signature);
      await expect(f.group.postCheckpoint(2n, otherState, c.logHash, c.later, c.signature))
        .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
        .withArgs(recoveredState);
      // The signature names the log hash: relabelled with another one (here the head's, with an empty tail, which the
      // log would accept) it recovers another address.
      const head = await f.group.logHash();
      const recoveredLog = verifyTypedData(f.domain, CHECKPOINT_TYPES, { stateCounter: 2n, stateHash: c.hash, logHash: head }, c.signature);
      expect(recoveredLog).to.not.equal(f.alice.address);
      await expect(f.group.postCheckpoint(2n, c.hash, head, [], c.signature))
        .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
        .withArgs(recoveredLog);
    });
    await f.group.connect(f.governor).revokeEnclave(f.alice.address);
    await expectUnchanged(f.group, [f.alice.address], async () => {
      await expect(post(f, c)).to.be.revertedWithCustomError(f.group, "EnclaveWasRevoked").withArgs(f.alice.address);
    });
    expect(hexlify((await f.group.enclave(f.alice.address)).checkpointStateHash)).to.equal(hexlify(new Uint8Array(32)));
  });

  it("checkpointDigest is ethers' TypedDataEncoder hash of Checkpoint(stateCounter, stateHash, logHash)", async function () {
    const f = await loadFixture(simulationGroupFixture);
    const cases = [
      { stateCounter: 0n, stateHash: "0x" + "00".repeat(32), logHash: EMPTY_LOG_HASH },
      { stateCounter: 7n, stateHash: stateHash("seven"), logHash: hexlify(randomBytes(16)) },
      { stateCounter: 2n ** 64n - 1n, stateHash: "0x" + "ff".repeat(32), logHash: "0x" + "ff".repeat(16) },
    ];
    for (const value of cases) {
      expect(await f.group.checkpointDigest(value.stateCounter, value.stateHash, value.logHash)).to.equal(
        TypedDataEncoder.hash(f.domain, CHECKPOINT_TYPES, value),
      );
    }
    expect(TypedDataEncoder.from(CHECKPOINT_TYPES).encodeType("Checkpoint")).to.equal("Checkpoint(uint64 stateCounter,bytes32 stateHash,bytes16 logHash)");
  });
});
