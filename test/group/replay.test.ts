import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import { keccak256, randomBytes, verifyTypedData, type TypedDataDomain } from "ethers";
import {
  CHECKPOINT_TYPES,
  CIPHERTEXT_BATCH_TYPES,
  CIPHERTEXT_TYPES,
  HANDSHAKE_TYPES,
  SNAPSHOT_TYPES,
  groupDomain,
  payloadsHash,
} from "./helpers/enclaveKeys";
import { EnclaveKeys } from "./helpers/enclaveKeys";
import { TEST_ADMIN_DELAY, expectUnchanged, join, joinArguments, simulationGroupFixture, type GroupFixture } from "./helpers/fixtures";
import { TOKEN_RUNTIME } from "../../src/runtimes/name";

/**
 * Two groups on the same verifier with the same enclave admitted to both, at the same epoch: the only thing that
 * tells a signature for one from a signature for the other is the EIP-712 domain.
 */
async function twoGroupsOneEnclave() {
  const f = await loadFixture(simulationGroupFixture);
  const other = await ethers.deployContract("AnonifyGroup", [
    await f.verifier.getAddress(),
    await f.admin.getAddress(),
    TEST_ADMIN_DELAY,
    await f.governor.getAddress(),
    [await f.relayer.getAddress()],
    0,
    TOKEN_RUNTIME,
  ]);
  // Like the fixture's group, the relayer may join many enclaves (audit F-2: only operators join, one each by default).
  await (await other.connect(f.governor).setOperatorCap(await f.relayer.getAddress(), await other.MAX_OPERATOR_CAP())).wait();
  const { chainId } = await ethers.provider.getNetwork();
  const g: GroupFixture = { ...f, group: other, domain: groupDomain(chainId, await other.getAddress()) };
  const alice = new EnclaveKeys();
  await (await join(f, alice)).wait();
  await (await join(g, alice)).wait();
  expect(await f.group.currentEpoch()).to.equal(await other.currentEpoch());
  return { f, g, alice, chainId };
}

function recovered(domain: TypedDataDomain, types: Record<string, { name: string; type: string }[]>, value: Record<string, unknown>, signature: string) {
  return verifyTypedData(domain, types, value, signature);
}

describe("AnonifyGroup: replay across contracts and chains", function () {
  it("audit F-4: a join accepted by one group cannot be replayed into another (its handshake signature names the chain and the group)", async function () {
    const { f, g } = await loadFixture(twoGroupsOneEnclave);
    const bob = new EnclaveKeys();
    const args = await joinArguments(f, bob);
    const epoch = await g.group.currentEpoch();
    expect(await f.group.currentEpoch()).to.equal(epoch);
    await expect(f.group.connect(f.relayer).join(...args)).to.emit(f.group, "EnclaveJoined");
    // The same report, keys, handshake and signature, sent to the other group at the same epoch.
    const [, , , handshake, signatureForF] = args;
    const signer = recovered(g.domain, HANDSHAKE_TYPES, { epoch, handshakeHash: keccak256(handshake) }, signatureForF);
    expect(signer).to.not.equal(bob.address);
    await expectUnchanged(g.group, [bob.address], async () => {
      await expect(g.group.connect(g.relayer).join(...args))
        .to.be.revertedWithCustomError(g.group, "HandshakeSignerMismatch")
        .withArgs(bob.address, signer);
    });
  });

  it("a handshake signed for another group is refused (EnclaveNotRegistered of the recovered address)", async function () {
    const { f, g, alice } = await loadFixture(twoGroupsOneEnclave);
    const epoch = await f.group.currentEpoch();
    const handshake = randomBytes(100);
    const signatureForF = await alice.signHandshake(f.domain, epoch, handshake);
    const signer = recovered(g.domain, HANDSHAKE_TYPES, { epoch, handshakeHash: keccak256(handshake) }, signatureForF);
    expect(signer).to.not.equal(alice.address);
    await expectUnchanged(g.group, [alice.address], async () => {
      await expect(g.group.postHandshake(epoch, handshake, signatureForF))
        .to.be.revertedWithCustomError(g.group, "EnclaveNotRegistered")
        .withArgs(signer);
    });
    // The same signature is good where it was meant to go.
    await expect(f.group.postHandshake(epoch, handshake, signatureForF)).to.emit(f.group, "HandshakePosted");
  });

  it("a ciphertext signed for another group is refused", async function () {
    const { f, g, alice } = await loadFixture(twoGroupsOneEnclave);
    const epoch = await f.group.currentEpoch();
    const ciphertext = randomBytes(200);
    const signatureForF = await alice.signCiphertext(f.domain, epoch, ciphertext, 0n);
    await f.group.postCiphertext(epoch, 0n, ciphertext, signatureForF);
    // Alice has not posted in g, so post number 0 is hers to take there: only the domain refuses the replay.
    expect(await g.group.nextPostSequence(alice.address, epoch)).to.equal(0n);
    const signer = recovered(g.domain, CIPHERTEXT_TYPES, { epoch, sequence: 0n, payloadHash: keccak256(ciphertext) }, signatureForF);
    expect(signer).to.not.equal(alice.address);
    await expectUnchanged(g.group, [alice.address], async () => {
      await expect(g.group.postCiphertext(epoch, 0n, ciphertext, signatureForF))
        .to.be.revertedWithCustomError(g.group, "EnclaveNotRegistered")
        .withArgs(signer);
    });
    expect(await g.group.nextPostSequence(alice.address, epoch)).to.equal(0n);
  });

  it("a checkpoint signed for another group is refused", async function () {
    const { f, g, alice } = await loadFixture(twoGroupsOneEnclave);
    const epoch = await f.group.currentEpoch();
    for (const target of [f, g]) {
      const c = randomBytes(10);
      await target.group.postCiphertext(epoch, 0n, c, await alice.signCiphertext(target.domain, epoch, c, 0n));
    }
    const stateHash = keccak256("0x1234");
    // Signed over F's log hash at 1; posted on G at its head (empty tail), the signature is checked first.
    const logHash = await f.group.logHash();
    const signatureForF = await alice.signCheckpoint(f.domain, 1n, stateHash, logHash);
    const signer = recovered(g.domain, CHECKPOINT_TYPES, { stateCounter: 1n, stateHash, logHash }, signatureForF);
    await expectUnchanged(g.group, [alice.address], async () => {
      await expect(g.group.postCheckpoint(1n, stateHash, logHash, [], signatureForF))
        .to.be.revertedWithCustomError(g.group, "EnclaveNotRegistered")
        .withArgs(signer);
    });
  });

  it("signatures made for another chain id are refused (handshake, ciphertext, batch, snapshot)", async function () {
    const { f, alice, chainId } = await loadFixture(twoGroupsOneEnclave);
    const otherChain: TypedDataDomain = { ...f.domain, chainId: chainId + 1n };
    const epoch = await f.group.currentEpoch();
    const handshake = randomBytes(80);
    const ciphertext = randomBytes(200);
    const batch = [randomBytes(20), randomBytes(30)];
    const snapshot = randomBytes(120);
    const handshakeSignature = await alice.signHandshake(otherChain, epoch, handshake);
    const ciphertextSignature = await alice.signCiphertext(otherChain, epoch, ciphertext, 0n);
    const batchSignature = await alice.signCiphertextBatch(otherChain, epoch, batch, 0n);
    const snapshotSignature = await alice.signSnapshot(otherChain, epoch, 1n, snapshot);
    await expectUnchanged(f.group, [alice.address], async () => {
      await expect(f.group.postHandshake(epoch, handshake, handshakeSignature))
        .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
        .withArgs(recovered(f.domain, HANDSHAKE_TYPES, { epoch, handshakeHash: keccak256(handshake) }, handshakeSignature));
      await expect(f.group.postCiphertext(epoch, 0n, ciphertext, ciphertextSignature))
        .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
        .withArgs(recovered(f.domain, CIPHERTEXT_TYPES, { epoch, sequence: 0n, payloadHash: keccak256(ciphertext) }, ciphertextSignature));
      await expect(f.group.postCiphertextBatch(epoch, 0n, batch, batchSignature))
        .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
        .withArgs(recovered(f.domain, CIPHERTEXT_BATCH_TYPES, { epoch, firstSequence: 0n, payloadsHash: payloadsHash(batch) }, batchSignature));
      await expect(f.group.postSnapshot(epoch, 1n, snapshot, snapshotSignature))
        .to.be.revertedWithCustomError(f.group, "EnclaveNotRegistered")
        .withArgs(recovered(f.domain, SNAPSHOT_TYPES, { epoch, stateCounter: 1n, payloadHash: keccak256(snapshot) }, snapshotSignature));
    });
    // The very same messages signed for this chain go through: the chain id alone made the difference.
    await expect(f.group.postSnapshot(epoch, 1n, snapshot, await alice.signSnapshot(f.domain, epoch, 1n, snapshot))).to.emit(
      f.group,
      "CiphertextPosted",
    );
    await expect(f.group.postCiphertext(epoch, 0n, ciphertext, await alice.signCiphertext(f.domain, epoch, ciphertext, 0n))).to.emit(
      f.group,
      "CiphertextPosted",
    );
    await expect(f.group.postCiphertextBatch(epoch, 1n, batch, await alice.signCiphertextBatch(f.domain, epoch, batch, 1n))).to.emit(
      f.group,
      "CiphertextBatchPosted",
    );
  });

  it("a snapshot signed for another group is refused", async function () {
    const { f, g, alice } = await loadFixture(twoGroupsOneEnclave);
    const epoch = await f.group.currentEpoch();
    const snapshot = randomBytes(120);
    // Both logs are empty: position 1 is the next one in each.
    const signatureForF = await alice.signSnapshot(f.domain, epoch, 1n, snapshot);
    await expect(f.group.postSnapshot(epoch, 1n, snapshot, signatureForF)).to.emit(f.group, "CiphertextPosted");
    const signer = recovered(g.domain, SNAPSHOT_TYPES, { epoch, stateCounter: 1n, payloadHash: keccak256(snapshot) }, signatureForF);
    expect(signer).to.not.equal(alice.address);
    await expectUnchanged(g.group, [alice.address], async () => {
      await expect(g.group.postSnapshot(epoch, 1n, snapshot, signatureForF))
        .to.be.revertedWithCustomError(g.group, "EnclaveNotRegistered")
        .withArgs(signer);
    });
  });

  it("the contract's domain separator is the EIP-712 hash of (\"Anonify\", \"1\", chain id, its address)", async function () {
    const { f, g } = await loadFixture(twoGroupsOneEnclave);
    expect(await f.group.domainSeparator()).to.equal(ethers.TypedDataEncoder.hashDomain(f.domain));
    expect(await g.group.domainSeparator()).to.equal(ethers.TypedDataEncoder.hashDomain(g.domain));
    const domain = await f.group.eip712Domain();
    expect([domain.name, domain.version, domain.chainId, domain.verifyingContract]).to.deep.equal([
      "Anonify",
      "1",
      f.domain.chainId,
      f.domain.verifyingContract,
    ]);
  });
});
