import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { TypedDataEncoder, hexlify, randomBytes, recoverAddress, verifyTypedData, keccak256 } from "ethers";
import { CIPHERTEXT_BATCH_TYPES, CIPHERTEXT_TYPES, EnclaveKeys, SNAPSHOT_TYPES, payloadsHash } from "./helpers/enclaveKeys";
import { expectUnchanged, join, joinedEnclave, simulationGroupFixture, type GroupFixture } from "./helpers/fixtures";

async function oneMember() {
  const f = await loadFixture(simulationGroupFixture);
  const alice = await joinedEnclave(f);
  return { ...f, alice };
}

async function twoMembers() {
  const f = await loadFixture(simulationGroupFixture);
  const alice = await joinedEnclave(f);
  const bob = await joinedEnclave(f);
  return { ...f, alice, bob };
}

/** `enclave` posts one ciphertext as post number `sequence` of the current epoch (sent by the relayer). */
async function post(f: GroupFixture, enclave: EnclaveKeys, sequence: bigint, ciphertext: Uint8Array = randomBytes(64)) {
  const epoch = await f.group.currentEpoch();
  const signature = await enclave.signCiphertext(f.domain, epoch, ciphertext, sequence);
  return f.group.connect(f.relayer).postCiphertext(epoch, sequence, ciphertext, signature);
}

/** `enclave` posts `batch` from post number `firstSequence` of the current epoch (sent by the relayer). */
async function postBatch(f: GroupFixture, enclave: EnclaveKeys, firstSequence: bigint, batch: Uint8Array[]) {
  const epoch = await f.group.currentEpoch();
  const signature = await enclave.signCiphertextBatch(f.domain, epoch, batch, firstSequence);
  return f.group.connect(f.relayer).postCiphertextBatch(epoch, firstSequence, batch, signature);
}

/** `enclave` posts a fresh ciphertext as post number `sequence`; it must become entry `counter` of `epoch`. */
async function expectPosted(f: GroupFixture, enclave: EnclaveKeys, sequence: bigint, counter: bigint, epoch: bigint) {
  const ciphertext = randomBytes(64);
  await expect(post(f, enclave, sequence, ciphertext))
    .to.emit(f.group, "CiphertextPosted")
    .withArgs(counter, epoch, enclave.address, hexlify(ciphertext));
}

/** `enclave` posts `count` fresh ciphertexts from post number `firstSequence`; they must become entries `firstCounter`.. of `epoch`. */
async function expectBatchPosted(f: GroupFixture, enclave: EnclaveKeys, firstSequence: bigint, count: number, firstCounter: bigint, epoch: bigint) {
  const batch = ciphertexts(count, 30);
  await expect(postBatch(f, enclave, firstSequence, batch))
    .to.emit(f.group, "CiphertextBatchPosted")
    .withArgs(firstCounter, epoch, enclave.address, batch.map((c) => hexlify(c)));
}

/** Moves the epoch with a handshake by `enclave`. */
async function handshake(f: GroupFixture, enclave: EnclaveKeys) {
  const epoch = await f.group.currentEpoch();
  const bytes = randomBytes(64);
  await (await f.group.postHandshake(epoch, bytes, await enclave.signHandshake(f.domain, epoch, bytes))).wait();
}

/**
 * Revokes `revoked` and lets `committer` post the removal commit of its leaf, so posts are accepted again (audit F-6);
 * returns the epoch the removal commit created. While the removal is pending every post is refused
 * (RemovalCommitPending, test/group/removal.test.ts), so a revoked sender's own error is seen only after it.
 */
async function revokeAndRemove(f: GroupFixture, revoked: EnclaveKeys, committer: EnclaveKeys): Promise<bigint> {
  await (await f.group.connect(f.governor).revokeEnclave(revoked.address)).wait();
  const epoch = await f.group.currentEpoch();
  const handshake = randomBytes(64);
  const signature = await committer.signRemovalCommit(f.domain, epoch, handshake, [revoked.address]);
  await (await f.group.postRemovalCommit(epoch, handshake, [revoked.address], signature)).wait();
  return epoch + 1n;
}

function ciphertexts(count: number, size = 200): Uint8Array[] {
  return Array.from({ length: count }, () => randomBytes(size));
}

describe("AnonifyGroup: ciphertext log", function () {
  describe("single entries", function () {
    it("numbers entries 1, 2, 3 … and emits each ciphertext with its counter, epoch and sender", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      for (let counter = 1n; counter <= 3n; counter++) {
        const ciphertext = randomBytes(200);
        // Alice's post numbers of this epoch are 0, 1, 2 while the log counts 1, 2, 3.
        const sequence = counter - 1n;
        const signature = await f.alice.signCiphertext(f.domain, epoch, ciphertext, sequence);
        await expect(f.group.connect(f.relayer).postCiphertext(epoch, sequence, ciphertext, signature))
          .to.emit(f.group, "CiphertextPosted")
          .withArgs(counter, epoch, f.alice.address, hexlify(ciphertext));
        expect(await f.group.stateCounter()).to.equal(counter);
        expect(await f.group.nextPostSequence(f.alice.address, epoch)).to.equal(counter);
      }
      expect(await f.group.currentEpoch()).to.equal(epoch);
    });

    it("a ciphertext must name the current epoch: EpochMismatch (old and future epochs)", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const ciphertext = randomBytes(200);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.postCiphertext(epoch - 1n, 0n, ciphertext, await f.alice.signCiphertext(f.domain, epoch - 1n, ciphertext, 0n)))
          .to.be.revertedWithCustomError(f.group, "EpochMismatch")
          .withArgs(epoch, epoch - 1n);
        await expect(f.group.postCiphertext(epoch + 1n, 0n, ciphertext, await f.alice.signCiphertext(f.domain, epoch + 1n, ciphertext, 0n)))
          .to.be.revertedWithCustomError(f.group, "EpochMismatch")
          .withArgs(epoch, epoch + 1n);
      });
    });

    it("replay in a later epoch: refused under its own epoch (EpochMismatch) and under the new one (other signer)", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const ciphertext = randomBytes(200);
      const signature = await f.alice.signCiphertext(f.domain, epoch, ciphertext, 0n);
      await f.group.postCiphertext(epoch, 0n, ciphertext, signature);
      const handshake = randomBytes(64);
      await f.group.postHandshake(epoch, handshake, await f.alice.signHandshake(f.domain, epoch, handshake));
      // Post number 0 is free again in the new epoch: only the epoch in the signature stops the replay there.
      expect(await f.group.nextPostSequence(f.alice.address, epoch + 1n)).to.equal(0n);

      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.postCiphertext(epoch, 0n, ciphertext, signature))
          .to.be.revertedWithCustomError(f.group, "EpochMismatch")
          .withArgs(epoch + 1n, epoch);
        const recovered = verifyTypedData(
          f.domain,
          CIPHERTEXT_TYPES,
          { epoch: epoch + 1n, sequence: 0n, payloadHash: keccak256(ciphertext) },
          signature,
        );
        expect(recovered).to.not.equal(f.alice.address);
        await expect(f.group.postCiphertext(epoch + 1n, 0n, ciphertext, signature))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
          .withArgs(recovered);
      });
      expect(await f.group.nextPostSequence(f.alice.address, epoch + 1n)).to.equal(0n);
    });

    it("a signature over other bytes recovers another address: EnclaveNotRegistered", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const signature = await f.alice.signCiphertext(f.domain, epoch, randomBytes(200), 0n);
      const posted = randomBytes(200);
      const recovered = verifyTypedData(f.domain, CIPHERTEXT_TYPES, { epoch, sequence: 0n, payloadHash: keccak256(posted) }, signature);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.postCiphertext(epoch, 0n, posted, signature))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
          .withArgs(recovered);
      });
    });

    it("unregistered and revoked senders are refused; an empty ciphertext is refused", async function () {
      const f = await loadFixture(twoMembers);
      const epoch = await f.group.currentEpoch();
      const ciphertext = randomBytes(200);
      const stranger = new EnclaveKeys();
      await expectUnchanged(f.group, [stranger.address, f.alice.address], async () => {
        await expect(f.group.postCiphertext(epoch, 0n, ciphertext, await stranger.signCiphertext(f.domain, epoch, ciphertext, 0n)))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
          .withArgs(stranger.address);
        const empty = new Uint8Array();
        await expect(f.group.postCiphertext(epoch, 0n, empty, await f.alice.signCiphertext(f.domain, epoch, empty, 0n)))
          .to.be.revertedWithCustomError(f.group, "CiphertextEmpty")
          .withArgs(0n);
      });
      const removed = await revokeAndRemove(f, f.alice, f.bob);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.postCiphertext(removed, 0n, ciphertext, await f.alice.signCiphertext(f.domain, removed, ciphertext, 0n)))
          .to.be.revertedWithCustomError(f.group, "EnclaveWasRevoked")
          .withArgs(f.alice.address);
      });
    });
  });

  describe("batches", function () {
    it("numbers a batch's entries consecutively after the log head and emits one event carrying them all", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const single = randomBytes(50);
      await f.group.postCiphertext(epoch, 0n, single, await f.alice.signCiphertext(f.domain, epoch, single, 0n));
      const batch = ciphertexts(5);
      // The batch takes Alice's post numbers 1..5 of the epoch.
      const signature = await f.alice.signCiphertextBatch(f.domain, epoch, batch, 1n);
      const tx = f.group.connect(f.relayer).postCiphertextBatch(epoch, 1n, batch, signature);
      await expect(tx).to.emit(f.group, "CiphertextBatchPosted").withArgs(2n, epoch, f.alice.address, batch.map((c) => hexlify(c)));
      expect(await f.group.stateCounter()).to.equal(6n);
      expect(await f.group.nextPostSequence(f.alice.address, epoch)).to.equal(6n);
      // A node recovers each entry's counter: firstStateCounter + index.
      const [log] = await f.group.queryFilter(f.group.filters.CiphertextBatchPosted());
      const recoveredCounters = log.args.ciphertexts.map((_, i) => log.args.firstStateCounter + BigInt(i));
      expect(recoveredCounters).to.deep.equal([2n, 3n, 4n, 5n, 6n]);
    });

    it("accepts exactly MAX_BATCH_SIZE entries", async function () {
      const f = await loadFixture(oneMember);
      const max = await f.group.MAX_BATCH_SIZE();
      expect(max).to.equal(128n);
      const epoch = await f.group.currentEpoch();
      const batch = ciphertexts(Number(max), 16);
      await f.group.postCiphertextBatch(epoch, 0n, batch, await f.alice.signCiphertextBatch(f.domain, epoch, batch, 0n));
      expect(await f.group.stateCounter()).to.equal(max);
      expect(await f.group.nextPostSequence(f.alice.address, epoch)).to.equal(max);
    });

    it("limits: BatchEmpty, BatchTooLarge(size, max), CiphertextEmpty(index)", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.postCiphertextBatch(epoch, 0n, [], await f.alice.signCiphertextBatch(f.domain, epoch, [], 0n))).to.be.revertedWithCustomError(
          f.group,
          "BatchEmpty",
        );
        const tooMany = ciphertexts(129, 8);
        await expect(f.group.postCiphertextBatch(epoch, 0n, tooMany, await f.alice.signCiphertextBatch(f.domain, epoch, tooMany, 0n)))
          .to.be.revertedWithCustomError(f.group, "BatchTooLarge")
          .withArgs(129n, 128n);
        const withHole = [randomBytes(10), randomBytes(10), new Uint8Array(), randomBytes(10)];
        await expect(f.group.postCiphertextBatch(epoch, 0n, withHole, await f.alice.signCiphertextBatch(f.domain, epoch, withHole, 0n)))
          .to.be.revertedWithCustomError(f.group, "CiphertextEmpty")
          .withArgs(2n);
      });
    });

    it("a signature over another set (dropped, reordered or added entry) recovers another address", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const batch = ciphertexts(4);
      const signature = await f.alice.signCiphertextBatch(f.domain, epoch, batch, 0n);
      const variants = [batch.slice(0, 3), [batch[1], batch[0], batch[2], batch[3]], [...batch, randomBytes(200)]];
      await expectUnchanged(f.group, [f.alice.address], async () => {
        for (const posted of variants) {
          const recovered = verifyTypedData(f.domain, CIPHERTEXT_BATCH_TYPES, { epoch, firstSequence: 0n, payloadsHash: payloadsHash(posted) }, signature);
          expect(recovered).to.not.equal(f.alice.address);
          await expect(f.group.postCiphertextBatch(epoch, 0n, posted, signature))
            .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
            .withArgs(recovered);
        }
      });
    });

    it("a single-entry signature does not authorize a batch of that entry, nor the reverse (distinct types)", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const ciphertext = randomBytes(200);
      const singleSignature = await f.alice.signCiphertext(f.domain, epoch, ciphertext, 0n);
      const batchSignature = await f.alice.signCiphertextBatch(f.domain, epoch, [ciphertext], 0n);
      const asBatch = verifyTypedData(
        f.domain,
        CIPHERTEXT_BATCH_TYPES,
        { epoch, firstSequence: 0n, payloadsHash: payloadsHash([ciphertext]) },
        singleSignature,
      );
      const asSingle = verifyTypedData(f.domain, CIPHERTEXT_TYPES, { epoch, sequence: 0n, payloadHash: keccak256(ciphertext) }, batchSignature);
      expect([asBatch, asSingle]).to.not.include(f.alice.address);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.postCiphertextBatch(epoch, 0n, [ciphertext], singleSignature))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
          .withArgs(asBatch);
        await expect(f.group.postCiphertext(epoch, 0n, ciphertext, batchSignature))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
          .withArgs(asSingle);
      });
    });

    it("batches follow the epoch rule and refuse unregistered and revoked senders", async function () {
      const f = await loadFixture(twoMembers);
      const epoch = await f.group.currentEpoch();
      const batch = ciphertexts(3);
      const stranger = new EnclaveKeys();
      await expectUnchanged(f.group, [f.alice.address, stranger.address], async () => {
        await expect(f.group.postCiphertextBatch(epoch + 1n, 0n, batch, await f.alice.signCiphertextBatch(f.domain, epoch + 1n, batch, 0n)))
          .to.be.revertedWithCustomError(f.group, "EpochMismatch")
          .withArgs(epoch, epoch + 1n);
        await expect(f.group.postCiphertextBatch(epoch, 0n, batch, await stranger.signCiphertextBatch(f.domain, epoch, batch, 0n)))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
          .withArgs(stranger.address);
      });
      const removed = await revokeAndRemove(f, f.alice, f.bob);
      await expect(f.group.postCiphertextBatch(removed, 0n, batch, await f.alice.signCiphertextBatch(f.domain, removed, batch, 0n)))
        .to.be.revertedWithCustomError(f.group, "EnclaveWasRevoked")
        .withArgs(f.alice.address);
    });
  });

  describe("post sequence: each signed ciphertext or batch is accepted once (audit F-5)", function () {
    it("audit F-5: a post replayed by an outsider reverts PostSequenceMismatch(alice, 1, 0) and changes nothing", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const ciphertext = randomBytes(32);
      const signature = await f.alice.signCiphertext(f.domain, epoch, ciphertext, 0n);
      await expect(f.group.connect(f.relayer).postCiphertext(epoch, 0n, ciphertext, signature))
        .to.emit(f.group, "CiphertextPosted")
        .withArgs(1n, epoch, f.alice.address, hexlify(ciphertext));
      // The audit's proof of concept replayed it five times, each one appended as entry 2, 3, … signed by Alice.
      for (let i = 0; i < 5; i++) {
        await expectUnchanged(f.group, [f.alice.address], async () => {
          await expect(f.group.connect(f.outsider).postCiphertext(epoch, 0n, ciphertext, signature))
            .to.be.revertedWithCustomError(f.group, "PostSequenceMismatch")
            .withArgs(f.alice.address, 1n, 0n);
        });
      }
      expect(await f.group.stateCounter()).to.equal(1n);
      expect(await f.group.nextPostSequence(f.alice.address, epoch)).to.equal(1n);
      expect(await f.group.queryFilter(f.group.filters.CiphertextPosted())).to.have.length(1);
    });

    it("audit F-5: a replayed batch reverts PostSequenceMismatch(alice, 128, 0), so is no entry of it", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const batch = ciphertexts(128, 1);
      const signature = await f.alice.signCiphertextBatch(f.domain, epoch, batch, 0n);
      await f.group.connect(f.relayer).postCiphertextBatch(epoch, 0n, batch, signature);
      expect(await f.group.stateCounter()).to.equal(128n);
      expect(await f.group.nextPostSequence(f.alice.address, epoch)).to.equal(128n);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        for (let i = 0; i < 3; i++) {
          await expect(f.group.connect(f.outsider).postCiphertextBatch(epoch, 0n, batch, signature))
            .to.be.revertedWithCustomError(f.group, "PostSequenceMismatch")
            .withArgs(f.alice.address, 128n, 0n);
        }
        // A number inside the batch's range is spent as well.
        const single = randomBytes(1);
        await expect(f.group.postCiphertext(epoch, 5n, single, await f.alice.signCiphertext(f.domain, epoch, single, 5n)))
          .to.be.revertedWithCustomError(f.group, "PostSequenceMismatch")
          .withArgs(f.alice.address, 128n, 5n);
      });
      expect(await f.group.nextPostSequence(f.alice.address, epoch)).to.equal(128n);
      expect(await f.group.queryFilter(f.group.filters.CiphertextBatchPosted())).to.have.length(1);
    });

    it("a post that skips a number is refused (expected 0) until its predecessor lands, then accepted", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const second = randomBytes(40);
      const secondSignature = await f.alice.signCiphertext(f.domain, epoch, second, 1n);
      const batch = ciphertexts(2, 40);
      const batchSignature = await f.alice.signCiphertextBatch(f.domain, epoch, batch, 1n);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.postCiphertext(epoch, 1n, second, secondSignature))
          .to.be.revertedWithCustomError(f.group, "PostSequenceMismatch")
          .withArgs(f.alice.address, 0n, 1n);
        await expect(f.group.postCiphertextBatch(epoch, 1n, batch, batchSignature))
          .to.be.revertedWithCustomError(f.group, "PostSequenceMismatch")
          .withArgs(f.alice.address, 0n, 1n);
      });
      expect(await f.group.nextPostSequence(f.alice.address, epoch)).to.equal(0n);

      const first = randomBytes(40);
      await expect(post(f, f.alice, 0n, first)).to.emit(f.group, "CiphertextPosted").withArgs(1n, epoch, f.alice.address, hexlify(first));
      // The refused post is now the next one: the same signed bytes go through.
      await expect(f.group.connect(f.outsider).postCiphertext(epoch, 1n, second, secondSignature))
        .to.emit(f.group, "CiphertextPosted")
        .withArgs(2n, epoch, f.alice.address, hexlify(second));
      // The batch signed from 1 lost its numbers to that post.
      await expect(f.group.postCiphertextBatch(epoch, 1n, batch, batchSignature))
        .to.be.revertedWithCustomError(f.group, "PostSequenceMismatch")
        .withArgs(f.alice.address, 2n, 1n);
      expect(await f.group.nextPostSequence(f.alice.address, epoch)).to.equal(2n);
    });

    it("two enclaves count their posts independently", async function () {
      const f = await loadFixture(twoMembers);
      const epoch = await f.group.currentEpoch();
      const aliceFirst = randomBytes(30);
      const aliceFirstSignature = await f.alice.signCiphertext(f.domain, epoch, aliceFirst, 0n);
      await f.group.postCiphertext(epoch, 0n, aliceFirst, aliceFirstSignature);
      expect(await f.group.nextPostSequence(f.alice.address, epoch)).to.equal(1n);
      expect(await f.group.nextPostSequence(f.bob.address, epoch)).to.equal(0n);
      // Alice's post did not take Bob's number 0.
      await expectPosted(f, f.bob, 0n, 2n, epoch);
      await expectPosted(f, f.alice, 1n, 3n, epoch);
      await expectBatchPosted(f, f.bob, 1n, 2, 4n, epoch);
      expect(await f.group.nextPostSequence(f.alice.address, epoch)).to.equal(2n);
      expect(await f.group.nextPostSequence(f.bob.address, epoch)).to.equal(3n);
      await expectUnchanged(f.group, [f.alice.address, f.bob.address], async () => {
        await expect(f.group.postCiphertext(epoch, 0n, aliceFirst, aliceFirstSignature))
          .to.be.revertedWithCustomError(f.group, "PostSequenceMismatch")
          .withArgs(f.alice.address, 2n, 0n);
        // Bob's number 2 is spent (his batch took 1 and 2), Alice's is not: the error names the signer's own count.
        await expect(post(f, f.bob, 2n)).to.be.revertedWithCustomError(f.group, "PostSequenceMismatch").withArgs(f.bob.address, 3n, 2n);
      });
      await expectPosted(f, f.alice, 2n, 6n, epoch);
    });

    it("numbering restarts at 0 when the epoch moves (handshake or join), and nextPostSequence reports it", async function () {
      const f = await loadFixture(oneMember);
      const first = await f.group.currentEpoch();
      await (await post(f, f.alice, 0n)).wait();
      await (await post(f, f.alice, 1n)).wait();
      expect(await f.group.nextPostSequence(f.alice.address, first)).to.equal(2n);

      await handshake(f, f.alice);
      const second = first + 1n;
      expect(await f.group.currentEpoch()).to.equal(second);
      expect(await f.group.nextPostSequence(f.alice.address, second)).to.equal(0n);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(post(f, f.alice, 2n)).to.be.revertedWithCustomError(f.group, "PostSequenceMismatch").withArgs(f.alice.address, 0n, 2n);
      });
      await expectPosted(f, f.alice, 0n, 3n, second);
      expect(await f.group.nextPostSequence(f.alice.address, second)).to.equal(1n);

      // A join moves the epoch too.
      await (await join(f, new EnclaveKeys())).wait();
      const third = second + 1n;
      expect(await f.group.currentEpoch()).to.equal(third);
      expect(await f.group.nextPostSequence(f.alice.address, third)).to.equal(0n);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(post(f, f.alice, 1n)).to.be.revertedWithCustomError(f.group, "PostSequenceMismatch").withArgs(f.alice.address, 0n, 1n);
      });
      await expectBatchPosted(f, f.alice, 0n, 2, 4n, third);
      expect(await f.group.nextPostSequence(f.alice.address, third)).to.equal(2n);

      // An epoch in which the enclave did not post starts at 0 as well.
      await handshake(f, f.alice);
      await handshake(f, f.alice);
      const fifth = third + 2n;
      expect(await f.group.nextPostSequence(f.alice.address, fifth)).to.equal(0n);
      await expectPosted(f, f.alice, 0n, 6n, fifth);
    });

    it("a batch of 3 from 0 makes nextPostSequence 3, and the next single post must carry 3", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      await expectBatchPosted(f, f.alice, 0n, 3, 1n, epoch);
      expect(await f.group.nextPostSequence(f.alice.address, epoch)).to.equal(3n);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        for (const taken of [0n, 1n, 2n, 4n]) {
          await expect(post(f, f.alice, taken)).to.be.revertedWithCustomError(f.group, "PostSequenceMismatch").withArgs(f.alice.address, 3n, taken);
        }
        await expect(postBatch(f, f.alice, 2n, ciphertexts(2)))
          .to.be.revertedWithCustomError(f.group, "PostSequenceMismatch")
          .withArgs(f.alice.address, 3n, 2n);
      });
      const fourth = randomBytes(64);
      await expect(post(f, f.alice, 3n, fourth)).to.emit(f.group, "CiphertextPosted").withArgs(4n, epoch, f.alice.address, hexlify(fourth));
      expect(await f.group.nextPostSequence(f.alice.address, epoch)).to.equal(4n);
    });

    it("a signature over post number 0 submitted as number 1 recovers another address: EnclaveNotRegistered", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      await (await post(f, f.alice, 0n)).wait();
      // Alice's next number is 1, so only the signature tells the relabelled posts from hers.
      const ciphertext = randomBytes(64);
      const signature = await f.alice.signCiphertext(f.domain, epoch, ciphertext, 0n);
      const asOne = verifyTypedData(f.domain, CIPHERTEXT_TYPES, { epoch, sequence: 1n, payloadHash: keccak256(ciphertext) }, signature);
      const batch = ciphertexts(2);
      const batchSignature = await f.alice.signCiphertextBatch(f.domain, epoch, batch, 0n);
      const batchAsOne = verifyTypedData(f.domain, CIPHERTEXT_BATCH_TYPES, { epoch, firstSequence: 1n, payloadsHash: payloadsHash(batch) }, batchSignature);
      expect([asOne, batchAsOne]).to.not.include(f.alice.address);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.postCiphertext(epoch, 1n, ciphertext, signature))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
          .withArgs(asOne);
        await expect(f.group.postCiphertextBatch(epoch, 1n, batch, batchSignature))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
          .withArgs(batchAsOne);
      });
      expect(await f.group.nextPostSequence(f.alice.address, epoch)).to.equal(1n);
    });

    it("order of checks: empty, epoch, signer, then sequence", async function () {
      const f = await loadFixture(twoMembers);
      const epoch = await f.group.currentEpoch();
      await (await post(f, f.alice, 0n)).wait();
      const stranger = new EnclaveKeys();
      const ciphertext = randomBytes(64);
      await expectUnchanged(f.group, [f.alice.address, stranger.address], async () => {
        // Wrong number and empty: CiphertextEmpty; wrong number and wrong epoch: EpochMismatch.
        const empty = new Uint8Array();
        await expect(f.group.postCiphertext(epoch, 0n, empty, await f.alice.signCiphertext(f.domain, epoch, empty, 0n)))
          .to.be.revertedWithCustomError(f.group, "CiphertextEmpty")
          .withArgs(0n);
        await expect(f.group.postCiphertext(epoch + 1n, 0n, ciphertext, await f.alice.signCiphertext(f.domain, epoch + 1n, ciphertext, 0n)))
          .to.be.revertedWithCustomError(f.group, "EpochMismatch")
          .withArgs(epoch, epoch + 1n);
        // A non-member's post gets EnclaveNotRegistered whatever its number (its own count would expect 0).
        await expect(f.group.postCiphertext(epoch, 5n, ciphertext, await stranger.signCiphertext(f.domain, epoch, ciphertext, 5n)))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
          .withArgs(stranger.address);
      });
      expect(await f.group.nextPostSequence(stranger.address, epoch)).to.equal(0n);
      await revokeAndRemove(f, f.alice, f.bob);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        // Her correct next number (0 in the epoch the removal commit created) does not help a revoked enclave.
        await expect(post(f, f.alice, 0n)).to.be.revertedWithCustomError(f.group, "EnclaveWasRevoked").withArgs(f.alice.address);
      });
    });

    it("a revoked and reinstated enclave keeps its count: its earlier posts stay spent", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const ciphertext = randomBytes(64);
      const signature = await f.alice.signCiphertext(f.domain, epoch, ciphertext, 0n);
      await f.group.postCiphertext(epoch, 0n, ciphertext, signature);
      await f.group.connect(f.governor).revokeEnclave(f.alice.address);
      await f.group.connect(f.governor).reinstateEnclave(f.alice.address);
      expect(await f.group.currentEpoch()).to.equal(epoch);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.connect(f.outsider).postCiphertext(epoch, 0n, ciphertext, signature))
          .to.be.revertedWithCustomError(f.group, "PostSequenceMismatch")
          .withArgs(f.alice.address, 1n, 0n);
      });
      await expectPosted(f, f.alice, 1n, 2n, epoch);
    });

    it("ciphertextDigest and ciphertextBatchDigest are the EIP-712 hashes of the typed data with the post number", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const ciphertext = randomBytes(64);
      const batch = ciphertexts(3);
      for (const sequence of [0n, 1n, 7n, 2n ** 64n - 1n]) {
        const digest = await f.group.ciphertextDigest(epoch, sequence, ciphertext);
        expect(digest).to.equal(TypedDataEncoder.hash(f.domain, CIPHERTEXT_TYPES, { epoch, sequence, payloadHash: keccak256(ciphertext) }));
        expect(recoverAddress(digest, await f.alice.signCiphertext(f.domain, epoch, ciphertext, sequence))).to.equal(f.alice.address);
        const batchDigest = await f.group.ciphertextBatchDigest(epoch, sequence, batch);
        expect(batchDigest).to.equal(
          TypedDataEncoder.hash(f.domain, CIPHERTEXT_BATCH_TYPES, { epoch, firstSequence: sequence, payloadsHash: payloadsHash(batch) }),
        );
        expect(recoverAddress(batchDigest, await f.alice.signCiphertextBatch(f.domain, epoch, batch, sequence))).to.equal(f.alice.address);
      }
      // The post number is part of what is signed.
      expect(await f.group.ciphertextDigest(epoch, 0n, ciphertext)).to.not.equal(await f.group.ciphertextDigest(epoch, 1n, ciphertext));
      expect(await f.group.ciphertextBatchDigest(epoch, 0n, batch)).to.not.equal(await f.group.ciphertextBatchDigest(epoch, 1n, batch));
    });
  });

  describe("snapshots (postSnapshot)", function () {
    /** `enclave`'s signed snapshot for log position `stateCounter` of the current epoch. */
    async function signedSnapshot(f: GroupFixture, enclave: EnclaveKeys, stateCounter: bigint, snapshot: Uint8Array = randomBytes(120)) {
      const epoch = await f.group.currentEpoch();
      return { epoch, stateCounter, snapshot, signature: await enclave.signSnapshot(f.domain, epoch, stateCounter, snapshot) };
    }

    it("is accepted at stateCounter + 1 from any sender, emits CiphertextPosted with that counter, and leaves the post sequence alone", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      await (await post(f, f.alice, 0n)).wait();
      const s = await signedSnapshot(f, f.alice, 2n);
      await expect(f.group.connect(f.outsider).postSnapshot(s.epoch, s.stateCounter, s.snapshot, s.signature))
        .to.emit(f.group, "CiphertextPosted")
        .withArgs(2n, epoch, f.alice.address, hexlify(s.snapshot));
      expect(await f.group.stateCounter()).to.equal(2n);
      expect(await f.group.currentEpoch()).to.equal(epoch);
      expect(await f.group.nextPostSequence(f.alice.address, epoch)).to.equal(1n);
      await expectPosted(f, f.alice, 1n, 3n, epoch);
    });

    it("on an empty log a snapshot is entry 1, and its sender's first post of the epoch still carries 0", async function () {
      const f = await loadFixture(oneMember);
      const s = await signedSnapshot(f, f.alice, 1n);
      await expect(f.group.postSnapshot(s.epoch, 1n, s.snapshot, s.signature))
        .to.emit(f.group, "CiphertextPosted")
        .withArgs(1n, s.epoch, f.alice.address, hexlify(s.snapshot));
      expect(await f.group.nextPostSequence(f.alice.address, s.epoch)).to.equal(0n);
      await expectPosted(f, f.alice, 0n, 2n, s.epoch);
    });

    it("the same signed snapshot replayed reverts SnapshotPositionMismatch(3, 2) and changes nothing", async function () {
      const f = await loadFixture(oneMember);
      await (await post(f, f.alice, 0n)).wait();
      const s = await signedSnapshot(f, f.alice, 2n);
      await (await f.group.postSnapshot(s.epoch, s.stateCounter, s.snapshot, s.signature)).wait();
      await expectUnchanged(f.group, [f.alice.address], async () => {
        for (const sender of [f.relayer, f.outsider]) {
          await expect(f.group.connect(sender).postSnapshot(s.epoch, s.stateCounter, s.snapshot, s.signature))
            .to.be.revertedWithCustomError(f.group, "SnapshotPositionMismatch")
            .withArgs(3n, 2n);
        }
      });
      expect(await f.group.queryFilter(f.group.filters.CiphertextPosted(2n))).to.have.length(1);
    });

    it("a snapshot whose position another entry took first is refused; so is one for a later position", async function () {
      const f = await loadFixture(twoMembers);
      const s = await signedSnapshot(f, f.alice, 1n);
      // Bob's ciphertext becomes entry 1 first.
      await (await post(f, f.bob, 0n)).wait();
      await expectUnchanged(f.group, [f.alice.address, f.bob.address], async () => {
        await expect(f.group.postSnapshot(s.epoch, 1n, s.snapshot, s.signature))
          .to.be.revertedWithCustomError(f.group, "SnapshotPositionMismatch")
          .withArgs(2n, 1n);
      });
      // A batch takes several positions at once.
      const t = await signedSnapshot(f, f.alice, 2n);
      await (await postBatch(f, f.bob, 1n, ciphertexts(3))).wait();
      await expectUnchanged(f.group, [f.alice.address, f.bob.address], async () => {
        await expect(f.group.postSnapshot(t.epoch, 2n, t.snapshot, t.signature))
          .to.be.revertedWithCustomError(f.group, "SnapshotPositionMismatch")
          .withArgs(5n, 2n);
        // Signed ahead of the log: it would land after entries it does not hold.
        const ahead = await signedSnapshot(f, f.alice, 6n);
        await expect(f.group.postSnapshot(ahead.epoch, 6n, ahead.snapshot, ahead.signature))
          .to.be.revertedWithCustomError(f.group, "SnapshotPositionMismatch")
          .withArgs(5n, 6n);
      });
      // Another snapshot signed for the current position goes through.
      const u = await signedSnapshot(f, f.alice, 5n);
      await expect(f.group.postSnapshot(u.epoch, 5n, u.snapshot, u.signature))
        .to.emit(f.group, "CiphertextPosted")
        .withArgs(5n, u.epoch, f.alice.address, hexlify(u.snapshot));
    });

    it("refuses another epoch, an empty snapshot, non-members and revoked members", async function () {
      const f = await loadFixture(twoMembers);
      const epoch = await f.group.currentEpoch();
      const snapshot = randomBytes(120);
      const stranger = new EnclaveKeys();
      await expectUnchanged(f.group, [f.alice.address, stranger.address], async () => {
        for (const other of [epoch - 1n, epoch + 1n]) {
          await expect(f.group.postSnapshot(other, 1n, snapshot, await f.alice.signSnapshot(f.domain, other, 1n, snapshot)))
            .to.be.revertedWithCustomError(f.group, "EpochMismatch")
            .withArgs(epoch, other);
        }
        const empty = new Uint8Array();
        await expect(f.group.postSnapshot(epoch, 1n, empty, await f.alice.signSnapshot(f.domain, epoch, 1n, empty)))
          .to.be.revertedWithCustomError(f.group, "CiphertextEmpty")
          .withArgs(0n);
        await expect(f.group.postSnapshot(epoch, 1n, snapshot, await stranger.signSnapshot(f.domain, epoch, 1n, snapshot)))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
          .withArgs(stranger.address);
      });
      const removed = await revokeAndRemove(f, f.alice, f.bob);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.postSnapshot(removed, 1n, snapshot, await f.alice.signSnapshot(f.domain, removed, 1n, snapshot)))
          .to.be.revertedWithCustomError(f.group, "EnclaveWasRevoked")
          .withArgs(f.alice.address);
      });
    });

    it("order of checks: empty, epoch, position, then signer", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const stranger = new EnclaveKeys();
      const snapshot = randomBytes(60);
      await expectUnchanged(f.group, [f.alice.address, stranger.address], async () => {
        const empty = new Uint8Array();
        await expect(f.group.postSnapshot(epoch + 1n, 9n, empty, await stranger.signSnapshot(f.domain, epoch + 1n, 9n, empty)))
          .to.be.revertedWithCustomError(f.group, "CiphertextEmpty")
          .withArgs(0n);
        await expect(f.group.postSnapshot(epoch + 1n, 9n, snapshot, await stranger.signSnapshot(f.domain, epoch + 1n, 9n, snapshot)))
          .to.be.revertedWithCustomError(f.group, "EpochMismatch")
          .withArgs(epoch, epoch + 1n);
        await expect(f.group.postSnapshot(epoch, 9n, snapshot, await stranger.signSnapshot(f.domain, epoch, 9n, snapshot)))
          .to.be.revertedWithCustomError(f.group, "SnapshotPositionMismatch")
          .withArgs(1n, 9n);
      });
    });

    it("a Ciphertext signature does not authorize a snapshot, nor the reverse (distinct types, same fields)", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      await (await post(f, f.alice, 0n)).wait();
      // Alice's next post number is 1 and the log's next position is 2: each forged call below is otherwise right.
      const bytes = randomBytes(100);
      const asCiphertext = await f.alice.signCiphertext(f.domain, epoch, bytes, 2n);
      const asSnapshot = await f.alice.signSnapshot(f.domain, epoch, 1n, bytes);
      const snapshotSigner = verifyTypedData(f.domain, SNAPSHOT_TYPES, { epoch, stateCounter: 2n, payloadHash: keccak256(bytes) }, asCiphertext);
      const ciphertextSigner = verifyTypedData(f.domain, CIPHERTEXT_TYPES, { epoch, sequence: 1n, payloadHash: keccak256(bytes) }, asSnapshot);
      expect([snapshotSigner, ciphertextSigner]).to.not.include(f.alice.address);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.postSnapshot(epoch, 2n, bytes, asCiphertext))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
          .withArgs(snapshotSigner);
        await expect(f.group.postCiphertext(epoch, 1n, bytes, asSnapshot))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
          .withArgs(ciphertextSigner);
        const batchSignature = await f.alice.signCiphertextBatch(f.domain, epoch, [bytes], 2n);
        await expect(f.group.postSnapshot(epoch, 2n, bytes, batchSignature))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
          .withArgs(verifyTypedData(f.domain, SNAPSHOT_TYPES, { epoch, stateCounter: 2n, payloadHash: keccak256(bytes) }, batchSignature));
      });
      expect(await f.group.nextPostSequence(f.alice.address, epoch)).to.equal(1n);
      // The right signature for the same bytes is accepted.
      await expect(f.group.postSnapshot(epoch, 2n, bytes, await f.alice.signSnapshot(f.domain, epoch, 2n, bytes)))
        .to.emit(f.group, "CiphertextPosted")
        .withArgs(2n, epoch, f.alice.address, hexlify(bytes));
    });

    it("snapshotDigest is the EIP-712 hash of Snapshot(epoch, stateCounter, keccak256(snapshot))", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const snapshot = randomBytes(120);
      for (const stateCounter of [0n, 1n, 42n, 2n ** 64n - 1n]) {
        const digest = await f.group.snapshotDigest(epoch, stateCounter, snapshot);
        expect(digest).to.equal(TypedDataEncoder.hash(f.domain, SNAPSHOT_TYPES, { epoch, stateCounter, payloadHash: keccak256(snapshot) }));
        expect(recoverAddress(digest, await f.alice.signSnapshot(f.domain, epoch, stateCounter, snapshot))).to.equal(f.alice.address);
      }
      // Distinct from the Ciphertext digest over the same numbers and bytes.
      expect(await f.group.snapshotDigest(epoch, 1n, snapshot)).to.not.equal(await f.group.ciphertextDigest(epoch, 1n, snapshot));
    });
  });
});
