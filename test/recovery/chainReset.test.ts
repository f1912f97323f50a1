/**
 * Issue 15, as found: a restarted `hardhat node` (a chain reset) stopped nodes with a "deep reorg" message that did
 * not say the chain had been reset, nor what to do. The chain of a separate `hardhat node` process is reverted to
 * before the contracts' deployment, which is what a restart (or a testnet wipe) looks like to a node.
 */
import { expect } from "chai";
import { Wallet } from "ethers";
import { sealCommand } from "../../src/client/wire";
import { AnonifyNode, MemoryLogger, NodeError } from "../../src/node";
import { Cluster, waitUntil } from "../e2e/cluster";

describe("chain reset: a node says the chain was reset and that its data dir belongs to the old chain", function () {
  this.timeout(300_000);
  let cluster: Cluster;
  let node: AnonifyNode | undefined;

  before(async function () {
    cluster = await Cluster.start();
  });
  after(async function () {
    await node?.stop();
    await cluster?.stop();
  });

  it("stops with chain_reset (not a deep reorg), naming the block, the missing contract and the fix", async function () {
    let fatal: Error | undefined;
    const logger = new MemoryLogger();
    const dataDir = cluster.tempDir("anonify-reset-node-");
    node = new AnonifyNode({
      binary: cluster.binary,
      dataDir,
      signer: Cluster.account(1, cluster.provider),
      group: cluster.groupAddress,
      fromBlock: cluster.fromBlock,
      pollIntervalMs: 50,
      http: false,
      logger,
      onFatal: (error) => (fatal = error),
    });
    await node.start();
    const alice = Wallet.createRandom();
    const sealed = await sealCommand({ enclaveHpkeKey: node.identity.hpkePublicKey, signer: alice, domain: cluster.domain, nonce: 0, payload: { op: "init", name: "Reset", symbol: "RST", initialSupply: "1" } });
    const { id } = await node.submitCommand(sealed.payload);
    await waitUntil("the command applied", async () => node!.commandStatus(id)?.status === "applied");

    await cluster.provider.send("evm_revert", [cluster.beforeDeployment]);
    for (let i = 0; i < 3; i++) await cluster.provider.send("evm_mine", []);
    await waitUntil("the node stopped", async () => fatal !== undefined);

    expect(fatal).to.be.instanceOf(NodeError).and.include({ code: "chain_reset" });
    const message = fatal!.message;
    expect(message).to.include("the chain was reset").and.include(`block ${cluster.fromBlock}`);
    expect(message).to.include(`no contract at ${cluster.groupAddress}`).and.include("restarted `hardhat node`");
    expect(message).to.include(dataDir).and.include("anonify:deploy").and.include("fresh data dirs");
    expect(message).to.not.include("deeper than");
    expect(logger.lines.some((l) => l.includes("the chain was reset"))).to.equal(true);
  });
});
