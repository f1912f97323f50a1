import { expect } from "chai";
import { ethers } from "hardhat";
import { getBytes, hexlify, randomBytes } from "ethers";
import { ChainReader, ChainReorgError, findDeploymentBlock, type CiphertextLogEntry, type GroupLogEntry } from "../../src/node";
import { joinedEnclave, simulationGroupFixture } from "../group/helpers/fixtures";

/**
 * The chain reader on a group whose enclave is played by a wallet (test/group helpers): entries come back in
 * (block, logIndex) order, a batch becomes one entry per ciphertext numbered from its first stateCounter, and
 * confirmations hold back the newest blocks.
 */
describe("ChainReader", function () {
  it("returns handshakes, singles and expanded batches in chain order, once each, honouring confirmations", async function () {
    const f = await simulationGroupFixture();
    const groupAddress = await f.group.getAddress();
    const deployedAt = await findDeploymentBlock(ethers.provider, groupAddress);
    const enclave = await joinedEnclave(f); // genesis handshake (epoch 0)
    const epoch = await f.group.currentEpoch();
    const single = randomBytes(40);
    const batch = [randomBytes(10), randomBytes(20), randomBytes(30)];
    await (await f.group.connect(f.relayer).postCiphertext(epoch, 0n, single, await enclave.signCiphertext(f.domain, epoch, single, 0n))).wait();
    await (await f.group.connect(f.relayer).postCiphertextBatch(epoch, 1n, batch, await enclave.signCiphertextBatch(f.domain, epoch, batch, 1n))).wait();

    const confirmed = new ChainReader(ethers.provider, groupAddress, deployedAt, 1);
    const early = await confirmed.poll();
    expect(early.filter((e) => e.kind === "ciphertext").map((e) => (e as CiphertextLogEntry).stateCounter)).to.deep.equal([1n]);

    const reader = new ChainReader(ethers.provider, groupAddress, deployedAt);
    const entries: GroupLogEntry[] = await reader.poll();
    expect(entries.map((e) => e.kind)).to.deep.equal(["joined", "handshake", "ciphertext", "ciphertext", "ciphertext", "ciphertext"]);
    const ciphertexts = entries.filter((e): e is CiphertextLogEntry => e.kind === "ciphertext");
    expect(ciphertexts.map((e) => e.stateCounter)).to.deep.equal([1n, 2n, 3n, 4n]);
    expect(ciphertexts.map((e) => e.ciphertext)).to.deep.equal([single, ...batch].map((c) => hexlify(c)));
    expect(ciphertexts.every((e) => e.epoch === epoch && e.sender === enclave.address)).to.equal(true);
    for (let i = 1; i < entries.length; i++) {
      const [p, q] = [entries[i - 1], entries[i]];
      expect(p.blockNumber < q.blockNumber || (p.blockNumber === q.blockNumber && p.logIndex <= q.logIndex)).to.equal(true);
    }
    expect(getBytes(ciphertexts[3].ciphertext)).to.have.length(30);
    expect(await reader.poll()).to.deep.equal([]); // nothing twice
    expect(await confirmed.poll()).to.deep.equal([]); // the batch's block has no confirmation yet
    await ethers.provider.send("evm_mine", []);
    expect((await confirmed.poll()).map((e) => e.kind)).to.deep.equal(["ciphertext", "ciphertext", "ciphertext"]);
  });

  it("detects a reorg that replaced blocks it read and names the newest block still canonical; a shallower poll with confirmations never sees it", async function () {
    const f = await simulationGroupFixture();
    const groupAddress = await f.group.getAddress();
    const enclave = await joinedEnclave(f);
    const epoch = await f.group.currentEpoch();
    const post = async (bytes: Uint8Array, sequence: bigint) =>
      (await f.group.connect(f.relayer).postCiphertext(epoch, sequence, bytes, await enclave.signCiphertext(f.domain, epoch, bytes, sequence))).wait();
    const deployedAt = await findDeploymentBlock(ethers.provider, groupAddress);
    await post(randomBytes(20), 0n);
    const reader = new ChainReader(ethers.provider, groupAddress, deployedAt);
    const confirmed = new ChainReader(ethers.provider, groupAddress, deployedAt, 2);
    expect(await reader.poll()).to.have.length(3); // joined, handshake, entry 1
    const canonical = await ethers.provider.getBlockNumber();
    expect(reader.lastRead?.block).to.equal(canonical);

    const snapshot = await ethers.provider.send("evm_snapshot", []);
    await post(randomBytes(20), 1n); // entry 2, about to be dropped
    expect((await reader.poll()).map((e) => (e as CiphertextLogEntry).stateCounter)).to.deep.equal([2n]);
    await confirmed.poll(); // reads only up to head - 2: not the block that will be dropped
    await ethers.provider.send("evm_revert", [snapshot]);
    await post(randomBytes(30), 1n); // another entry 2 in a block of the same height (the revert also gave back post number 1)
    const error = await reader.poll().then(
      () => expect.fail("the reorg went unnoticed"),
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ChainReorgError).and.include({ forkBlock: canonical, staleBlock: canonical + 1 });
    // The confirmed reader never read the replaced block: no reorg for it, and it reads the new entry when final.
    await ethers.provider.send("evm_mine", []);
    await ethers.provider.send("evm_mine", []);
    const late = (await confirmed.poll()).filter((e): e is CiphertextLogEntry => e.kind === "ciphertext");
    // Entry 1 (20 bytes) and the new entry 2 (30 bytes); the dropped entry 2 was never returned.
    expect(late.map((e) => getBytes(e.ciphertext).length)).to.deep.equal([20, 30]);
  });

  it("finds a contract's deployment block and refuses an address without code", async function () {
    const f = await simulationGroupFixture();
    const address = await f.group.getAddress();
    const block = await findDeploymentBlock(ethers.provider, address);
    expect(await ethers.provider.getCode(address, block)).to.not.equal("0x");
    expect(await ethers.provider.getCode(address, block - 1)).to.equal("0x");
    const error = await findDeploymentBlock(ethers.provider, "0x000000000000000000000000000000000000dEaD").catch((e: unknown) => e);
    expect(String(error)).to.include("no contract at");
  });
});
