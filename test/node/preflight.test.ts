import { expect } from "chai";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import hre, { artifacts, ethers } from "hardhat";
import { Interface, JsonRpcProvider, Network, Wallet, parseEther } from "ethers";
import { AnonifyNode, MemoryLogger, NodeError, createNode, groupContract } from "../../src/node";
import { deployGroup, enclaveBinary, startNode, tempDir, type Deployment, type TestNode } from "./helpers";

/** A port with a listener on it (another program), and a port nobody listens on. */
async function occupiedPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
async function closedPort(): Promise<number> {
  const { port, close } = await occupiedPort();
  await close();
  return port;
}

async function refusal(start: Promise<unknown>): Promise<NodeError> {
  const error = await start.then(
    () => new Error("the node started"),
    (e: unknown) => e,
  );
  expect(error).to.be.instanceOf(NodeError, String(error));
  return error as NodeError;
}

describe("Pre-flight of a node's start: nothing is paid for before the port, RPC, chain, group and account are checked", function () {
  this.timeout(180_000);
  let deployment: Deployment;
  const dirs: string[] = [];
  const running: TestNode[] = [];
  const active = async () => (await groupContract(deployment.group, ethers.provider).activeEnclaveCount()) as bigint;

  before(async function () {
    deployment = await deployGroup();
  });

  after(async function () {
    for (const n of running) await n.node.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  function dir(): string {
    const d = tempDir();
    dirs.push(d);
    return d;
  }

  it("the group's ERC-165 id in the pre-flight is that of contracts/group/IAnonifyGroup.sol", async function () {
    const { ANONIFY_GROUP_INTERFACE_ID } = await import("../../src/node/preflight");
    let id = 0n;
    Interface.from((await artifacts.readArtifact("IAnonifyGroup")).abi).forEachFunction((fn) => {
      id ^= BigInt(fn.selector);
    });
    expect(ANONIFY_GROUP_INTERFACE_ID).to.equal("0x" + id.toString(16).padStart(8, "0"));
  });

  it("a taken HTTP port: port_in_use naming the port, before the join is paid for", async function () {
    const busy = await occupiedPort();
    try {
      const before = await active();
      const error = await refusal(startNode(deployment, 12, dir(), { http: { port: busy.port } }));
      expect(error.code).to.equal("port_in_use");
      expect(error.message).to.include(`127.0.0.1:${busy.port}`).and.include("--port");
      expect(await active()).to.equal(before); // no enclave joined (and paid) before the port was found taken
    } finally {
      await busy.close();
    }
  });

  it("an RPC that does not answer: chain_unreachable naming its URL and what to do", async function () {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const provider = new JsonRpcProvider(url, undefined, { staticNetwork: Network.from(31337) });
    try {
      const dataDir = dir();
      const node = new AnonifyNode({
        binary: enclaveBinary(),
        dataDir,
        signer: Wallet.createRandom().connect(provider),
        group: deployment.group,
        logger: new MemoryLogger(),
        rpc: { retryCapMs: 1_500, callTimeoutMs: 1_000 },
      });
      const error = await refusal(node.start());
      expect(error.code).to.equal("chain_unreachable");
      expect(error.message).to.include(url).and.include("npx hardhat node").and.include("--network");
      expect(fs.existsSync(path.join(dataDir, "node.json"))).to.equal(false); // nothing written but the (released) lock
    } finally {
      provider.destroy();
    }
  });

  it("a deployment record of another chain: chain_mismatch naming both chain ids", async function () {
    const dataDir = dir();
    const { chainId } = await ethers.provider.getNetwork();
    // A testnet's record copied under this chain's name (e.g. a data dir moved between networks).
    const record = { chainId: "11155111", network: "sepolia", group: deployment.group, verifier: deployment.verifier, deploymentBlock: 0 };
    fs.writeFileSync(path.join(dataDir, `deployment-${chainId}.json`), JSON.stringify(record));
    const before = await active();
    const node = await createNode(hre, { dataDir, account: 13, port: false, logger: new MemoryLogger() });
    const error = await refusal(node.start());
    expect(error.code).to.equal("chain_mismatch");
    expect(error.message).to.include("11155111").and.include(`serves chain ${chainId}`).and.include("network hardhat");
    expect(await active()).to.equal(before);
  });

  it("an address that is not an AnonifyGroup: an account, a token, the verifier, a group of another version or EIP-712 domain", async function () {
    const [deployer] = await ethers.getSigners();
    const token = await ethers.deployContract("BenchToken", [1000n]);
    const oldInterface = await ethers.deployContract("GroupLookalike", ["0x12345678", "1"]);
    const { ANONIFY_GROUP_INTERFACE_ID } = await import("../../src/node/preflight");
    const otherDomain = await ethers.deployContract("GroupLookalike", [ANONIFY_GROUP_INTERFACE_ID, "2"]);
    const cases: [string, string, RegExp][] = [
      [await token.getAddress(), "not_a_group", /is a contract but not an AnonifyGroup \(it answers no supportsInterface/],
      [deployer.address, "invalid_options", /no contract at .* on chain 31337/],
      [deployment.verifier, "not_a_group", /not an AnonifyGroup \(its supportsInterface denies IAnonifyGroup 0x[0-9a-f]{8}/],
      [await oldInterface.getAddress(), "group_incompatible", /looks like an AnonifyGroup but does not implement the IAnonifyGroup interface/],
      [await otherDomain.getAddress(), "group_incompatible", /EIP-712 domain "Anonify" version "2"/],
    ];
    const before = await active();
    for (const [group, code, message] of cases) {
      const error = await refusal(startNode(deployment, 14, dir(), { group }));
      expect(error.code, group).to.equal(code);
      expect(error.message, group).to.match(message).and.include(group);
    }
    expect(await active()).to.equal(before);
  });

  it("an account without ETH: account_unfunded naming it; one with less than a join costs: refused before attesting", async function () {
    const [admin] = await ethers.getSigners();
    const group = await ethers.getContractAt("AnonifyGroup", deployment.group, admin);
    const role = (await group.OPERATOR_ROLE()) as string;
    const before = await active();

    // An operator (so only the funds stand in the way) with no ETH at all.
    const empty = Wallet.createRandom().connect(ethers.provider);
    await (await group.grantRole(role, empty.address)).wait();
    const unfunded = await refusal(startNode(deployment, 0, dir(), { signer: empty }));
    expect(unfunded.code).to.equal("account_unfunded");
    expect(unfunded.message).to.include(empty.address).and.include("holds no ETH");

    // An operator with a little ETH: enough to look funded, not enough for a join.
    const poor = Wallet.createRandom().connect(ethers.provider);
    await (await group.grantRole(role, poor.address)).wait();
    await (await admin.sendTransaction({ to: poor.address, value: parseEther("0.00001") })).wait();
    const short = await refusal(startNode(deployment, 0, dir(), { signer: poor }));
    expect(short.code).to.equal("account_unfunded");
    expect(short.message).to.include(poor.address).and.include("less than a join costs").and.include("gwei");
    expect(await ethers.provider.getTransactionCount(poor.address)).to.equal(0); // nothing sent
    expect(await active()).to.equal(before);
  });

  it("a chain that charges no gas (gas price 0, some private networks) needs no funds", async function () {
    const { checkJoinFunds, preflightChain } = await import("../../src/node/preflight");
    const account = Wallet.createRandom().address;
    const feeFree = new Proxy(ethers.provider, {
      get(target, property) {
        if (property === "getFeeData") return async () => ({ gasPrice: 0n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n });
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const target = { group: deployment.group, account, rpcName: "the fee-free chain", callTimeoutMs: 5_000 };
    expect(await preflightChain({ ...target, provider: feeFree })).to.equal(31337n);
    await checkJoinFunds(feeFree, account);
    const charged = await refusal(preflightChain({ ...target, provider: ethers.provider }));
    expect(charged.code).to.equal("account_unfunded");
  });

  it("a node that passes every check still starts and serves", async function () {
    const n = await startNode(deployment, 15, dir(), { http: { port: 0 } });
    running.push(n);
    const health = (await (await fetch(`${n.node.url}/health`)).json()) as { joined: boolean };
    expect(health.joined).to.equal(true);
  });
});
