/**
 * Crash recovery, process level: two TEE node processes on a `hardhat node` chain; at each dangerous point a crash
 * is injected deterministically (ANONIFY_NODE_CRASH_AT in the host, ANONIFY_ENCLAVE_CRASH_AT in the enclave: the
 * process SIGKILLs itself when it reaches the point), the node is restarted on its data dir, and the test checks
 * that no command was lost or applied twice (balances read through each node are the exact sums, each command
 * has exactly one log entry) and that the nodes agree (same state, same epoch).
 */
import { expect } from "chai";
import fs from "node:fs";
import { Wallet, getAddress, type Signer } from "ethers";
import { AnonifyClient, commandId, sealCommand, type CommandStatus, type TokenCommand } from "../../src/client";
import { Cluster, waitUntil, type ClusterNode } from "../e2e/cluster";
import { spawnNodeProcess } from "../e2e/processes";

const NODE_CRASH = "ANONIFY_NODE_CRASH_AT";
const ENCLAVE_CRASH = "ANONIFY_ENCLAVE_CRASH_AT";

describe("crash recovery: kill -9 at each dangerous point, restart, nothing lost or applied twice", function () {
  this.timeout(600_000);
  let cluster: Cluster;
  let a: ClusterNode;
  let b: ClusterNode;
  const users = { alice: Wallet.createRandom(), bob: Wallet.createRandom(), carol: Wallet.createRandom(), dave: Wallet.createRandom() };
  type User = keyof typeof users;
  const nonces = new Map<User, number>();
  /** What every balance must be: the exact sum of the commands the test made. */
  const expected = new Map<User, bigint>();

  before(async function () {
    cluster = await Cluster.start();
    a = await cluster.startNode("node-A", 1);
    b = await cluster.startNode("node-B", 2);
    const status = await submit(a, "alice", { op: "init", name: "Crash Token", symbol: "CRSH", initialSupply: "1000" });
    await settled(a, status.id);
    expected.set("alice", 1000n);
  });
  after(async function () {
    await cluster?.stop();
  });

  /** Seals `command` with the user's next nonce and posts it to the node; the HTTP answer may never come. */
  async function submit(node: ClusterNode, user: User, command: TokenCommand): Promise<{ id: string; response?: unknown }> {
    const nonce = nonces.get(user) ?? 0;
    nonces.set(user, nonce + 1);
    const info = (await (await fetch(`${node.url}/enclave`)).json()) as { hpkePublicKey: string };
    const sealed = await sealCommand({ enclaveHpkeKey: info.hpkePublicKey, signer: users[user], domain: cluster.domain, nonce, payload: command });
    const id = commandId(sealed.envelope);
    try {
      const response = await fetch(`${node.url}/commands`, { method: "POST", body: JSON.stringify({ payload: sealed.payload }) });
      return { id, response: await response.json() };
    } catch {
      return { id }; // the node died before answering
    }
  }

  function transfer(node: ClusterNode, from: User, to: User, amount: bigint) {
    expected.set(from, (expected.get(from) ?? 0n) - amount);
    expected.set(to, (expected.get(to) ?? 0n) + amount);
    return submit(node, from, { op: "transfer", to: users[to].address, amount: amount.toString() });
  }

  async function settled(node: ClusterNode, id: string): Promise<CommandStatus> {
    let status: CommandStatus | undefined;
    await waitUntil(`command ${id} on ${node.label}`, async () => {
      status = (await (await fetch(`${node.url}/commands/${id}`)).json()) as CommandStatus;
      return status.status !== "queued" && status.status !== "posted";
    });
    return status!;
  }

  async function exited(node: ClusterNode): Promise<number | null> {
    return node.handle.exited;
  }

  /** Every node applied the whole log and answers every balance with the expected sum. */
  async function converged(nodes: ClusterNode[]): Promise<void> {
    await cluster.allApplied(nodes);
    for (const node of nodes) {
      for (const [user, amount] of expected) {
        const client = new AnonifyClient({ nodeUrl: node.url, signer: users[user] as Signer, group: cluster.groupAddress, provider: cluster.provider });
        expect(await client.balanceOf(), `${user}'s balance on ${node.label}`).to.equal(amount);
      }
    }
    const epochs = new Set((await Promise.all(nodes.map((n) => cluster.health(n)))).map((h) => h.epoch));
    expect(epochs.size, "every node at the same epoch").to.equal(1);
  }

  /** Ciphertext entries each sender's command got on chain (one per command, never two). */
  async function entriesPerBlockSender(): Promise<number> {
    const single = await cluster.group.queryFilter(cluster.group.filters.CiphertextPosted());
    const batches = await cluster.group.queryFilter(cluster.group.filters.CiphertextBatchPosted());
    return single.length + batches.reduce((n, e) => n + (e as unknown as { args: { ciphertexts: string[] } }).args.ciphertexts.length, 0);
  }

  async function restartWith(node: ClusterNode, env: Record<string, string>): Promise<ClusterNode> {
    return cluster.restart(node, { env });
  }

  it("host killed after a command is journaled, before it answered 202: the restarted node posts it once", async function () {
    a = await restartWith(a, { [NODE_CRASH]: "command:accepted" });
    const before = await entriesPerBlockSender();
    const { id, response } = await transfer(a, "alice", "bob", 10n);
    expect(response, "no answer: the host died first").to.equal(undefined);
    expect(await exited(a)).to.equal(null); // killed by a signal
    a = await cluster.restart(a);
    expect(await settled(a, id)).to.include({ status: "applied" });
    await converged([a, b]);
    expect(await entriesPerBlockSender()).to.equal(before + 1);
  });

  it("host killed after its post was mined, before it applied the entry: the replay applies it once and settles its status", async function () {
    a = await restartWith(a, { [NODE_CRASH]: "post:mined" });
    const before = await entriesPerBlockSender();
    const { id } = await transfer(a, "bob", "alice", 3n);
    await exited(a);
    a = await cluster.restart(a);
    // "applied" when the receipt came first (the replay applied the entry after the restart); "settled" when the
    // poll loop's state_apply won the race (sealed by the enclave, the host died before recording it).
    expect((await settled(a, id)).status).to.be.oneOf(["applied", "settled"]);
    await converged([a, b]);
    expect(await entriesPerBlockSender()).to.equal(before + 1);
  });

  it("host killed after the enclave applied and sealed the entry, before the journal recorded it: its outcome from the log index, not posted again", async function () {
    a = await restartWith(a, { [NODE_CRASH]: "command:applied" });
    const before = await entriesPerBlockSender();
    const { id } = await transfer(a, "alice", "bob", 5n);
    await exited(a);
    a = await cluster.restart(a);
    // The outcome index (outcomes.index) recorded the apply before the crash point: the journal's open command takes
    // that outcome instead of "settled" (which remains for data dirs without the index line).
    expect(await settled(a, id)).to.include({ status: "applied" });
    await converged([a, b]);
    expect(await entriesPerBlockSender()).to.equal(before + 1);
  });

  for (const point of ["seal:runtime-state:before", "seal:runtime-state:after"]) {
    it(`enclave killed at ${point} while applying an entry: its node stops, restarts and converges`, async function () {
      b = await restartWith(b, { [ENCLAVE_CRASH]: point });
      const { id } = await transfer(a, "bob", "alice", 1n);
      expect(await exited(b)).to.equal(3); // the node's fatal exit: its enclave died
      expect(b.handle.output.some((l) => l.includes(`crash point ${point}#1 reached`))).to.equal(true);
      b = await cluster.restart(b);
      expect(await settled(a, id)).to.include({ status: "applied" });
      await converged([a, b]);
    });
  }

  it("enclave killed in the middle of applying a batch: the restarted node applies the rest of it once", async function () {
    b = await restartWith(b, { [ENCLAVE_CRASH]: "seal:runtime-state:after#2" });
    const batchesBefore = (await cluster.group.queryFilter(cluster.group.filters.CiphertextBatchPosted())).length;
    // Three users at once (the enclave takes one command per user until it is applied): one batch.
    const submissions = await Promise.all([
      transfer(a, "alice", "carol", 7n),
      transfer(a, "bob", "dave", 2n),
      submit(a, "dave", { op: "approve", spender: users.carol.address, amount: "4" }),
    ]);
    for (const { id, response } of submissions) expect(response, "accepted (202)").to.deep.equal({ id });
    expect(await exited(b)).to.equal(3);
    b = await cluster.restart(b);
    for (const { id } of submissions) expect(await settled(a, id)).to.include({ status: "applied" });
    expect((await cluster.group.queryFilter(cluster.group.filters.CiphertextBatchPosted())).length).to.equal(batchesBefore + 1);
    await converged([a, b]);
  });

  it("during a handshake: the committer's host dies after posting its commit, the other's enclave dies applying it; both recover the epoch", async function () {
    // Every start from sealed state begins with the enclave's own self-update (PROTOCOL.md "Self-update after
    // a restart"): a's is its first posted handshake, and b seals its group twice for its own (staged, then
    // applied). Each node waits for the other's update, so the crash points below meet the rotation.
    const sameEpoch = (x: ClusterNode, y: ClusterNode) =>
      waitUntil(`${x.label} at ${y.label}'s epoch`, async () => (await cluster.health(x)).epoch === (await cluster.health(y)).epoch);
    a = await restartWith(a, { [NODE_CRASH]: "handshake:posted#2" });
    await sameEpoch(b, a);
    b = await restartWith(b, { [ENCLAVE_CRASH]: "seal:mls-group:after#3" });
    await sameEpoch(a, b);
    const epochBefore = await cluster.group.currentEpoch();
    const token = fs.readFileSync(`${a.dataDir}/admin.token`, "utf8").trim();
    await fetch(`${a.url}/admin/rotate`, { method: "POST", headers: { Authorization: `Bearer ${token}` } }).catch(() => undefined);
    await exited(a);
    expect(await exited(b)).to.equal(3);
    expect(await cluster.group.currentEpoch()).to.equal(epochBefore + 1n);
    a = await cluster.restart(a);
    b = await cluster.restart(b);
    const { id } = await transfer(b, "carol", "bob", 3n);
    expect(await settled(b, id)).to.include({ status: "applied" });
    await converged([a, b]);
  });

  it("enclave killed during catch-up after a restart: the next start resumes where the sealed state stopped", async function () {
    await b.handle.stop();
    const ids = [];
    for (const [from, to] of [["dave", "alice"], ["alice", "dave"], ["carol", "alice"]] as const) {
      const { id } = await transfer(a, from, to, 1n);
      ids.push(id);
      expect(await settled(a, id)).to.include({ status: "applied" });
    }
    const crashing = spawnNodeProcess({
      label: b.label,
      rpcUrl: cluster.rpcUrl,
      group: cluster.groupAddress,
      fromBlock: cluster.fromBlock,
      nodeKey: Cluster.account(b.account, cluster.provider).privateKey,
      dataDir: b.dataDir,
      binary: cluster.binary,
      env: { [ENCLAVE_CRASH]: "seal:runtime-state:after#2" },
    });
    cluster.children.push(crashing);
    expect(await crashing.exited).to.not.equal(0);
    expect(crashing.output.some((l) => l.includes("crash point seal:runtime-state:after#2 reached"))).to.equal(true);
    b = await cluster.startNode(b.label, b.account, b.dataDir);
    await converged([a, b]);
    expect(getAddress(b.address)).to.equal(getAddress((await cluster.health(b)).address));
  });
});
