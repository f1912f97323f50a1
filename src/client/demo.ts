/**
 * The demo behind `anonify:demo`: a group admitting DCAP quotes under the development PCS's SIMULATION root (or, with
 * `attestation: "ias"`, IAS reports under the development IAS's CA), three TEE nodes (each its own
 * enclave process, simulation mode, temporary data directory), a confidential token used by three users through
 * different nodes, a key rotation and a member removal; then every node's view of every balance, state-hash
 * agreement, gas per operation, an audit of the log, and a scan of the chain for plaintext.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { Contract, type Signer } from "ethers";
import { AnonifyClient } from "./AnonifyClient";
import { auditGroup } from "./audit";
import { addressNeedle, amountNeedle, collectChainData, findPlaintext, gasPerOperation, type GasRow, type PlaintextHit } from "./chainScan";
import { EnclaveNotTrustedError } from "./errors";
import { utf8 } from "./wire";
import { anonifyArtifact } from "../package/artifacts";

export interface DemoOptions {
  keepDataDirs?: boolean;
  /**
   * The evidence the group admits: "dcap" (default: what SGX machines produce today; quotes from the development QE,
   * collateral from the development PCS) or "ias" (the development IAS).
   */
  attestation?: "dcap" | "ias";
  /** Progress output; default console.log. */
  print?: (line: string) => void;
}

export interface DemoResult {
  ok: boolean;
  attestation: "dcap" | "ias";
  group: string;
  /** node label -> user label -> balance (decimal), for the nodes still in the group. */
  views: Record<string, Record<string, string>>;
  expected: Record<string, string>;
  /** Per node: its last applied entry and keyed state hash (null before its first entry). */
  stateHashes: Record<string, { lastApplied: string; stateHash: string | null }>;
  gas: GasRow[];
  plaintextHits: PlaintextHit[];
  auditFindings: number;
  elapsedSeconds: number;
}

const USERS = ["alice", "bob", "carol"] as const;
type User = (typeof USERS)[number];
const NODE_LABELS = ["node-A", "node-B", "node-C"] as const;
/** Distinctive amounts, so the plaintext scan cannot match by accident. */
const AMOUNTS = {
  supply: 1_000_000n,
  mintBob: 250_013n,
  aliceToBob: 123_457n,
  bobToCarol: 98_765n,
  carolToAlice: 43_219n,
  approveBob: 55_555n,
  bobPullsAliceToCarol: 33_337n,
  carolToBobAfterRotation: 11_113n,
  bobToAliceAfterRemoval: 17_771n,
};
const TOKEN_NAME = "Anonify Demo Token";

export async function runDemo(hre: HardhatRuntimeEnvironment, options: DemoOptions = {}): Promise<DemoResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const started = Date.now();
  const t = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`;
  const step = (text: string) => print(`${t()} ${text}`);
  // Imported lazily: the node module pulls in the enclave host, which tasks that never run a node do not need.
  const { deployAnonify, createNode, callState, MemoryLogger } = await import("../node");

  const root = fs.mkdtempSync(path.join(os.tmpdir(), "anonify-demo-"));
  // On a JSON-RPC network Ignition keeps a journal under <ignition>/deployments/<id>; the demo's is temporary too.
  const deploymentId = `anonify-demo-${Date.now()}`;
  const journal = path.join(hre.config.paths.ignition, "deployments", deploymentId);
  const signers = await hre.ethers.getSigners();
  if (signers.length < 7) throw new Error(`the demo needs 7 accounts on ${hre.network.name}, found ${signers.length}`);
  const [deployer] = signers;
  const users: Record<User, Signer> = { alice: signers[4], bob: signers[5], carol: signers[6] };
  const address: Record<User, string> = {
    alice: await users.alice.getAddress(),
    bob: await users.bob.getAddress(),
    carol: await users.carol.getAddress(),
  };
  const nodes: Awaited<ReturnType<typeof createNode>>[] = [];
  const loggers: InstanceType<typeof MemoryLogger>[] = [];

  const attestation = options.attestation ?? "dcap";
  if (attestation !== "dcap" && attestation !== "ias") throw new Error(`--attestation must be "dcap" or "ias", got ${JSON.stringify(attestation)}`);
  const dcap = attestation === "dcap";
  try {
    print(`Anonify demo on network "${hre.network.name}" (mode simulation, ${dcap ? "DCAP quotes, development PCS" : "IAS reports, development IAS"}); data in ${root}`);
    const startBlock = await hre.ethers.provider.getBlockNumber();
    step(
      dcap
        ? "1. Deploying the DCAP collateral stores, DcapVerifier (development PCS's SIMULATION root pinned) and AnonifyGroup …"
        : "1. Deploying IasVerifier (SIMULATION CA pinned) and AnonifyGroup …",
    );
    // The three nodes pay with accounts 1..3: they are the group's operators (only operators' joins are accepted).
    const operators = await Promise.all(signers.slice(1, 4).map((s) => s.getAddress()));
    const deployment = await deployAnonify(hre, { dataDir: root, deploymentId, operators, attestation });
    step(`   group ${deployment.group}, verifier ${deployment.verifier}, allowed MRENCLAVE ${deployment.mrenclaves[0].slice(0, 18)}…`);

    step("2. Starting 3 TEE nodes (one enclave process each); the first creates the group, the others join by external commit …");
    for (let i = 0; i < 3; i++) {
      const logger = new MemoryLogger();
      loggers.push(logger);
      const node = await createNode(hre, {
        account: i + 1,
        dataDir: path.join(root, NODE_LABELS[i]),
        group: deployment.group,
        port: 0,
        pollIntervalMs: 100,
        checkpointInterval: 4,
        logger,
      });
      await node.start();
      nodes.push(node);
      const h = await node.health();
      // DCAP: the first node brings the empty collateral stores up to the development PCS's collateral.
      for (const line of logger.lines) {
        if (line.startsWith("info collateral: ") && line.includes(" upserted ")) step(`   ${NODE_LABELS[i]}: ${line.slice("info ".length)}`);
      }
      step(`   ${NODE_LABELS[i]}: enclave ${node.address} joined${dcap ? " with a DCAP quote" : " with an IAS report"}, epoch ${h.epoch}, HTTP ${node.url}`);
    }
    const [A, B, C] = nodes;
    const client = (user: User, node: (typeof nodes)[number]) =>
      new AnonifyClient({ nodeUrl: node.url!, signer: users[user], group: deployment.group, provider: hre.ethers.provider, pollIntervalMs: 50 });
    const run = async (label: string, user: User, nodeIndex: number, submit: (c: AnonifyClient) => Promise<import("./AnonifyClient").CommandSubmission>) => {
      const submission = await submit(client(user, nodes[nodeIndex]));
      const outcome = await submission.wait();
      step(`   ${label.padEnd(44)} via ${NODE_LABELS[nodeIndex]}: applied at stateCounter ${outcome.stateCounter}`);
    };

    step("3. Confidential token: every command is EIP-712 signed by the user and HPKE-sealed to the node's attested enclave");
    await run(`alice: init "${TOKEN_NAME}", supply ${AMOUNTS.supply}`, "alice", 0, (c) => c.init(TOKEN_NAME, "ADT", AMOUNTS.supply));
    await run(`alice: mint ${AMOUNTS.mintBob} to bob`, "alice", 1, (c) => c.mint(address.bob, AMOUNTS.mintBob));
    await run(`alice: transfer ${AMOUNTS.aliceToBob} to bob`, "alice", 1, (c) => c.transfer(address.bob, AMOUNTS.aliceToBob));
    await run(`bob: transfer ${AMOUNTS.bobToCarol} to carol`, "bob", 2, (c) => c.transfer(address.carol, AMOUNTS.bobToCarol));
    await run(`carol: transfer ${AMOUNTS.carolToAlice} to alice`, "carol", 0, (c) => c.transfer(address.alice, AMOUNTS.carolToAlice));
    await run(`alice: approve bob for ${AMOUNTS.approveBob}`, "alice", 2, (c) => c.approve(address.bob, AMOUNTS.approveBob));
    await run(`bob: transferFrom alice to carol ${AMOUNTS.bobPullsAliceToCarol}`, "bob", 0, (c) =>
      c.transferFrom(address.alice, address.carol, AMOUNTS.bobPullsAliceToCarol),
    );

    step("4. Key rotation: node-B commits a self-update (new epoch, new application key)");
    const rotatedTo = await B.rotate();
    step(`   epoch is now ${rotatedTo}`);
    await run(`carol: transfer ${AMOUNTS.carolToBobAfterRotation} to bob`, "carol", 1, (c) => c.transfer(address.bob, AMOUNTS.carolToBobAfterRotation));

    step("5. Member removal: node-A commits the removal of node-C; governance revokes node-C's enclave");
    const removed = await A.remove({ enclave: C.address });
    const group = new Contract(deployment.group, anonifyArtifact(hre, "AnonifyGroup").abi, deployer);
    await (await group.revokeEnclave(C.address)).wait();
    step(`   node-C (leaf ${removed.leaf}) removed in epoch ${removed.epoch}; revoked on chain`);
    await run(`bob: transfer ${AMOUNTS.bobToAliceAfterRemoval} to alice`, "bob", 0, (c) => c.transfer(address.alice, AMOUNTS.bobToAliceAfterRemoval));
    await Promise.all([A.catchUp(), B.catchUp(), C.catchUp().catch(() => undefined)]);
    try {
      await client("alice", C).balanceOf();
      step("   a client still trusted node-C: UNEXPECTED");
    } catch (error) {
      if (!(error instanceof EnclaveNotTrustedError)) throw error;
      step(`   clients now refuse node-C before encrypting anything: ${error.reason}`);
    }

    const expected: Record<User, bigint> = {
      alice: AMOUNTS.supply - AMOUNTS.aliceToBob + AMOUNTS.carolToAlice - AMOUNTS.bobPullsAliceToCarol + AMOUNTS.bobToAliceAfterRemoval,
      bob: AMOUNTS.mintBob + AMOUNTS.aliceToBob - AMOUNTS.bobToCarol + AMOUNTS.carolToBobAfterRotation - AMOUNTS.bobToAliceAfterRemoval,
      carol: AMOUNTS.bobToCarol - AMOUNTS.carolToAlice + AMOUNTS.bobPullsAliceToCarol - AMOUNTS.carolToBobAfterRotation,
    };

    step("6. Every remaining node's view of every balance (each user reads their own, through each node)");
    const views: Record<string, Record<string, string>> = {};
    let viewsAgree = true;
    for (const [i, node] of [A, B].entries()) {
      const label = NODE_LABELS[i];
      views[label] = {};
      for (const user of USERS) views[label][user] = (await client(user, node).balanceOf()).toString();
    }
    print("");
    print(`   ${"".padEnd(8)}${USERS.map((u) => u.padStart(12)).join("")}${"total".padStart(12)}`);
    for (const [label, view] of Object.entries(views)) {
      const total = USERS.reduce((s, u) => s + BigInt(view[u]), 0n);
      print(`   ${label.padEnd(8)}${USERS.map((u) => view[u].padStart(12)).join("")}${total.toString().padStart(12)}`);
      if (USERS.some((u) => view[u] !== expected[u].toString())) viewsAgree = false;
    }
    print(`   ${"expected".padEnd(8)}${USERS.map((u) => expected[u].toString().padStart(12)).join("")}${USERS.reduce((s, u) => s + expected[u], 0n).toString().padStart(12)}`);
    const cHealth = await C.health().catch(() => undefined);
    print(`   node-C: removed${cHealth ? `, applied up to stateCounter ${cHealth.stateCounter} of ${cHealth.chainStateCounter}: it cannot decrypt entries of epochs after its removal` : ""}`);
    print("");

    step("7. State-hash agreement (keyed hash from the MLS exporter, per enclave)");
    const stateHashes: Record<string, { lastApplied: string; stateHash: string | null }> = {};
    for (const [i, node] of nodes.entries()) {
      const status = await callState(node.enclave, "state_status", {});
      stateHashes[NODE_LABELS[i]] = { lastApplied: String(status.lastApplied), stateHash: status.stateHash };
      print(`   ${NODE_LABELS[i]}: stateCounter ${String(status.lastApplied).padStart(3)}  stateHash ${status.stateHash ?? "(none yet)"}`);
    }
    const hashesAgree = stateHashes["node-A"].stateHash === stateHashes["node-B"].stateHash && stateHashes["node-A"].lastApplied === stateHashes["node-B"].lastApplied;
    print(`   node-A and node-B ${hashesAgree ? "AGREE" : "DISAGREE"}`);

    step("8. Audit of the on-chain log (reports, signatures, epochs, counters, checkpoints)");
    const audit = await auditGroup(hre.ethers.provider, deployment.group, { fromBlock: deployment.deploymentBlock });
    const agreeing = audit.checkpoints.filter((c) => c.agree).length;
    print(
      `   ${audit.enclaves.length} joins re-verified, ${audit.handshakes} handshakes, ${audit.entries} entries, ` +
        `${audit.checkpoints.length} checkpoint counters (${agreeing} agreeing), findings: ${audit.findings.length}`,
    );
    for (const f of audit.findings) print(`   finding [${f.code}] ${f.message}`);

    step("9. Gas per operation");
    const gas = await gasPerOperation(hre.ethers.provider, deployment.group, startBlock + 1);
    print(`   ${"operation".padEnd(34)}${"count".padStart(6)}${"avg gas".padStart(10)}${"min".padStart(10)}${"max".padStart(10)}`);
    for (const row of gas) {
      print(`   ${row.operation.padEnd(34)}${String(row.count).padStart(6)}${row.averageGas.toString().padStart(10)}${row.minGas.toString().padStart(10)}${row.maxGas.toString().padStart(10)}`);
    }

    step("10. Scanning every calldata byte and every log on chain for plaintext (amounts, user addresses, token name)");
    const blobs = await collectChainData(hre.ethers.provider, startBlock + 1);
    const needles = [
      ...Object.values(AMOUNTS).map(amountNeedle),
      ...USERS.map((u) => addressNeedle(`address of ${u}`, address[u])),
      { label: "token name", encodings: [{ name: "UTF-8", hex: Buffer.from(utf8(TOKEN_NAME)).toString("hex") }] },
    ];
    const hits = findPlaintext(blobs, needles);
    const bytes = blobs.reduce((s, b) => s + b.hex.length / 2, 0);
    print(`   searched ${blobs.length} calldata/log fields (${bytes} bytes) for ${needles.length} plaintexts in ${needles.reduce((s, n) => s + n.encodings.length, 0)} encodings`);
    if (hits.length === 0) print("   no plaintext found: the chain holds only ciphertexts, hashes, keys and signatures");
    for (const hit of hits) print(`   PLAINTEXT ${hit.label} (${hit.encoding}) in ${hit.where}`);

    const elapsedSeconds = (Date.now() - started) / 1000;
    const ok = viewsAgree && hashesAgree && hits.length === 0 && audit.findings.length === 0;
    print("");
    print(
      `${ok ? "Demo OK" : "Demo FAILED"} in ${elapsedSeconds.toFixed(1)} s: balances ${viewsAgree ? "identical on every node and as expected" : "DIFFER"}, ` +
        `state hashes ${hashesAgree ? "agree" : "DISAGREE"}, audit ${audit.findings.length === 0 ? "clean" : "has findings"}, ` +
        `${hits.length === 0 ? "no plaintext on chain" : "PLAINTEXT ON CHAIN"}`,
    );
    return {
      ok,
      attestation,
      group: deployment.group,
      views,
      expected: Object.fromEntries(USERS.map((u) => [u, expected[u].toString()])),
      stateHashes,
      gas,
      plaintextHits: hits,
      auditFindings: audit.findings.length,
      elapsedSeconds,
    };
  } catch (error) {
    for (const [i, logger] of loggers.entries()) {
      print(`--- ${NODE_LABELS[i]} log (last lines) ---`);
      for (const line of logger.lines.slice(-15)) print(`   ${line}`);
    }
    throw error;
  } finally {
    for (const node of nodes) await node.stop().catch(() => undefined);
    if (options.keepDataDirs) {
      print(`data directories kept in ${root}${fs.existsSync(journal) ? ` (Ignition journal in ${journal})` : ""}`);
    } else {
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(journal, { recursive: true, force: true });
      // Leave no empty deployments directory behind either.
      const deployments = path.dirname(journal);
      if (fs.existsSync(deployments) && fs.readdirSync(deployments).length === 0) fs.rmdirSync(deployments);
    }
  }
}
