import { expect } from "chai";
import fs from "node:fs";
import { ethers } from "hardhat";
import { TypedDataEncoder, Wallet, concat, keccak256, type Signer, type TypedDataDomain } from "ethers";
import { EnclaveError } from "../../src/enclave/EnclaveProcess";
import { groupDomain, sealCommand, type CommandStatus, type TokenCommand } from "../../src/client/wire";
import { AnonifyNode, NodeError, callState, groupContract, type EntryApplied } from "../../src/node";
import { deployGroup, startNode, tempDir, until, type Deployment, type TestNode } from "./helpers";

/**
 * Batched posting: commands of several users submitted together to one node are posted with ONE
 * postCiphertextBatch (one CiphertextBatchPosted log), applied by both nodes in the batch's order, and their
 * statuses end applied at firstStateCounter + i; a node's enclave refuses to sign a batch holding another
 * enclave's entry; a lone command still goes through postCiphertext.
 */
describe("AnonifyNode batched posting (simulation, real enclaves)", function () {
  this.timeout(180_000);
  let deployment: Deployment;
  let a: TestNode;
  let b: TestNode;
  let domain: TypedDataDomain;
  const [owner, alice, bob, carol] = Array.from({ length: 4 }, () => Wallet.createRandom());
  const appliedOnB = new Map<string, string>();

  before(async function () {
    deployment = await deployGroup();
    // A wide window so the commands of one test reliably share a round.
    a = await startNode(deployment, 17, undefined, { batchWindowMs: 1_000, checkpointInterval: 0 });
    b = await startNode(deployment, 18, undefined, { checkpointInterval: 0 });
    b.node.sync.on("applied", (applied: EntryApplied) => {
      if ("commandId" in applied.result && applied.result.commandId !== undefined) {
        appliedOnB.set(applied.result.commandId.toLowerCase(), applied.result.stateCounter);
      }
    });
    domain = groupDomain((await ethers.provider.getNetwork()).chainId, deployment.group);
  });
  after(async function () {
    await a?.node.stop();
    await b?.node.stop();
    for (const n of [a, b]) if (n !== undefined) fs.rmSync(n.dataDir, { recursive: true, force: true });
  });

  async function submit(signer: Signer, nonce: number, payload: TokenCommand): Promise<CommandStatus> {
    const sealed = await sealCommand({ enclaveHpkeKey: a.node.identity.hpkePublicKey, signer, domain, nonce, payload });
    return a.node.submitCommand(sealed.payload);
  }

  async function settled(id: string): Promise<CommandStatus> {
    return until(async () => {
      await a.node.catchUp();
      await b.node.catchUp();
      const status = a.node.commandStatus(id);
      return status !== undefined && ["applied", "rejected", "failed"].includes(status.status) ? status : undefined;
    });
  }

  it("a lone command is posted with postCiphertext", async function () {
    const init = await submit(owner, 0, { op: "init", name: "Anonify Token", symbol: "ANT", initialSupply: "1000" });
    const done = await settled(init.id);
    expect(done).to.include({ status: "applied", stateCounter: "1" });
    const receipt = await ethers.provider.getTransactionReceipt(done.txHash!);
    const names = receipt!.logs.map((log) => groupContract(deployment.group, ethers.provider).interface.parseLog(log)?.name);
    expect(names).to.deep.equal(["CiphertextPosted"]);
  });

  it("commands of several users submitted together end up in ONE CiphertextBatchPosted, applied in order by both nodes", async function () {
    const group = groupContract(deployment.group, ethers.provider);
    const fromBlock = await ethers.provider.getBlockNumber();
    const statuses = await Promise.all([
      submit(owner, 1, { op: "transfer", to: await alice.getAddress(), amount: "100" }),
      submit(alice, 0, { op: "approve", spender: await bob.getAddress(), amount: "10" }),
      submit(bob, 0, { op: "approve", spender: await carol.getAddress(), amount: "3" }),
      submit(carol, 0, { op: "burn", amount: "0" }), // carol holds nothing: a zero burn is valid and changes nothing
    ]);
    for (const s of statuses) expect(s.status).to.equal("queued");
    const done = await Promise.all(statuses.map((s) => settled(s.id)));

    const batches = await group.queryFilter(group.filters.CiphertextBatchPosted(), fromBlock + 1);
    const singles = await group.queryFilter(group.filters.CiphertextPosted(), fromBlock + 1);
    expect(batches).to.have.length(1);
    expect(singles).to.have.length(0);
    const [event] = batches as unknown as { args: { firstStateCounter: bigint; sender: string; ciphertexts: string[] }; transactionHash: string }[];
    expect(event.args.firstStateCounter).to.equal(2n);
    expect(event.args.sender.toLowerCase()).to.equal(a.node.address.toLowerCase());
    expect(event.args.ciphertexts).to.have.length(4);
    expect(await group.stateCounter()).to.equal(5n);

    // Each command's status names the batch and the counter its entry got; b applied the same command there.
    for (const status of done) {
      expect(status.txHash).to.equal(event.transactionHash);
      expect(status.stateCounter).to.equal(appliedOnB.get(status.id));
    }
    expect(done.map((s) => s.status)).to.deep.equal(["applied", "applied", "applied", "applied"]);
    expect(done.map((s) => s.stateCounter).sort()).to.deep.equal(["2", "3", "4", "5"]);
    const [ha, hb] = await Promise.all([a, b].map(async (n) => (await callState(n.node.enclave, "state_status", {})).stateHash));
    expect(ha).to.equal(hb);
    expect(a.logger.lines.some((l) => l.includes("posted 4 entries in epoch"))).to.equal(true);
  });

  it("the batch signature is over the digest ethers and the contract compute; a foreign entry is refused", async function () {
    const group = groupContract(deployment.group, ethers.provider);
    const [event] = (await group.queryFilter(group.filters.CiphertextBatchPosted())) as unknown as {
      args: { epoch: bigint; ciphertexts: string[] };
    }[];
    const entries = [...event.args.ciphertexts] as `0x${string}`[];
    const epoch = event.args.epoch.toString();
    const enclaveDomain = { chainId: domain.chainId!.toString(), verifyingContract: deployment.group as `0x${string}` };

    const signed = await callState(a.node.enclave, "state_sign_batch", { entries, epoch, domain: enclaveDomain });
    expect(signed.payloadsHash).to.equal(keccak256(concat(entries.map((e) => keccak256(e)))));
    // The batch took a's post numbers firstSequence .. firstSequence + 3 of the epoch (audit F-5), the last it posted.
    const onChain = await ethers.getContractAt("AnonifyGroup", deployment.group);
    const firstSequence = BigInt(signed.firstSequence);
    expect(await onChain.nextPostSequence(a.node.address, epoch)).to.equal(firstSequence + BigInt(entries.length));
    const types = {
      CiphertextBatch: [
        { name: "epoch", type: "uint64" },
        { name: "firstSequence", type: "uint64" },
        { name: "payloadsHash", type: "bytes32" },
      ],
    };
    const digest = TypedDataEncoder.hash(domain, types, { epoch, firstSequence, payloadsHash: signed.payloadsHash });
    expect(await onChain.ciphertextBatchDigest(epoch, firstSequence, entries)).to.equal(digest);
    expect(ethers.recoverAddress(digest, signed.signature).toLowerCase()).to.equal(a.node.address.toLowerCase());
    // The posted batch's signature is spent: anyone resubmitting it is refused (a call, so the nodes' accounts and
    // the chain stay as they are).
    const counterBefore = await onChain.stateCounter();
    await expect(onChain.postCiphertextBatch.staticCall(epoch, firstSequence, entries, signed.signature))
      .to.be.revertedWithCustomError(onChain, "PostSequenceMismatch")
      .withArgs(ethers.getAddress(a.node.address), firstSequence + BigInt(entries.length), firstSequence);
    expect(await onChain.stateCounter()).to.equal(counterBefore);

    // b's enclave did not produce these entries: it signs none of them, and changes nothing.
    const before = await callState(b.node.enclave, "state_status", {});
    const refusal = await callState(b.node.enclave, "state_sign_batch", { entries, epoch, domain: enclaveDomain }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).to.be.instanceOf(EnclaveError);
    expect((refusal as EnclaveError).code).to.equal("unknown_entry");
    expect(await callState(b.node.enclave, "state_status", {})).to.deep.equal(before);
    // An empty batch and one of another epoch get their own codes.
    for (const [params, code] of [
      [{ entries: [], epoch, domain: enclaveDomain }, "invalid_params"],
      [{ entries, epoch: (BigInt(epoch) + 1n).toString(), domain: enclaveDomain }, "epoch_mismatch"],
    ] as const) {
      const error = await callState(a.node.enclave, "state_sign_batch", { ...params, entries: [...params.entries] }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as EnclaveError).code).to.equal(code);
    }
  });

  it("refuses batch sizes the contract cannot take and negative windows", async function () {
    const [signer] = await ethers.getSigners();
    const options = { binary: "unused", dataDir: tempDir(), signer, group: deployment.group };
    for (const maxBatchSize of [0, 129, 2.5]) {
      expect(() => new AnonifyNode({ ...options, maxBatchSize }))
        .to.throw(NodeError, /maxBatchSize must be an integer in 1\.\.128/)
        .with.property("code", "invalid_options");
    }
    expect(() => new AnonifyNode({ ...options, batchWindowMs: -1 }))
      .to.throw(NodeError, /batchWindowMs/)
      .with.property("code", "invalid_options");
    fs.rmSync(options.dataDir, { recursive: true, force: true });
  });
});
