import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { hexlify, randomBytes, verifyTypedData, keccak256 } from "ethers";
import { CIPHERTEXT_BATCH_TYPES, CIPHERTEXT_TYPES, EnclaveKeys, payloadsHash } from "./helpers/enclaveKeys";
import { expectUnchanged, joinedEnclave, simulationGroupFixture } from "./helpers/fixtures";

async function oneMember() {
  const f = await loadFixture(simulationGroupFixture);
  const alice = await joinedEnclave(f);
  return { ...f, alice };
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
        const signature = await f.alice.signCiphertext(f.domain, epoch, ciphertext);
        await expect(f.group.connect(f.relayer).postCiphertext(epoch, ciphertext, signature))
          .to.emit(f.group, "CiphertextPosted")
          .withArgs(counter, epoch, f.alice.address, hexlify(ciphertext));
        expect(await f.group.stateCounter()).to.equal(counter);
      }
      expect(await f.group.currentEpoch()).to.equal(epoch);
    });

    it("a ciphertext must name the current epoch: EpochMismatch (old and future epochs)", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const ciphertext = randomBytes(200);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.postCiphertext(epoch - 1n, ciphertext, await f.alice.signCiphertext(f.domain, epoch - 1n, ciphertext)))
          .to.be.revertedWithCustomError(f.group, "EpochMismatch")
          .withArgs(epoch, epoch - 1n);
        await expect(f.group.postCiphertext(epoch + 1n, ciphertext, await f.alice.signCiphertext(f.domain, epoch + 1n, ciphertext)))
          .to.be.revertedWithCustomError(f.group, "EpochMismatch")
          .withArgs(epoch, epoch + 1n);
      });
    });

    it("replay in a later epoch: refused under its own epoch (EpochMismatch) and under the new one (other signer)", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const ciphertext = randomBytes(200);
      const signature = await f.alice.signCiphertext(f.domain, epoch, ciphertext);
      await f.group.postCiphertext(epoch, ciphertext, signature);
      const handshake = randomBytes(64);
      await f.group.postHandshake(epoch, handshake, await f.alice.signHandshake(f.domain, epoch, handshake));

      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.postCiphertext(epoch, ciphertext, signature))
          .to.be.revertedWithCustomError(f.group, "EpochMismatch")
          .withArgs(epoch + 1n, epoch);
        const recovered = verifyTypedData(f.domain, CIPHERTEXT_TYPES, { epoch: epoch + 1n, payloadHash: keccak256(ciphertext) }, signature);
        expect(recovered).to.not.equal(f.alice.address);
        await expect(f.group.postCiphertext(epoch + 1n, ciphertext, signature))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
          .withArgs(recovered);
      });
    });

    it("replay within the same epoch appends a duplicate entry (documented: enclaves drop it by its inner nonce)", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const ciphertext = randomBytes(200);
      const signature = await f.alice.signCiphertext(f.domain, epoch, ciphertext);
      await f.group.postCiphertext(epoch, ciphertext, signature);
      await expect(f.group.connect(f.outsider).postCiphertext(epoch, ciphertext, signature))
        .to.emit(f.group, "CiphertextPosted")
        .withArgs(2n, epoch, f.alice.address, hexlify(ciphertext));
    });

    it("a signature over other bytes recovers another address: EnclaveNotRegistered", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const signature = await f.alice.signCiphertext(f.domain, epoch, randomBytes(200));
      const posted = randomBytes(200);
      const recovered = verifyTypedData(f.domain, CIPHERTEXT_TYPES, { epoch, payloadHash: keccak256(posted) }, signature);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.postCiphertext(epoch, posted, signature))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
          .withArgs(recovered);
      });
    });

    it("unregistered and revoked senders are refused; an empty ciphertext is refused", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const ciphertext = randomBytes(200);
      const stranger = new EnclaveKeys();
      await expectUnchanged(f.group, [stranger.address, f.alice.address], async () => {
        await expect(f.group.postCiphertext(epoch, ciphertext, await stranger.signCiphertext(f.domain, epoch, ciphertext)))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
          .withArgs(stranger.address);
        const empty = new Uint8Array();
        await expect(f.group.postCiphertext(epoch, empty, await f.alice.signCiphertext(f.domain, epoch, empty)))
          .to.be.revertedWithCustomError(f.group, "CiphertextEmpty")
          .withArgs(0n);
      });
      await f.group.connect(f.governor).revokeEnclave(f.alice.address);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.postCiphertext(epoch, ciphertext, await f.alice.signCiphertext(f.domain, epoch, ciphertext)))
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
      await f.group.postCiphertext(epoch, single, await f.alice.signCiphertext(f.domain, epoch, single));
      const batch = ciphertexts(5);
      const signature = await f.alice.signCiphertextBatch(f.domain, epoch, batch);
      const tx = f.group.connect(f.relayer).postCiphertextBatch(epoch, batch, signature);
      await expect(tx).to.emit(f.group, "CiphertextBatchPosted").withArgs(2n, epoch, f.alice.address, batch.map((c) => hexlify(c)));
      expect(await f.group.stateCounter()).to.equal(6n);
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
      await f.group.postCiphertextBatch(epoch, batch, await f.alice.signCiphertextBatch(f.domain, epoch, batch));
      expect(await f.group.stateCounter()).to.equal(max);
    });

    it("limits: BatchEmpty, BatchTooLarge(size, max), CiphertextEmpty(index)", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.postCiphertextBatch(epoch, [], await f.alice.signCiphertextBatch(f.domain, epoch, []))).to.be.revertedWithCustomError(
          f.group,
          "BatchEmpty",
        );
        const tooMany = ciphertexts(129, 8);
        await expect(f.group.postCiphertextBatch(epoch, tooMany, await f.alice.signCiphertextBatch(f.domain, epoch, tooMany)))
          .to.be.revertedWithCustomError(f.group, "BatchTooLarge")
          .withArgs(129n, 128n);
        const withHole = [randomBytes(10), randomBytes(10), new Uint8Array(), randomBytes(10)];
        await expect(f.group.postCiphertextBatch(epoch, withHole, await f.alice.signCiphertextBatch(f.domain, epoch, withHole)))
          .to.be.revertedWithCustomError(f.group, "CiphertextEmpty")
          .withArgs(2n);
      });
    });

    it("a signature over another set (dropped, reordered or added entry) recovers another address", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const batch = ciphertexts(4);
      const signature = await f.alice.signCiphertextBatch(f.domain, epoch, batch);
      const variants = [batch.slice(0, 3), [batch[1], batch[0], batch[2], batch[3]], [...batch, randomBytes(200)]];
      await expectUnchanged(f.group, [f.alice.address], async () => {
        for (const posted of variants) {
          const recovered = verifyTypedData(f.domain, CIPHERTEXT_BATCH_TYPES, { epoch, payloadsHash: payloadsHash(posted) }, signature);
          expect(recovered).to.not.equal(f.alice.address);
          await expect(f.group.postCiphertextBatch(epoch, posted, signature))
            .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
            .withArgs(recovered);
        }
      });
    });

    it("a single-entry signature does not authorize a batch of that entry, nor the reverse (distinct types)", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const ciphertext = randomBytes(200);
      const singleSignature = await f.alice.signCiphertext(f.domain, epoch, ciphertext);
      const batchSignature = await f.alice.signCiphertextBatch(f.domain, epoch, [ciphertext]);
      const asBatch = verifyTypedData(f.domain, CIPHERTEXT_BATCH_TYPES, { epoch, payloadsHash: payloadsHash([ciphertext]) }, singleSignature);
      const asSingle = verifyTypedData(f.domain, CIPHERTEXT_TYPES, { epoch, payloadHash: keccak256(ciphertext) }, batchSignature);
      expect([asBatch, asSingle]).to.not.include(f.alice.address);
      await expectUnchanged(f.group, [f.alice.address], async () => {
        await expect(f.group.postCiphertextBatch(epoch, [ciphertext], singleSignature))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
          .withArgs(asBatch);
        await expect(f.group.postCiphertext(epoch, ciphertext, batchSignature))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
          .withArgs(asSingle);
      });
    });

    it("batches follow the epoch rule and refuse unregistered and revoked senders", async function () {
      const f = await loadFixture(oneMember);
      const epoch = await f.group.currentEpoch();
      const batch = ciphertexts(3);
      const stranger = new EnclaveKeys();
      await expectUnchanged(f.group, [f.alice.address, stranger.address], async () => {
        await expect(f.group.postCiphertextBatch(epoch + 1n, batch, await f.alice.signCiphertextBatch(f.domain, epoch + 1n, batch)))
          .to.be.revertedWithCustomError(f.group, "EpochMismatch")
          .withArgs(epoch, epoch + 1n);
        await expect(f.group.postCiphertextBatch(epoch, batch, await stranger.signCiphertextBatch(f.domain, epoch, batch)))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
          .withArgs(stranger.address);
      });
      await f.group.connect(f.governor).revokeEnclave(f.alice.address);
      await expect(f.group.postCiphertextBatch(epoch, batch, await f.alice.signCiphertextBatch(f.domain, epoch, batch)))
        .to.be.revertedWithCustomError(f.group, "EnclaveWasRevoked")
        .withArgs(f.alice.address);
    });
  });
});
