import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ethers, network } from "hardhat";
import { hexlify, keccak256, randomBytes, verifyTypedData } from "ethers";
import { EnclaveKeys, HANDSHAKE_TYPES } from "./helpers/enclaveKeys";
import { expectUnchanged, joinedEnclave, simulationGroupFixture } from "./helpers/fixtures";

async function twoMembers() {
  const f = await loadFixture(simulationGroupFixture);
  const alice = await joinedEnclave(f);
  const bob = await joinedEnclave(f);
  return { ...f, alice, bob };
}

describe("AnonifyGroup: handshake log", function () {
  it("an active enclave posts the handshake of the current epoch; the epoch moves on", async function () {
    const f = await loadFixture(twoMembers);
    const epoch = await f.group.currentEpoch();
    const handshake = randomBytes(300);
    const signature = await f.alice.signHandshake(f.domain, epoch, handshake);
    await expect(f.group.connect(f.relayer).postHandshake(epoch, handshake, signature))
      .to.emit(f.group, "HandshakePosted")
      .withArgs(epoch, f.alice.address, hexlify(handshake));
    expect(await f.group.currentEpoch()).to.equal(epoch + 1n);
    expect(await f.group.stateCounter()).to.equal(0n);
  });

  it("epoch race: two enclaves post for the same epoch in one block; exactly one wins, the other gets EpochMismatch", async function () {
    const f = await loadFixture(twoMembers);
    const epoch = await f.group.currentEpoch();
    const fromAlice = randomBytes(120);
    const fromBob = randomBytes(120);
    const aliceSignature = await f.alice.signHandshake(f.domain, epoch, fromAlice);
    const bobSignature = await f.bob.signHandshake(f.domain, epoch, fromBob);

    await network.provider.send("evm_setAutomine", [false]);
    try {
      const aliceTx = await f.group.connect(f.relayer).postHandshake(epoch, fromAlice, aliceSignature);
      const bobTx = await f.group.connect(f.outsider).postHandshake(epoch, fromBob, bobSignature, { gasLimit: 200_000 });
      await network.provider.send("evm_mine", []);
      const aliceReceipt = await ethers.provider.getTransactionReceipt(aliceTx.hash);
      const bobReceipt = await ethers.provider.getTransactionReceipt(bobTx.hash);
      expect(aliceReceipt?.blockNumber).to.equal(bobReceipt?.blockNumber);
      expect(aliceReceipt?.status).to.equal(1);
      expect(bobReceipt?.status).to.equal(0);
    } finally {
      await network.provider.send("evm_setAutomine", [true]);
    }
    // The loser's transaction, replayed as a call, names the reason.
    await expect(f.group.postHandshake(epoch, fromBob, bobSignature))
      .to.be.revertedWithCustomError(f.group, "EpochMismatch")
      .withArgs(epoch + 1n, epoch);
    expect(await f.group.currentEpoch()).to.equal(epoch + 1n);
    const logs = await f.group.queryFilter(f.group.filters.HandshakePosted(epoch));
    expect(logs).to.have.length(1);
    expect(logs[0].args.sender).to.equal(f.alice.address);
  });

  it("a handshake for a future epoch is refused: EpochMismatch", async function () {
    const f = await loadFixture(twoMembers);
    const epoch = await f.group.currentEpoch();
    const handshake = randomBytes(64);
    const signature = await f.alice.signHandshake(f.domain, epoch + 1n, handshake);
    await expectUnchanged(f.group, [f.alice.address], async () => {
      await expect(f.group.postHandshake(epoch + 1n, handshake, signature))
        .to.be.revertedWithCustomError(f.group, "EpochMismatch")
        .withArgs(epoch, epoch + 1n);
    });
  });

  it("replaying an accepted handshake (same epoch or relabelled with the current epoch) is refused", async function () {
    const f = await loadFixture(twoMembers);
    const epoch = await f.group.currentEpoch();
    const handshake = randomBytes(64);
    const signature = await f.alice.signHandshake(f.domain, epoch, handshake);
    await f.group.postHandshake(epoch, handshake, signature);
    await expectUnchanged(f.group, [f.alice.address], async () => {
      await expect(f.group.postHandshake(epoch, handshake, signature))
        .to.be.revertedWithCustomError(f.group, "EpochMismatch")
        .withArgs(epoch + 1n, epoch);
      // Claiming the new epoch with the old signature recovers some unrelated address.
      const recovered = verifyTypedData(f.domain, HANDSHAKE_TYPES, { epoch: epoch + 1n, handshakeHash: keccak256(handshake) }, signature);
      expect(recovered).to.not.equal(f.alice.address);
      await expect(f.group.postHandshake(epoch + 1n, handshake, signature))
        .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
        .withArgs(recovered);
    });
  });

  it("a handshake signature over other bytes recovers another address: EnclaveNotRegistered", async function () {
    const f = await loadFixture(twoMembers);
    const epoch = await f.group.currentEpoch();
    const signature = await f.alice.signHandshake(f.domain, epoch, randomBytes(64));
    const posted = randomBytes(64);
    const recovered = verifyTypedData(f.domain, HANDSHAKE_TYPES, { epoch, handshakeHash: keccak256(posted) }, signature);
    await expectUnchanged(f.group, [f.alice.address], async () => {
      await expect(f.group.postHandshake(epoch, posted, signature))
        .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
        .withArgs(recovered);
    });
  });

  it("unregistered and revoked senders are refused", async function () {
    const f = await loadFixture(twoMembers);
    const stranger = new EnclaveKeys();
    const epoch = await f.group.currentEpoch();
    const handshake = randomBytes(64);
    await expectUnchanged(f.group, [stranger.address], async () => {
      await expect(f.group.postHandshake(epoch, handshake, await stranger.signHandshake(f.domain, epoch, handshake)))
        .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
        .withArgs(stranger.address);
    });
    await f.group.connect(f.governor).revokeEnclave(f.bob.address);
    await expectUnchanged(f.group, [f.bob.address], async () => {
      await expect(f.group.postHandshake(epoch, handshake, await f.bob.signHandshake(f.domain, epoch, handshake)))
        .to.be.revertedWithCustomError(f.group, "EnclaveWasRevoked")
        .withArgs(f.bob.address);
    });
  });

  it("an empty handshake is refused: HandshakeEmpty", async function () {
    const f = await loadFixture(twoMembers);
    const epoch = await f.group.currentEpoch();
    const empty = new Uint8Array();
    await expectUnchanged(f.group, [], async () => {
      await expect(f.group.postHandshake(epoch, empty, await f.alice.signHandshake(f.domain, epoch, empty))).to.be.revertedWithCustomError(
        f.group,
        "HandshakeEmpty",
      );
    });
  });
});
