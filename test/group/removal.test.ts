import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { TypedDataEncoder, getAddress, hexlify, keccak256, randomBytes } from "ethers";
import { EnclaveKeys, REMOVAL_COMMIT_TYPES } from "./helpers/enclaveKeys";
import { EnclaveStatus, MRENCLAVE_V1, RevocationReason, expectUnchanged, joinedEnclave, simulationGroupFixture, type GroupFixture } from "./helpers/fixtures";

async function threeMembers() {
  const f = await loadFixture(simulationGroupFixture);
  const alice = await joinedEnclave(f);
  const bob = await joinedEnclave(f);
  const carol = await joinedEnclave(f);
  return { ...f, alice, bob, carol };
}

/** Three members, Carol revoked by the governor: her removal is pending. */
async function carolRevoked() {
  const f = await threeMembers();
  await (await f.group.connect(f.governor).revokeEnclave(f.carol.address)).wait();
  return f;
}

/** `enclave` posts one fresh ciphertext as its post number `sequence` of the current epoch. */
async function post(f: GroupFixture, enclave: EnclaveKeys, sequence: bigint) {
  const epoch = await f.group.currentEpoch();
  const ciphertext = randomBytes(64);
  return f.group.connect(f.relayer).postCiphertext(epoch, sequence, ciphertext, await enclave.signCiphertext(f.domain, epoch, ciphertext, sequence));
}

async function postBatch(f: GroupFixture, enclave: EnclaveKeys, firstSequence: bigint) {
  const epoch = await f.group.currentEpoch();
  const batch = [randomBytes(40), randomBytes(40)];
  return f.group.connect(f.relayer).postCiphertextBatch(epoch, firstSequence, batch, await enclave.signCiphertextBatch(f.domain, epoch, batch, firstSequence));
}

async function postSnapshot(f: GroupFixture, enclave: EnclaveKeys) {
  const epoch = await f.group.currentEpoch();
  const counter = (await f.group.stateCounter()) + 1n;
  const snapshot = randomBytes(80);
  return f.group.connect(f.relayer).postSnapshot(epoch, counter, snapshot, await enclave.signSnapshot(f.domain, epoch, counter, snapshot));
}

/** Ascending address order, as the contract and the enclave want the removal list. */
function ascending(addresses: readonly string[]): string[] {
  return [...addresses].map((a) => getAddress(a)).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
}

/** `committer` posts a removal commit of the current epoch naming `removed` (as given; `signed` overrides what it signs). */
async function removalCommit(f: GroupFixture, committer: EnclaveKeys, removed: readonly string[], signed: readonly string[] = removed) {
  const epoch = await f.group.currentEpoch();
  const handshake = randomBytes(96);
  const signature = await committer.signRemovalCommit(f.domain, epoch, handshake, signed);
  return { epoch, handshake, tx: f.group.connect(f.relayer).postRemovalCommit(epoch, handshake, [...removed], signature) };
}

describe("AnonifyGroup: removal commits after a revocation (audit F-6)", function () {
  it("regression: after a revocation no ciphertext is accepted until the removal commit lands", async function () {
    const f = await loadFixture(threeMembers);
    await (await f.group.connect(f.governor).revokeEnclave(f.carol.address)).wait();
    // Carol's leaf is still in the MLS group: she can read whatever the others post now.
    await expect(post(f, f.alice, 0n)).to.be.revertedWithCustomError(f.group, "RemovalCommitPending").withArgs(1n);
  });

  it("a revocation makes the removal pending: ciphertexts, batches and snapshots wait, checkpoints and handshakes do not", async function () {
    const f = await loadFixture(threeMembers);
    await expect(post(f, f.alice, 0n)).to.emit(f.group, "CiphertextPosted");
    expect(await f.group.pendingRemovalCount()).to.equal(0n);
    await expect(f.group.connect(f.governor).revokeEnclave(f.carol.address))
      .to.emit(f.group, "EnclaveRevoked")
      .withArgs(f.carol.address, MRENCLAVE_V1, RevocationReason.Governance, await f.governor.getAddress());
    expect(await f.group.pendingRemovalCount()).to.equal(1n);
    expect(await f.group.removalPending(f.carol.address)).to.equal(true);
    expect(await f.group.removalPending(f.alice.address)).to.equal(false);
    expect(await f.group.activeEnclaveCount()).to.equal(2n);

    const accounts = [f.alice.address, f.bob.address, f.carol.address];
    await expectUnchanged(f.group, accounts, async () => {
      await expect(post(f, f.alice, 1n)).to.be.revertedWithCustomError(f.group, "RemovalCommitPending").withArgs(1n);
      await expect(postBatch(f, f.bob, 0n)).to.be.revertedWithCustomError(f.group, "RemovalCommitPending").withArgs(1n);
      await expect(postSnapshot(f, f.alice)).to.be.revertedWithCustomError(f.group, "RemovalCommitPending").withArgs(1n);
    });
    // A checkpoint reveals nothing to a revoked leaf: accepted.
    const logHash = await f.group.logHash();
    const stateHash = hexlify(randomBytes(32));
    await expect(f.group.postCheckpoint(1n, stateHash, logHash, [], await f.alice.signCheckpoint(f.domain, 1n, stateHash, logHash)))
      .to.emit(f.group, "CheckpointPosted")
      .withArgs(f.alice.address, 1n, stateHash, logHash);
    // A plain handshake (a self-update, a join) still moves the epoch but cannot clear the pending removal.
    const epoch = await f.group.currentEpoch();
    const handshake = randomBytes(64);
    await expect(f.group.postHandshake(epoch, handshake, await f.bob.signHandshake(f.domain, epoch, handshake)))
      .to.emit(f.group, "HandshakePosted")
      .withArgs(epoch, f.bob.address, hexlify(handshake));
    expect(await f.group.pendingRemovalCount()).to.equal(1n);
    expect(await f.group.removalPending(f.carol.address)).to.equal(true);
    await expect(post(f, f.alice, 0n)).to.be.revertedWithCustomError(f.group, "RemovalCommitPending").withArgs(1n);
    // An empty removal list is a plain handshake too (signed as Handshake): it clears nothing.
    const next = await f.group.currentEpoch();
    await expect(f.group.postRemovalCommit(next, handshake, [], await f.bob.signHandshake(f.domain, next, handshake)))
      .to.emit(f.group, "HandshakePosted")
      .withArgs(next, f.bob.address, hexlify(handshake));
    expect(await f.group.pendingRemovalCount()).to.equal(1n);
  });

  it("the removal commit clears the pending removal; posts are accepted again and the revoked enclave's stay refused", async function () {
    const f = await loadFixture(carolRevoked);
    const { epoch, handshake, tx } = await removalCommit(f, f.alice, [f.carol.address]);
    await expect(tx)
      .to.emit(f.group, "EnclaveRemoved")
      .withArgs(f.carol.address, epoch, f.alice.address)
      .and.to.emit(f.group, "HandshakePosted")
      .withArgs(epoch, f.alice.address, hexlify(handshake));
    expect(await f.group.currentEpoch()).to.equal(epoch + 1n);
    expect(await f.group.pendingRemovalCount()).to.equal(0n);
    expect(await f.group.removalPending(f.carol.address)).to.equal(false);
    expect((await f.group.enclave(f.carol.address)).status).to.equal(EnclaveStatus.Revoked);
    await expect(post(f, f.alice, 0n)).to.emit(f.group, "CiphertextPosted").withArgs(1n, epoch + 1n, f.alice.address, (v: string) => v.length > 2);
    await expect(postBatch(f, f.bob, 0n)).to.emit(f.group, "CiphertextBatchPosted");
    await expect(postSnapshot(f, f.alice)).to.emit(f.group, "CiphertextPosted");
    await expectUnchanged(f.group, [f.carol.address], async () => {
      await expect(post(f, f.carol, 0n)).to.be.revertedWithCustomError(f.group, "EnclaveWasRevoked").withArgs(f.carol.address);
    });
  });

  it("the signed message is EIP-712 RemovalCommit(epoch, keccak256(handshake), removed)", async function () {
    const f = await loadFixture(carolRevoked);
    const epoch = await f.group.currentEpoch();
    const handshake = randomBytes(96);
    const digest = TypedDataEncoder.hash(f.domain, REMOVAL_COMMIT_TYPES, { epoch, handshakeHash: keccak256(handshake), removed: [f.carol.address] });
    const signature = f.alice.wallet.signingKey.sign(digest).serialized;
    await expect(f.group.postRemovalCommit(epoch, handshake, [f.carol.address], signature)).to.emit(f.group, "EnclaveRemoved");
  });

  it("eviction makes the removal pending too; one commit removes several enclaves, another the rest", async function () {
    const f = await loadFixture(threeMembers);
    const dave = await joinedEnclave(f);
    await f.verifier.connect(f.admin).setMrenclaveAllowed(MRENCLAVE_V1, false);
    await expect(f.group.connect(f.governor).evictEnclave(f.carol.address))
      .to.emit(f.group, "EnclaveRevoked")
      .withArgs(f.carol.address, MRENCLAVE_V1, RevocationReason.MrenclaveDisallowed, await f.governor.getAddress());
    await f.group.connect(f.governor).evictEnclave(dave.address);
    await f.group.connect(f.governor).evictEnclave(f.bob.address);
    expect(await f.group.pendingRemovalCount()).to.equal(3n);
    const [first, second, third] = ascending([f.bob.address, f.carol.address, dave.address]);
    const one = await removalCommit(f, f.alice, [first, third]);
    await expect(one.tx).to.emit(f.group, "EnclaveRemoved").withArgs(first, one.epoch, f.alice.address).and.to.emit(f.group, "EnclaveRemoved").withArgs(third, one.epoch, f.alice.address);
    expect(await f.group.pendingRemovalCount()).to.equal(1n);
    await expect(post(f, f.alice, 0n)).to.be.revertedWithCustomError(f.group, "RemovalCommitPending").withArgs(1n);
    const two = await removalCommit(f, f.alice, [second]);
    await expect(two.tx).to.emit(f.group, "EnclaveRemoved").withArgs(second, two.epoch, f.alice.address);
    expect(await f.group.pendingRemovalCount()).to.equal(0n);
    await expect(post(f, f.alice, 0n)).to.emit(f.group, "CiphertextPosted");
  });

  describe("refused removal lists change nothing", function () {
    it("an active enclave: RemovalNotPending(enclave, Active)", async function () {
      const f = await loadFixture(carolRevoked);
      await expectUnchanged(f.group, [f.bob.address, f.carol.address], async () => {
        const { tx } = await removalCommit(f, f.alice, [f.bob.address]);
        await expect(tx).to.be.revertedWithCustomError(f.group, "RemovalNotPending").withArgs(f.bob.address, EnclaveStatus.Active);
        // Named alongside the pending one, it spoils the whole commit.
        const both = await removalCommit(f, f.alice, ascending([f.bob.address, f.carol.address]));
        await expect(both.tx).to.be.revertedWithCustomError(f.group, "RemovalNotPending").withArgs(f.bob.address, EnclaveStatus.Active);
      });
    });

    it("an address that never joined: RemovalNotPending(address, None)", async function () {
      const f = await loadFixture(carolRevoked);
      const stranger = new EnclaveKeys();
      await expectUnchanged(f.group, [stranger.address, f.carol.address], async () => {
        const { tx } = await removalCommit(f, f.alice, [stranger.address]);
        await expect(tx).to.be.revertedWithCustomError(f.group, "RemovalNotPending").withArgs(stranger.address, EnclaveStatus.None);
      });
    });

    it("a duplicate or an unsorted list: RemovedEnclavesNotAscending(previous, enclave)", async function () {
      const f = await loadFixture(carolRevoked);
      await f.group.connect(f.governor).revokeEnclave(f.bob.address);
      const [low, high] = ascending([f.bob.address, f.carol.address]);
      await expectUnchanged(f.group, [f.bob.address, f.carol.address], async () => {
        const duplicate = await removalCommit(f, f.alice, [f.carol.address, f.carol.address]);
        await expect(duplicate.tx).to.be.revertedWithCustomError(f.group, "RemovedEnclavesNotAscending").withArgs(f.carol.address, f.carol.address);
        const unsorted = await removalCommit(f, f.alice, [high, low]);
        await expect(unsorted.tx).to.be.revertedWithCustomError(f.group, "RemovedEnclavesNotAscending").withArgs(high, low);
      });
    });

    it("a revoked enclave whose removal already landed: RemovalNotPending(enclave, Revoked)", async function () {
      const f = await loadFixture(carolRevoked);
      await (await (await removalCommit(f, f.alice, [f.carol.address])).tx).wait();
      await f.group.connect(f.governor).revokeEnclave(f.bob.address);
      await expectUnchanged(f.group, [f.bob.address, f.carol.address], async () => {
        const { tx } = await removalCommit(f, f.alice, ascending([f.bob.address, f.carol.address]));
        await expect(tx).to.be.revertedWithCustomError(f.group, "RemovalNotPending").withArgs(f.carol.address, EnclaveStatus.Revoked);
      });
    });

    it("a wrong signer: the revoked enclave itself, a stranger, a signature over another list or over a plain Handshake", async function () {
      const f = await loadFixture(carolRevoked);
      const stranger = new EnclaveKeys();
      await expectUnchanged(f.group, [f.carol.address, stranger.address], async () => {
        const own = await removalCommit(f, f.carol, [f.carol.address]);
        await expect(own.tx).to.be.revertedWithCustomError(f.group, "EnclaveWasRevoked").withArgs(f.carol.address);
        const strangers = await removalCommit(f, stranger, [f.carol.address]);
        await expect(strangers.tx).to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered").withArgs(stranger.address);
        // Alice signed a removal of nobody else: the list the transaction names is not the one signed.
        const other = await removalCommit(f, f.alice, [f.carol.address], [f.bob.address]);
        await expect(other.tx).to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered");
        // A plain handshake signature does not vouch for a removal.
        const epoch = await f.group.currentEpoch();
        const handshake = randomBytes(64);
        await expect(f.group.postRemovalCommit(epoch, handshake, [f.carol.address], await f.alice.signHandshake(f.domain, epoch, handshake)))
          .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered");
      });
    });

    it("another epoch or an empty handshake", async function () {
      const f = await loadFixture(carolRevoked);
      await expectUnchanged(f.group, [f.carol.address], async () => {
        const epoch = await f.group.currentEpoch();
        const handshake = randomBytes(64);
        await expect(f.group.postRemovalCommit(epoch + 1n, handshake, [f.carol.address], await f.alice.signRemovalCommit(f.domain, epoch + 1n, handshake, [f.carol.address])))
          .to.be.revertedWithCustomError(f.group, "EpochMismatch")
          .withArgs(epoch, epoch + 1n);
        const empty = new Uint8Array();
        await expect(f.group.postRemovalCommit(epoch, empty, [f.carol.address], await f.alice.signRemovalCommit(f.domain, epoch, empty, [f.carol.address])))
          .to.be.revertedWithCustomError(f.group, "HandshakeEmpty");
      });
    });
  });

  describe("reinstatement", function () {
    it("of an enclave whose removal is pending cancels it: its leaf is a member's again and posts go on", async function () {
      const f = await loadFixture(carolRevoked);
      await expect(f.group.connect(f.governor).reinstateEnclave(f.carol.address)).to.emit(f.group, "EnclaveReinstated");
      expect(await f.group.pendingRemovalCount()).to.equal(0n);
      expect(await f.group.removalPending(f.carol.address)).to.equal(false);
      expect(await f.group.activeEnclaveCount()).to.equal(3n);
      await expect(post(f, f.alice, 0n)).to.emit(f.group, "CiphertextPosted");
      await expect(post(f, f.carol, 0n)).to.emit(f.group, "CiphertextPosted");
      // Revoked again: pending again.
      await f.group.connect(f.governor).revokeEnclave(f.carol.address);
      expect(await f.group.pendingRemovalCount()).to.equal(1n);
      expect(await f.group.removalPending(f.carol.address)).to.equal(true);
    });

    it("after the removal landed changes no pending count", async function () {
      const f = await loadFixture(carolRevoked);
      await f.group.connect(f.governor).revokeEnclave(f.bob.address);
      await (await (await removalCommit(f, f.alice, [f.carol.address])).tx).wait();
      await f.group.connect(f.governor).reinstateEnclave(f.carol.address);
      expect(await f.group.pendingRemovalCount()).to.equal(1n);
      expect(await f.group.removalPending(f.bob.address)).to.equal(true);
      await expect(post(f, f.alice, 0n)).to.be.revertedWithCustomError(f.group, "RemovalCommitPending").withArgs(1n);
    });
  });
});
