/**
 * Reorgs on a real JSON-RPC chain (`hardhat node`), produced with evm_snapshot / evm_revert: a block the nodes
 * applied is dropped and another entry takes its stateCounter. Nodes with confirmations 0 detect it, roll back to
 * a sealed restore point and replay, re-submitting the journaled command the reorg dropped; a node with
 * confirmations 2 never applied the dropped block and needs no rollback. Everyone converges, nothing is lost or
 * applied twice. A node whose restore points do not reach back to the fork (reorgDepth 1) stops, saying why.
 */
import { expect } from "chai";
import { Wallet, type Signer } from "ethers";
import { commandId, openReadReply, sealCommand, sealRead, type CommandStatus, type TokenCommand } from "../../src/client/wire";
import { AnonifyNode, MemoryLogger, NodeError, callState, type AnonifyNodeOptions } from "../../src/node";
import { chainIssuedAt } from "../../src/client/AnonifyClient";
import { Cluster, IntervalMiner, waitUntil } from "../e2e/cluster";

interface InProcessNode {
  node: AnonifyNode;
  logger: MemoryLogger;
}

describe("reorgs: detected, rolled back to a sealed point and replayed; with confirmations never applied", function () {
  this.timeout(300_000);
  let cluster: Cluster;
  const nodes: InProcessNode[] = [];
  const users = { alice: Wallet.createRandom(), bob: Wallet.createRandom(), dave: Wallet.createRandom() };
  const nonces = new Map<Signer, number>();
  let miner: IntervalMiner | undefined;

  before(async function () {
    cluster = await Cluster.start();
  });
  after(async function () {
    await miner?.stop();
    for (const n of nodes) await n.node.stop();
    await cluster?.stop();
  });

  async function start(account: number, extra: Partial<AnonifyNodeOptions> = {}): Promise<InProcessNode> {
    const logger = new MemoryLogger();
    const node = new AnonifyNode({
      binary: cluster.binary,
      dataDir: cluster.tempDir("anonify-reorg-node-"),
      signer: Cluster.account(account, cluster.provider),
      group: cluster.groupAddress,
      fromBlock: cluster.fromBlock,
      pollIntervalMs: 50,
      snapshotStaggerMs: 200,
      http: false,
      logger,
      ...extra,
    });
    await node.start();
    nodes.push({ node, logger });
    return { node, logger };
  }

  async function submit(n: InProcessNode, signer: Signer, payload: TokenCommand): Promise<string> {
    const nonce = nonces.get(signer) ?? 0;
    const sealed = await sealCommand({ enclaveHpkeKey: n.node.identity.hpkePublicKey, signer, domain: cluster.domain, nonce, payload });
    // A node rolling back accepts nothing for a moment (503): submit again, as a client would.
    await waitUntil("the node accepting commands", async () =>
      n.node.submitCommand(sealed.payload).then(
        () => true,
        (error: unknown) => {
          if (error instanceof NodeError && error.code === "node_not_started") return false;
          throw error;
        },
      ),
    );
    nonces.set(signer, nonce + 1);
    return commandId(sealed.envelope);
  }

  async function final(n: InProcessNode, id: string): Promise<CommandStatus> {
    let status: CommandStatus | undefined;
    await waitUntil(`command ${id}`, async () => {
      status = n.node.commandStatus(id);
      return status !== undefined && status.status !== "queued" && status.status !== "posted";
    });
    return status!;
  }

  async function converged(members: InProcessNode[]): Promise<void> {
    await waitUntil("convergence", async () => {
      const head = (await cluster.chainCounter()).toString();
      const healths = await Promise.all(members.map((m) => m.node.health().catch(() => undefined)));
      return healths.every((h) => h?.stateCounter === head && h.awaitingSnapshot === undefined);
    });
    const hashes = await Promise.all(members.map(async (m) => (await callState(m.node.enclave, "state_status", {})).stateHash));
    expect(new Set(hashes).size, "same state everywhere").to.equal(1);
  }

  async function balance(n: InProcessNode, who: Signer & { address: string }): Promise<string> {
    const read = await sealRead({
      enclaveHpkeKey: n.node.identity.hpkePublicKey,
      signer: who,
      domain: cluster.domain,
      query: { op: "balanceOf", account: who.address },
      issuedAt: await chainIssuedAt(cluster.provider),
    });
    const reply = await openReadReply<string>(read.replyKeyPair, (await n.node.read(read.payload)).reply);
    return reply.ok ? reply.result : `error ${reply.error.code}`;
  }

  const rollbacks = (n: InProcessNode) => n.logger.lines.filter((l) => l.includes("rolling back to the sealed state"));
  /** Rollbacks finished (the node replayed and serves again). */
  const replayed = (n: InProcessNode) => n.logger.lines.filter((l) => l.includes("rolled back and replayed")).length;

  it("confirmations 0: a dropped entry is rolled back on every node, the reordered log replayed, the dropped command re-submitted once", async function () {
    const a = await start(1);
    const b = await start(2);
    await final(a, await submit(a, users.alice, { op: "init", name: "Reorg Token", symbol: "RORG", initialSupply: "1000" }));
    await converged([a, b]);

    const snapshot = await cluster.provider.send("evm_snapshot", []);
    const dropped = await submit(a, users.alice, { op: "transfer", to: users.bob.address, amount: "10" });
    expect(await final(a, dropped)).to.include({ status: "applied", stateCounter: "2" });
    await converged([a, b]);

    await cluster.provider.send("evm_revert", [snapshot]);
    // Another command takes a counter the dropped entry had on the old chain.
    const approve = await submit(b, users.dave, { op: "approve", spender: users.bob.address, amount: "5" });
    await waitUntil("both nodes rolled back", async () => replayed(a) === 1 && replayed(b) === 1);
    await converged([a, b]);
    // The journal reopened the dropped transfer; a re-submitted it. Usually the approve is mined at 2 before either
    // node notices the reorg, but b rolls back too (it applied the dropped entry): when b notices before its post
    // went out, b re-submits the approve after its own rollback, racing a's re-submission. Either way each command
    // is applied exactly once, at 2 and 3 (the transfer took 2 once in about a dozen runs).
    const approved = await final(b, approve);
    const resubmitted = await final(a, dropped);
    expect([approved.status, resubmitted.status]).to.deep.equal(["applied", "applied"]);
    expect([approved.stateCounter, resubmitted.stateCounter].sort()).to.deep.equal(["2", "3"]);
    expect(await cluster.chainCounter()).to.equal(3n);
    for (const n of [a, b]) {
      expect(await balance(n, users.alice)).to.equal("990");
      expect(await balance(n, users.bob)).to.equal("10");
    }
  });

  it("confirmations 2: a node applies entries only when final, so a shallower reorg never reaches it", async function () {
    const [a, b] = nodes;
    miner = new IntervalMiner(cluster.provider, 100);
    const c = await start(3, { confirmations: 2 });
    await converged([a, b, c]);
    // Stop mining and wait for a mine already sent: a block landing after `head` is read would survive the revert.
    await miner.stop();
    miner = undefined;

    const head = await cluster.provider.getBlockNumber();
    const snapshot = await cluster.provider.send("evm_snapshot", []);
    const dropped = await submit(a, users.bob, { op: "transfer", to: users.dave.address, amount: "4" });
    expect(await final(a, dropped)).to.include({ status: "applied" });
    expect((await c.node.health()).stateCounter, "not final yet: not applied").to.equal((await cluster.chainCounter()) - 1n + "");
    await cluster.provider.send("evm_revert", [snapshot]);
    expect(await cluster.provider.getBlockNumber()).to.equal(head);

    miner = new IntervalMiner(cluster.provider, 100);
    await waitUntil("a and b rolled back twice", async () => replayed(a) === 2 && replayed(b) === 2);
    expect(await final(a, dropped)).to.include({ status: "applied" });
    await converged([a, b, c]);
    expect(rollbacks(c), "the confirmed node never applied the dropped block").to.deep.equal([]);
    for (const n of [a, b, c]) {
      expect(await balance(n, users.bob)).to.equal("6");
      expect(await balance(n, users.dave)).to.equal("4");
    }
  });

  it("a reorg deeper than the restore points stops the node with the reason, and the others roll back and go on", async function () {
    let fatal: Error | undefined;
    const d = await start(4, { reorgDepth: 1, onFatal: (error) => (fatal = error) });
    await converged(nodes);
    await miner?.stop(); // as above: no block of the interval miner may land after the snapshot is taken
    miner = undefined;
    const [a, b] = nodes;
    const rolledBackBefore = [replayed(a), replayed(b)];
    const snapshot = await cluster.provider.send("evm_snapshot", []);
    // Four blocks that each apply an entry: d keeps points for 1 block behind the head plus the newest older one,
    // so none is left at or before the snapshot's block.
    for (let i = 0; i < 4; i++) {
      expect(await final(d, await submit(d, users.dave, { op: "transfer", to: users.alice.address, amount: "1" }))).to.include({ status: "applied" });
    }
    await converged([a, b]); // a and b applied the entries the reorg drops
    await cluster.provider.send("evm_revert", [snapshot]);
    miner = new IntervalMiner(cluster.provider, 100); // new blocks: the reorg is seen, and c's confirmations come

    await waitUntil("d stopped", async () => fatal !== undefined);
    expect(fatal).to.be.instanceOf(NodeError).and.include({ code: "state_unavailable" });
    expect(fatal!.message).to.match(/deeper than this node's restore points \(reorgDepth 1\); the node stops$/);
    expect(d.logger.lines.some((l) => l.includes("deeper than this node's restore points"))).to.equal(true);
    expect(rollbacks(d), "no rollback was attempted").to.deep.equal([]);
    const health = await d.node.health();
    expect(health.status).to.equal("down");
    expect(health.reasons).to.include.members(["not started", "enclave not running"]);

    // The nodes with the default depth (64 blocks) roll back and agree on the log without the dropped transfers
    // (d journaled them, and d is stopped).
    const others = nodes.filter((n) => n.node !== d.node);
    expect(others).to.have.length(3);
    await waitUntil("a and b rolled back", async () => replayed(a) === rolledBackBefore[0] + 1 && replayed(b) === rolledBackBefore[1] + 1);
    await converged(others);
    for (const n of others) expect(await balance(n, users.dave)).to.equal("4");
  });
});
