import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { hexlify, keccak256, randomBytes, verifyTypedData } from "ethers";
import { CHECKPOINT_TYPES, EnclaveKeys } from "./helpers/enclaveKeys";
import { expectUnchanged, joinedEnclave, simulationGroupFixture } from "./helpers/fixtures";

/** Two members and a log of five entries. */
async function logOfFive() {
  const f = await loadFixture(simulationGroupFixture);
  const alice = await joinedEnclave(f);
  const bob = await joinedEnclave(f);
  const epoch = await f.group.currentEpoch();
  const batch = Array.from({ length: 5 }, () => randomBytes(40));
  await f.group.postCiphertextBatch(epoch, 0n, batch, await alice.signCiphertextBatch(f.domain, epoch, batch, 0n));
  return { ...f, alice, bob };
}

const stateHash = (label: string) => keccak256(Buffer.from(label));

describe("AnonifyGroup: checkpoints", function () {
  it("records the latest checkpoint per enclave and emits CheckpointPosted", async function () {
    const f = await loadFixture(logOfFive);
    const h3 = stateHash("state after 3");
    await expect(f.group.connect(f.relayer).postCheckpoint(3n, h3, await f.alice.signCheckpoint(f.domain, 3n, h3)))
      .to.emit(f.group, "CheckpointPosted")
      .withArgs(f.alice.address, 3n, h3);
    const h2 = stateHash("state after 2");
    await expect(f.group.postCheckpoint(2n, h2, await f.bob.signCheckpoint(f.domain, 2n, h2)))
      .to.emit(f.group, "CheckpointPosted")
      .withArgs(f.bob.address, 2n, h2);
    const h5 = stateHash("state after 5");
    await f.group.postCheckpoint(5n, h5, await f.alice.signCheckpoint(f.domain, 5n, h5));

    const alice = await f.group.enclave(f.alice.address);
    expect([alice.checkpointStateCounter, alice.checkpointStateHash]).to.deep.equal([5n, h5]);
    const bob = await f.group.enclave(f.bob.address);
    expect([bob.checkpointStateCounter, bob.checkpointStateHash]).to.deep.equal([2n, h2]);
    // Checkpoints do not move the logs.
    expect(await f.group.stateCounter()).to.equal(5n);
  });

  it("a checkpoint beyond the log head is refused: CheckpointAheadOfLog(log, given)", async function () {
    const f = await loadFixture(logOfFive);
    const h = stateHash("future");
    await expectUnchanged(f.group, [f.alice.address], async () => {
      await expect(f.group.postCheckpoint(6n, h, await f.alice.signCheckpoint(f.domain, 6n, h)))
        .to.be.revertedWithCustomError(f.group, "CheckpointAheadOfLog")
        .withArgs(5n, 6n);
    });
  });

  it("a checkpoint must move past the enclave's previous one: CheckpointNotAfterPrevious(previous, given)", async function () {
    const f = await loadFixture(logOfFive);
    const h0 = stateHash("genesis");
    await expectUnchanged(f.group, [f.alice.address], async () => {
      await expect(f.group.postCheckpoint(0n, h0, await f.alice.signCheckpoint(f.domain, 0n, h0)))
        .to.be.revertedWithCustomError(f.group, "CheckpointNotAfterPrevious")
        .withArgs(0n, 0n);
    });
    const h4 = stateHash("after 4");
    const signature4 = await f.alice.signCheckpoint(f.domain, 4n, h4);
    await f.group.postCheckpoint(4n, h4, signature4);
    await expectUnchanged(f.group, [f.alice.address], async () => {
      // The same signed checkpoint again (replay), and an older one.
      await expect(f.group.postCheckpoint(4n, h4, signature4))
        .to.be.revertedWithCustomError(f.group, "CheckpointNotAfterPrevious")
        .withArgs(4n, 4n);
      const h3 = stateHash("after 3");
      await expect(f.group.postCheckpoint(3n, h3, await f.alice.signCheckpoint(f.domain, 3n, h3)))
        .to.be.revertedWithCustomError(f.group, "CheckpointNotAfterPrevious")
        .withArgs(4n, 3n);
    });
    // Another enclave is not held back by alice's checkpoint.
    await expect(f.group.postCheckpoint(1n, h0, await f.bob.signCheckpoint(f.domain, 1n, h0))).to.emit(f.group, "CheckpointPosted");
  });

  it("refuses unregistered and revoked enclaves and signatures over another hash", async function () {
    const f = await loadFixture(logOfFive);
    const h = stateHash("x");
    const stranger = new EnclaveKeys();
    await expectUnchanged(f.group, [f.alice.address, stranger.address], async () => {
      await expect(f.group.postCheckpoint(2n, h, await stranger.signCheckpoint(f.domain, 2n, h)))
        .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
        .withArgs(stranger.address);
      const signature = await f.alice.signCheckpoint(f.domain, 2n, h);
      const other = stateHash("y");
      const recovered = verifyTypedData(f.domain, CHECKPOINT_TYPES, { stateCounter: 2n, stateHash: other }, signature);
      await expect(f.group.postCheckpoint(2n, other, signature))
        .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
        .withArgs(recovered);
    });
    await f.group.connect(f.governor).revokeEnclave(f.alice.address);
    await expectUnchanged(f.group, [f.alice.address], async () => {
      await expect(f.group.postCheckpoint(2n, h, await f.alice.signCheckpoint(f.domain, 2n, h)))
        .to.be.revertedWithCustomError(f.group, "EnclaveWasRevoked")
        .withArgs(f.alice.address);
    });
    expect(hexlify((await f.group.enclave(f.alice.address)).checkpointStateHash)).to.equal(hexlify(new Uint8Array(32)));
  });
});
