import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import hre, { ethers } from "hardhat";
import type { EventLog } from "ethers";
import { requestNodeShutdown } from "../../tasks/node";
import { deploymentFile, groupContract, NodeError, NODE_URL_FILE, readDeployment, type DeploymentRecord } from "../../src/node";
import { binaryMrenclave, startNode, tempDir, until, type TestNode } from "./helpers";
import { expectPluginError } from "../helpers/tasks";
import { TOKEN_RUNTIME } from "../../src/runtimes/name";

async function waitFor(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Silences the tasks' console output (progress lines) while `fn` runs, returning what was printed. */
async function captured<T>(fn: () => Promise<T>): Promise<{ result: T; output: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    return { result: await fn(), output: lines.join("\n") };
  } finally {
    console.log = log;
  }
}

describe("anonify:deploy, anonify:node, anonify:rotate, anonify:remove (in-process network)", function () {
  this.timeout(180_000);
  const root = tempDir("anonify-tasks-");
  const dirA = path.join(root, "node-a");
  let record: DeploymentRecord;
  let running: Promise<unknown> | undefined;
  let b: TestNode | undefined;

  after(async function () {
    requestNodeShutdown();
    await running?.catch(() => undefined);
    await b?.node.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("anonify:deploy deploys the simulation-pinned verifier and group and writes the deployment record", async function () {
    // The nodes below pay with accounts 10 and 11: only operators' joins are accepted (audit F-2).
    const signers = await ethers.getSigners();
    const operators = [signers[10].address, signers[11].address];
    const { result, output } = await captured(() => hre.run("anonify:deploy", { dataDir: root, operators: operators.join(",") }));
    record = result as DeploymentRecord;
    expect(record.operators).to.deep.equal(operators);
    expect(record.openAdmissionMaxJoinsPerBlock).to.equal(0);
    const deployed = await ethers.getContractAt("AnonifyGroup", record.group);
    for (const operator of operators) expect(await deployed.hasRole(ethers.id("OPERATOR_ROLE"), operator)).to.equal(true);
    expect(await deployed.hasRole(ethers.id("OPERATOR_ROLE"), signers[0].address)).to.equal(false);
    expect(await deployed.openAdmission()).to.deep.equal([false, 0n]);
    expect(output).to.include(`operators     ${operators.join(", ")}`);
    // Issue 15, as found: on the in-process chain the deployment vanishes with the command; the output says so.
    expect(output).to.include("deployed on Hardhat's in-process chain").and.include("--network localhost");
    const { chainId } = await ethers.provider.getNetwork();
    expect(readDeployment(root, chainId)).to.deep.equal(record);
    expect(fs.existsSync(deploymentFile(root, chainId))).to.equal(true);
    expect(record.trustAnchor).to.equal("simulation");
    expect(record.mrenclaves).to.deep.equal([await binaryMrenclave()]);
    expect(await ethers.provider.getCode(record.group)).to.not.equal("0x");
    const verifier = await ethers.getContractAt("IasVerifier", record.verifier);
    expect(await verifier.isMrenclaveAllowed(record.mrenclaves[0])).to.equal(true);
    expect(output).to.include(record.group).and.include("simulation");
  });

  it("issue 15, as found: a re-deploy into a data dir whose group still exists is refused without --force, and keeps the old record with it", async function () {
    const dir = path.join(root, "redeploy");
    const { result: first } = await captured(() => hre.run("anonify:deploy", { dataDir: dir }));
    const { chainId } = await ethers.provider.getNetwork();
    const blockBefore = await ethers.provider.getBlockNumber();
    const refused = await hre.run("anonify:deploy", { dataDir: dir }).catch((e: unknown) => e);
    const error = expectPluginError(refused, "deployment_exists", NodeError);
    expect(error.message).to.include((first as DeploymentRecord).group).and.include("--force").and.include(deploymentFile(dir, chainId));
    expect(await ethers.provider.getBlockNumber(), "nothing deployed or paid").to.equal(blockBefore);
    expect(readDeployment(dir, chainId)).to.deep.equal(first);

    const { result: second } = await captured(() => hre.run("anonify:deploy", { dataDir: dir, force: true }));
    expect((second as DeploymentRecord).group).to.not.equal((first as DeploymentRecord).group);
    expect(readDeployment(dir, chainId)).to.deep.equal(second);
    const kept = fs.readdirSync(dir).filter((f) => f.startsWith(`deployment-${chainId}.replaced-`));
    expect(kept).to.have.length(1);
    expect(JSON.parse(fs.readFileSync(path.join(dir, kept[0]), "utf8"))).to.deep.equal(first);
  });

  it("anonify:deploy --admin hands every role to that account (audit F-3) and says what the new admin must accept", async function () {
    const [deployer, , , , , newAdmin] = await ethers.getSigners();
    const handoverDir = path.join(root, "handover");
    const { result, output } = await captured(() => hre.run("anonify:deploy", { dataDir: handoverDir, admin: newAdmin.address }));
    const handed = result as DeploymentRecord;
    expect([handed.admin, handed.governor, handed.pendingVerifierAdmin]).to.deep.equal([newAdmin.address, newAdmin.address, newAdmin.address]);
    const verifier = await ethers.getContractAt("IasVerifier", handed.verifier);
    const group = await ethers.getContractAt("AnonifyGroup", handed.group);
    const POLICY = ethers.id("POLICY_ROLE");
    expect(await verifier.hasRole(POLICY, deployer.address)).to.equal(false);
    expect(await verifier.hasRole(POLICY, newAdmin.address)).to.equal(true);
    expect(await group.hasRole(await group.GOVERNOR_ROLE(), deployer.address)).to.equal(false);
    // Nor OPERATOR_ROLE (audit F-2): after a handover nobody is an operator until the new admin grants the role.
    expect(await group.hasRole(await group.OPERATOR_ROLE(), deployer.address)).to.equal(false);
    expect(handed.operators).to.deep.equal([]);
    expect(output).to.include("none (the admin grants OPERATOR_ROLE)");
    expect(await group.owner()).to.equal(newAdmin.address);
    expect((await verifier.pendingDefaultAdmin())[0]).to.equal(newAdmin.address);
    expect(output).to.include("acceptDefaultAdminTransfer").and.include(newAdmin.address);
    await expect(hre.run("anonify:deploy", { dataDir: handoverDir, admin: "0x1234" })).to.be.rejectedWith(/--admin 0x1234 is not an address/);
    await expect(hre.run("anonify:deploy", { dataDir: handoverDir, admin: newAdmin.address, operators: deployer.address })).to.be.rejectedWith(
      /--operators names the deployer, which keeps no role after --admin/,
    );
  });

  it("anonify:deploy --open-admission opens the group with a per-block limit and refuses limits outside 1..16", async function () {
    const [deployer] = await ethers.getSigners();
    const openDir = path.join(root, "open");
    const { result, output } = await captured(() => hre.run("anonify:deploy", { dataDir: openDir, openAdmission: 3 }));
    const open = result as DeploymentRecord;
    expect(open.openAdmissionMaxJoinsPerBlock).to.equal(3);
    expect(open.operators).to.deep.equal([deployer.address]);
    expect(await (await ethers.getContractAt("AnonifyGroup", open.group)).openAdmission()).to.deep.equal([true, 3n]);
    expect(output).to.include("open: any account may join, 3 non-operator join(s) per block");
    for (const bad of [0, 17]) {
      await expect(hre.run("anonify:deploy", { dataDir: openDir, openAdmission: bad })).to.be.rejectedWith(/--open-admission must be a number of joins per block in 1\.\.16/);
    }
    await expect(hre.run("anonify:deploy", { dataDir: openDir, operators: "0x1234" })).to.be.rejectedWith(/--operators: 0x1234 is not an address/);
  });

  it("anonify:deploy --runtime: records the runtime; refuses a name the enclave would refuse and one the binary does not carry", async function () {
    const { chainId } = await ethers.provider.getNetwork();
    expect(record.runtime).to.equal(TOKEN_RUNTIME);
    expect(await (await ethers.getContractAt("AnonifyGroup", record.group)).runtime()).to.equal(TOKEN_RUNTIME);
    const before = fs.readFileSync(deploymentFile(root, chainId), "utf8");
    const badName = await hre.run("anonify:deploy", { dataDir: path.join(root, "bad-runtime"), runtime: "Acme Notes" }).catch((e: unknown) => e);
    expectPluginError(badName, "invalid_options", NodeError);
    expect((badName as Error).message).to.include('--runtime "Acme Notes" is not a runtime name');
    const missing = await hre.run("anonify:deploy", { dataDir: path.join(root, "bad-runtime"), runtime: "acme-missing/v1" }).catch((e: unknown) => e);
    expectPluginError(missing, "runtime_unavailable", NodeError);
    expect((missing as Error).message).to.include('does not carry the runtime "acme-missing/v1"').and.include(TOKEN_RUNTIME);
    // Nothing was deployed or written for either.
    expect(fs.existsSync(path.join(root, "bad-runtime", `deployment-${chainId}.json`))).to.equal(false);
    expect(fs.readFileSync(deploymentFile(root, chainId), "utf8")).to.equal(before);
  });

  it("anonify:node for a group whose runtime its binary does not carry stops before attesting or paying (runtime_unavailable)", async function () {
    const signers = await ethers.getSigners();
    // A group deployed by other means (its own build) with a runtime this binary lacks.
    const factory = await ethers.getContractFactory("AnonifyGroup");
    const other = await factory.deploy(record.verifier, signers[0].address, 172_800, signers[0].address, [signers[13].address], 0, "acme-missing/v1");
    await other.waitForDeployment();
    const nonce = await ethers.provider.getTransactionCount(signers[13].address);
    const error = await hre
      .run("anonify:node", { port: 0, confirmations: 0, account: 13, host: "127.0.0.1", dataDir: path.join(root, "lacks-runtime"), group: await other.getAddress() })
      .catch((e: unknown) => e);
    expectPluginError(error, "runtime_unavailable", NodeError);
    expect((error as Error).message).to.include('runs the runtime "acme-missing/v1"').and.include("it carries: anonify-auction/v1, anonify-records/v1, anonify-token/v1");
    expect(await ethers.provider.getTransactionCount(signers[13].address)).to.equal(nonce);
    expect(await other.activeEnclaveCount()).to.equal(0n);
  });

  it("anonify:node runs a node that joins and serves HTTP until shut down", async function () {
    fs.mkdirSync(dirA, { recursive: true });
    fs.copyFileSync(deploymentFile(root, record.chainId), deploymentFile(dirA, record.chainId));
    running = hre.run("anonify:node", { dataDir: dirA, account: 10, port: 0 });
    await waitFor(() => fs.existsSync(path.join(dirA, NODE_URL_FILE)));
    const url = fs.readFileSync(path.join(dirA, NODE_URL_FILE), "utf8").trim();
    const health = (await (await fetch(`${url}/health`)).json()) as { joined: boolean; epoch: string };
    expect(health).to.include({ joined: true, epoch: "0" });
    // A second node joins by external commit.
    b = await startNode({ group: record.group, verifier: record.verifier, governor: (await ethers.getSigners())[0] }, 11);
    expect(b.node.sync.epoch).to.equal(1);
  });

  it("anonify:rotate through the running node's data dir (operator endpoint)", async function () {
    const { result, output } = await captured(() => hre.run("anonify:rotate", { node: dirA }));
    expect(result).to.deep.equal({ epoch: "2" });
    expect(output).to.include("epoch 2");
    expect(await groupContract(record.group, ethers.provider).currentEpoch()).to.equal(3n);
  });

  it("anonify:remove removes b by address and revokes it with the deployer's GOVERNOR_ROLE", async function () {
    const removed = b!.node.address;
    const { result, output } = await captured(() => hre.run("anonify:remove", { node: dirA, enclave: removed, account: 0 }));
    expect(result).to.include({ epoch: "3", leaf: 1, enclave: removed });
    expect(output).to.include(`enclave ${removed} revoked`);
    const group = groupContract(record.group, ethers.provider);
    expect((await group.enclave(removed)).status).to.equal(2n);
    await b!.node.catchUp();
    expect(b!.node.sync.removed).to.equal(true);
    // The revocation came after the MLS removal, so its removal is pending on chain (audit F-6) until node a, reading
    // the EnclaveRevoked, posts a self-update naming b (its leaf is already gone): epoch 4.
    await until(async () => (((await group.pendingRemovalCount()) as bigint) === 0n ? true : undefined));
    const [cleared] = await group.queryFilter(group.filters.EnclaveRemoved(removed));
    expect((cleared as EventLog).args.epoch).to.equal(4n);
    expect(await group.currentEpoch()).to.equal(5n);
  });

  it("refuses ambiguous removals and URLs without a token", async function () {
    const both = await hre.run("anonify:remove", { node: dirA, leaf: 1, enclave: b!.node.address }).catch((e: unknown) => e);
    expectPluginError(both, "invalid_options", NodeError);
    const neither = await hre.run("anonify:remove", { node: dirA }).catch((e: unknown) => e);
    expectPluginError(neither, "invalid_options", NodeError);
    const url = fs.readFileSync(path.join(dirA, NODE_URL_FILE), "utf8").trim();
    const noToken = await hre.run("anonify:rotate", { node: url }).catch((e: unknown) => e);
    expectPluginError(noToken, "unauthorized", NodeError);
    const badToken = await hre.run("anonify:rotate", { node: url, token: "nope" }).catch((e: unknown) => e);
    expectPluginError(badToken, "unauthorized", NodeError);
  });

  it("anonify:node on an account without OPERATOR_ROLE fails before attesting, naming the role and how to grant it", async function () {
    const signers = await ethers.getSigners();
    const active = (await groupContract(record.group, ethers.provider).activeEnclaveCount()) as bigint;
    const error = await hre
      .run("anonify:node", { port: 0, confirmations: 0, account: 12, host: "127.0.0.1", dataDir: path.join(root, "not-operator"), group: record.group })
      .catch((e: unknown) => e);
    expectPluginError(error, "not_operator", NodeError);
    const message = (error as Error).message;
    expect(message).to.include(signers[12].address).and.include("OPERATOR_ROLE").and.include(ethers.id("OPERATOR_ROLE"));
    expect(message).to.include(`anonify:deploy --operators ${signers[12].address}`).and.include("grantRole");
    expect((await groupContract(record.group, ethers.provider).activeEnclaveCount()) as bigint).to.equal(active);
  });

  it("anonify:node refuses a bad mode, sgx under the simulation CA, an unknown account and a group address without code", async function () {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ mode: "enclave", dataDir: dirA }, /simulation or sgx/],
      [{ mode: "sgx", dataDir: dirA }, /iasRootCa = intel/],
      [{ dataDir: dirA, account: 99 }, /account 99/],
      [{ dataDir: path.join(root, "elsewhere"), group: "0x000000000000000000000000000000000000dEaD" }, /no contract at/],
      // Issue 15, as found: no deployment on the in-process chain, with the hint that --network was forgotten.
      [{ dataDir: path.join(root, "nothing-here") }, /run anonify:deploy first\. Without --network, a task runs on Hardhat's in-process chain.*--network localhost/],
    ];
    for (const [args, message] of cases) {
      const error = await hre.run("anonify:node", { port: 0, confirmations: 0, account: 10, host: "127.0.0.1", ...args }).catch((e: unknown) => e);
      expectPluginError(error, "invalid_options", NodeError);
      expect((error as Error).message).to.match(message);
    }
  });

  it("stops on shutdown; anonify:rotate then starts the node from its data dir for the action", async function () {
    requestNodeShutdown();
    await running;
    running = undefined;
    expect(fs.existsSync(path.join(dirA, NODE_URL_FILE))).to.equal(false);
    const { result } = await captured(() => hre.run("anonify:rotate", { node: dirA, account: 10 }));
    // The node starts from sealed state, so it first posts its own self-update (epoch 5, after the removal commit
    // clearing b's pending removal), then the rotation.
    expect(result).to.deep.equal({ epoch: "6" });
    expect(await groupContract(record.group, ethers.provider).currentEpoch()).to.equal(7n);
  });
});
