/**
 * End to end over a real JSON-RPC chain: `hardhat node` on a free loopback port, the contracts deployed to it,
 * three TEE nodes each in its own OS process (each with its own enclave process, simulation mode), users talking
 * to them through the client SDK. Asserts convergence, that no plaintext reaches calldata or logs, read
 * authorization, replay and re-signing refusals, identical rejection of a tampered ciphertext by every enclave, and
 * that a removed member cannot decrypt new entries.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  Contract,
  HDNodeWallet,
  JsonRpcProvider,
  NonceManager,
  Wallet,
  concat,
  getBytes,
  hexlify,
  keccak256,
  sha256,
  type LogDescription,
  type Signer,
  type TypedDataDomain,
} from "ethers";
import {
  AnonifyClient,
  COMMAND_TYPES,
  HPKE_INFO,
  NodeRequestError,
  ReadRefusedError,
  groupDomain,
  hpkeSeal,
  padToBucket,
  sealCommand,
  utf8,
  type CommandEnvelope,
  type NodeHealth,
} from "../../src/client";
import { auditGroup } from "../../src/client/audit";
import { addressNeedle, amountNeedle, collectChainData, findPlaintext } from "../../src/client/chainScan";
import { DevelopmentIas } from "../../src/attestation/devIas";
import { encodeIasEvidence } from "../../src/attestation/evidence";
import { buildSimulationQuoteBody } from "../../src/attestation/quote";
import { DevelopmentQuotingEnclave } from "../../src/attestation/dcap/devQe";
import { QUOTE_HEADER_LENGTH } from "../../src/attestation/dcap/quote";
import { EnclaveProcess } from "../../src/enclave/EnclaveProcess";
import { quoteSigner } from "../../src/node/evidence";
import * as mls from "ts-mls";
import { randomBytes } from "node:crypto";
import { type ChildHandle, HARDHAT_MNEMONIC, deployDcapGroupOverRpc, deployGroupOverRpc, freePort, pinnedEnclaveBinary, startHardhatNode, startNodeProcess } from "./processes";

const ADMIN_DELAY = 3600;
const account = (i: number, provider: JsonRpcProvider) => HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).connect(provider);
const HANDSHAKE_TYPES = { Handshake: [{ name: "epoch", type: "uint64" }, { name: "handshakeHash", type: "bytes32" }] };
const CIPHERTEXT_TYPES = {
  Ciphertext: [
    { name: "epoch", type: "uint64" },
    { name: "sequence", type: "uint64" },
    { name: "payloadHash", type: "bytes32" },
  ],
};
/** Distinctive amounts (the plaintext scan must not match by accident). */
const AMOUNTS = { supply: 700_001n, aliceToBob: 123_461n, bobToCarol: 54_329n, carolToAlice: 21_013n, afterTamper: 8_111n, afterRemoval: 6_007n };

/** ts-mls's ratchet tree decoder (exported under "ts-mls/ratchetTree.js" only, which "node" module resolution cannot type). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { decodeRatchetTree } = require("ts-mls/ratchetTree.js") as {
  decodeRatchetTree: (bytes: Uint8Array, offset: number) => [mls.RatchetTree, number] | undefined;
};

/** MLS varint length prefix (RFC 9420 section 2.1.2). */
function varint(length: number): number[] {
  if (length < 1 << 6) return [length];
  if (length < 1 << 14) return [0x40 | (length >> 8), length & 0xff];
  return [0x80 | (length >>> 24), (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff];
}

/** A handshake-log entry {opaque commit<V>; opaque group_info<V>} (docs/treekem.md). */
function handshakeEntry(commit: Uint8Array, groupInfo: Uint8Array): `0x${string}` {
  return hexlify(Uint8Array.from([...varint(commit.length), ...commit, ...varint(groupInfo.length), ...groupInfo])) as `0x${string}`;
}

async function waitUntil(what: string, condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail("expected a rejection"),
    (error: unknown) => error,
  );
}

interface RunningNode {
  label: string;
  handle: ChildHandle;
  url: string;
  address: string;
  dataDir: string;
}

/** Both evidence kinds run the whole flow: DCAP (development QE and PCS) and IAS (development IAS). */
for (const attestation of ["dcap", "ias"] as const) describe(`end to end (${attestation === "dcap" ? "DCAP quotes" : "IAS reports"}): hardhat node + 3 TEE node processes + client SDK`, function () {
  this.timeout(600_000);
  const children: ChildHandle[] = [];
  const dirs: string[] = [];
  let provider: JsonRpcProvider;
  /** Deploys, governs and relays the rogue member's posts (a NonceManager: ethers may cache the pending nonce). */
  let deployer: NonceManager;
  let group: Contract;
  let groupAddress: string;
  let fromBlock: number;
  let domain: TypedDataDomain;
  let mrenclave: string;
  let binary: string;
  let nodes: RunningNode[];
  const users = { alice: Wallet.createRandom(), bob: Wallet.createRandom(), carol: Wallet.createRandom() };
  const clients = new Map<string, AnonifyClient>();

  const client = (user: keyof typeof users, node: RunningNode) => {
    const key = `${user}@${node.label}`;
    if (!clients.has(key)) clients.set(key, new AnonifyClient({ nodeUrl: node.url, signer: users[user], group: groupAddress, provider, pollIntervalMs: 50 }));
    return clients.get(key)!;
  };
  const health = async (node: RunningNode) => (await (await fetch(`${node.url}/health`)).json()) as NodeHealth & { removed?: boolean };
  const chainCounter = async () => BigInt(await group.stateCounter());
  const allApplied = async (which: RunningNode[]) => {
    const target = (await chainCounter()).toString();
    await waitUntil(`${which.map((n) => n.label).join(", ")} at stateCounter ${target}`, async () =>
      (await Promise.all(which.map(health))).every((h) => h.stateCounter === target),
    );
  };
  const tempDir = (prefix: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };

  before(async function () {
    ({ binary, mrenclave } = await pinnedEnclaveBinary(tempDir("anonify-e2e-bin-")));

    const port = await freePort();
    children.push(await startHardhatNode(port));
    const rpcUrl = `http://127.0.0.1:${port}`;
    provider = new JsonRpcProvider(rpcUrl, undefined, { pollingInterval: 100, cacheTimeout: -1 });
    deployer = new NonceManager(account(0, provider));

    const deployed = attestation === "dcap" ? await deployDcapGroupOverRpc(deployer, mrenclave, ADMIN_DELAY) : await deployGroupOverRpc(deployer, mrenclave, ADMIN_DELAY);
    group = deployed.group;
    fromBlock = deployed.fromBlock;
    groupAddress = deployed.groupAddress;
    domain = groupDomain((await provider.getNetwork()).chainId, groupAddress);

    nodes = [];
    for (const [i, label] of ["node-A", "node-B", "node-C"].entries()) {
      const dataDir = tempDir(`anonify-e2e-${label}-`);
      const started = await startNodeProcess({ label, rpcUrl, group: groupAddress, fromBlock, nodeKey: account(i + 1, provider).privateKey, dataDir, binary });
      children.push(started.handle);
      nodes.push({ label, dataDir, ...started });
    }
    await allApplied(nodes);
  });

  after(async function () {
    for (const child of children.reverse()) await child.stop();
    provider?.destroy();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("converges: commands through different nodes give every node the same balances and checkpoints", async function () {
    const [A, B, C] = nodes;
    await (await client("alice", A).init("E2E Token", "E2E", AMOUNTS.supply)).wait();
    await (await client("alice", B).transfer(users.bob.address, AMOUNTS.aliceToBob)).wait();
    await (await client("bob", C).transfer(users.carol.address, AMOUNTS.bobToCarol)).wait();
    await (await client("carol", A).transfer(users.alice.address, AMOUNTS.carolToAlice)).wait();
    await allApplied(nodes);
    const expected = {
      alice: AMOUNTS.supply - AMOUNTS.aliceToBob + AMOUNTS.carolToAlice,
      bob: AMOUNTS.aliceToBob - AMOUNTS.bobToCarol,
      carol: AMOUNTS.bobToCarol - AMOUNTS.carolToAlice,
    };
    for (const node of nodes) {
      for (const user of ["alice", "bob", "carol"] as const) {
        expect(await client(user, node).balanceOf(), `${user} via ${node.label}`).to.equal(expected[user]);
      }
      expect(await client("carol", node).totalSupply()).to.equal(AMOUNTS.supply);
    }
    // Every node checkpoints every entry (interval 1): the audit sees all three agree at every counter.
    await waitUntil("checkpoints of all nodes at the head", async () => {
      const audit = await auditGroup(provider, groupAddress, { fromBlock });
      const last = audit.checkpoints.find((c) => c.stateCounter === audit.entries);
      return last !== undefined && Object.keys(last.hashes).length === 3;
    });
    const audit = await auditGroup(provider, groupAddress, { fromBlock });
    expect(audit.findings).to.deep.equal([]);
    expect(audit.checkpoints.every((c) => c.agree)).to.equal(true);
    // Every join's evidence re-verified: the IAS report's status, or the DCAP platform's TCB status (with the
    // collateral the stores held at the join).
    const status = attestation === "dcap" ? "UpToDate" : "OK";
    expect(audit.enclaves.map((e) => e.reportStatus)).to.deep.equal([status, status, status]);
    expect(audit.trustAnchor).to.equal("simulation");
  });

  it("a user cannot read another user's balance, through any node", async function () {
    for (const node of nodes) {
      const error = await rejection(client("bob", node).balanceOf(users.alice.address));
      expect(error, node.label).to.be.instanceOf(ReadRefusedError).and.include({ code: "not_authorized" });
      const nonce = await rejection(client("carol", node).read({ op: "nonce", account: users.bob.address }));
      expect(nonce, node.label).to.be.instanceOf(ReadRefusedError).and.include({ code: "not_authorized" });
    }
  });

  it("a replayed command, a command re-signed by someone else and a command signed for another group are refused; nothing changes", async function () {
    const [A, B] = nodes;
    const alice = client("alice", A);
    const enclaveA = await alice.verifyEnclave();
    const nonce = await alice.nonce();
    const sealed = await sealCommand({ enclaveHpkeKey: enclaveA.hpkePublicKey, signer: users.alice, domain, nonce, payload: { op: "transfer", to: users.bob.address, amount: 1n } });
    const accepted = await alice.node.post<{ id: string }>("/commands", { payload: sealed.payload });
    await waitUntil("the original command applied", async () => (await alice.commandStatus(accepted.id)).status === "applied");
    await allApplied(nodes);
    const before = { counter: await chainCounter(), alice: await alice.balanceOf(), bob: await client("bob", B).balanceOf() };

    // The exact sealed bytes again, to the same node and to another one (sealed to A's key, so B cannot even open it).
    const replayA = await rejection(alice.node.post("/commands", { payload: sealed.payload }));
    expect(replayA).to.be.instanceOf(NodeRequestError).and.include({ code: "nonce_mismatch", status: 409 });
    const replayB = await rejection(client("alice", B).node.post("/commands", { payload: sealed.payload }));
    expect(replayB).to.be.instanceOf(NodeRequestError).and.include({ code: "hpke_open_failed", status: 400 });

    // Mallory re-signs Alice's next command (sender alice, her next nonce) with her own key.
    const mallory = Wallet.createRandom();
    const payload = utf8(JSON.stringify({ op: "transfer", to: mallory.address.toLowerCase(), amount: "5" }));
    const envelope: CommandEnvelope = {
      sender: users.alice.address.toLowerCase() as `0x${string}`,
      nonce: (nonce + 1n).toString(),
      payload: hexlify(payload) as `0x${string}`,
      signature: (await mallory.signTypedData(domain, COMMAND_TYPES, { sender: users.alice.address, nonce: nonce + 1n, payloadHash: keccak256(payload) })) as `0x${string}`,
    };
    const forged = hexlify(await hpkeSeal(enclaveA.hpkePublicKey, HPKE_INFO.command, padToBucket(utf8(JSON.stringify(envelope)))));
    const resigned = await rejection(alice.node.post("/commands", { payload: forged }));
    expect(resigned).to.be.instanceOf(NodeRequestError).and.include({ code: "bad_user_signature", status: 400 });

    // Alice's own signature, but for another group's domain.
    const elsewhere = groupDomain((await provider.getNetwork()).chainId, Wallet.createRandom().address);
    const otherGroup = await sealCommand({ enclaveHpkeKey: enclaveA.hpkePublicKey, signer: users.alice, domain: elsewhere, nonce: nonce + 1n, payload: { op: "burn", amount: 1n } });
    const crossGroup = await rejection(alice.node.post("/commands", { payload: otherGroup.payload }));
    expect(crossGroup).to.be.instanceOf(NodeRequestError).and.include({ code: "bad_user_signature", status: 400 });

    expect(await chainCounter()).to.equal(before.counter);
    expect(await alice.balanceOf()).to.equal(before.alice);
    expect(await client("bob", B).balanceOf()).to.equal(before.bob);
    expect(await alice.nonce()).to.equal(nonce + 1n);
  });

  it("a tampered ciphertext signed by an attested member is rejected by every enclave in the same way (undecryptable)", async function () {
    // An attested member the test controls: its roster key is a wallet, and its MLS leaf (credential = that
    // address, a signature key of its own) an external join built with ts-mls from the public log. Its evidence
    // (development IAS) binds both, so every enclave admits the leaf exactly as it would another enclave's.
    const rogueEnclave = await EnclaveProcess.start({ binary, mode: "simulation", dataDir: tempDir("anonify-e2e-rogue-") });
    const rogueKey = Wallet.createRandom();
    let joinBlock = 0;
    try {
      await rogueEnclave.init({});
      const handshakes = await group.queryFilter(group.filters.HandshakePosted(), fromBlock);
      for (const log of handshakes) await rogueEnclave.call("mls_follow", { handshake: (log as unknown as { args: { handshake: string } }).args.handshake as `0x${string}` });
      const pub = await rogueEnclave.call("mls_public_state", {});
      const impl = await mls.getCiphersuiteImpl(mls.getCiphersuiteFromName("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"));
      const decoded = (mls.decodeMlsMessage(getBytes(pub.groupInfo), 0)![0] as mls.MLSMessage & { groupInfo: mls.GroupInfo }).groupInfo;
      // ts-mls 1.6.4 takes external_pub's extension data as the bare key, where RFC 9420 (and the enclave) prefix it
      // with its length: lookups see the bare key, while the signed encoding keeps the original bytes.
      const extensions = Object.assign([...decoded.extensions], {
        find(predicate: (e: mls.Extension) => boolean) {
          const found = decoded.extensions.find(predicate);
          return found?.extensionType === "external_pub" && found.extensionData.length === 33
            ? { ...found, extensionData: found.extensionData.subarray(1) }
            : found;
        },
      });
      const groupInfo: mls.GroupInfo = { ...decoded, extensions };
      const tree = decodeRatchetTree(getBytes(pub.ratchetTree), 0)![0];
      const capabilities = { ...mls.defaultCapabilities(), extensions: [0xf0a1] };
      const keyPackage = await mls.generateKeyPackage({ credentialType: "basic", identity: getBytes(rogueKey.address) }, capabilities, mls.defaultLifetime, [], impl);
      const joined = await mls.joinGroupExternal(groupInfo, keyPackage.publicPackage, keyPackage.privatePackage, false, impl, tree);
      const commitBytes = mls.encodeMlsMessage({ version: "mls10", wireformat: "mls_public_message", publicMessage: joined.publicMessage });
      const newGroupInfo = await mls.createGroupInfoWithExternalPub(joined.newState, [], impl);
      const handshake = handshakeEntry(commitBytes, mls.encodeMlsMessage({ version: "mls10", wireformat: "mls_group_info", groupInfo: newGroupInfo }));
      const hpkePublicKey = hexlify(randomBytes(32));
      const mlsSignatureKey = hexlify(keyPackage.publicPackage.leafNode.signaturePublicKey);
      const reportData = new Uint8Array(64);
      reportData.set(getBytes(rogueKey.address), 0);
      reportData.set(getBytes(sha256(concat([hpkePublicKey, mlsSignatureKey]))), 20);
      const block = await provider.getBlock("latest");
      // The enclave build's own signer (MRSIGNER, ISVPRODID, ISVSVN): what the group's policy admits.
      const signer = quoteSigner(await rogueEnclave.call("evidence", {}));
      const fields = { mrenclave: getBytes(mrenclave), mrsigner: getBytes(signer.mrsigner), isvProdId: signer.isvProdId, isvSvn: signer.isvSvn, debug: false, reportData };
      // DCAP: the development QE quotes the report body (the nodes upserted the collateral when they joined).
      const evidence =
        attestation === "dcap"
          ? hexlify(new DevelopmentQuotingEnclave().quote(buildSimulationQuoteBody(fields).subarray(QUOTE_HEADER_LENGTH)))
          : encodeIasEvidence(new DevelopmentIas().attest(fields, { timestamp: new Date(block!.timestamp * 1000) }));
      const epoch = BigInt(await group.currentEpoch());
      const handshakeSignature = await rogueKey.signTypedData(domain, HANDSHAKE_TYPES, { epoch, handshakeHash: keccak256(handshake) });
      const joinReceipt = await (await group
        .connect(deployer)
        .getFunction("join")(evidence, hpkePublicKey, mlsSignatureKey, handshake, handshakeSignature)).wait();
      joinBlock = joinReceipt!.blockNumber;
      await waitUntil("every node past the rogue join", async () => (await Promise.all(nodes.map(health))).every((h) => BigInt(h.epoch) >= epoch));
    } finally {
      await rogueEnclave.close();
    }

    // Node A (leaf 0) posts a snapshot entry (version 0x02) for the rogue joiner as soon as it applies the join
    // (src/node/snapshots.ts). It lands before the tampered entry: one landing after it would overtake the nodes'
    // checkpoints at the tampered counter before they are mined, and they would checkpoint the next counter instead.
    const entriesSince = async (block: number) =>
      (await group.queryFilter(group.filters.CiphertextPosted(), block)).map((e) => getBytes((e as unknown as { args: { ciphertext: string } }).args.ciphertext));
    await waitUntil("the snapshot entry for the rogue joiner", async () => (await entriesSince(joinBlock)).some((c) => c[0] === 0x02));
    await allApplied(nodes);

    // A real command entry (format 3: version byte 0x03, enclave/PROTOCOL.md "Log entries") with one byte of its
    // producer flipped (authenticated by the AAD), signed by the rogue member and posted.
    const entries = (await entriesSince(fromBlock)).filter((c) => c[0] === 0x03);
    expect(entries, "command entries since the test's first block").to.not.be.empty;
    const original = entries[entries.length - 1];
    const tampered = Uint8Array.from(original);
    tampered[20] ^= 0x01;
    const epoch = BigInt(await group.currentEpoch());
    // The rogue member's next post number (audit F-5: the contract takes each number once).
    const sequence = BigInt(await group.nextPostSequence(rogueKey.address, epoch));
    const signature = await rogueKey.signTypedData(domain, CIPHERTEXT_TYPES, { epoch, sequence, payloadHash: keccak256(tampered) });
    const posted = await (await group.connect(deployer).getFunction("postCiphertext")(epoch, sequence, tampered, signature)).wait();
    // From the receipt: a snapshot entry may land right after it.
    const postedLog = posted!.logs.map((l: { topics: readonly string[]; data: string }) => group.interface.parseLog(l)).find((l: LogDescription | null) => l?.name === "CiphertextPosted");
    const tamperedCounter = postedLog!.args.stateCounter as bigint;
    await allApplied(nodes);

    // Every enclave consumed the counter with the same deterministic rejection …
    for (const node of nodes) {
      await node.handle.waitForLine(new RegExp(`applied #${tamperedCounter} \\(rejected: undecryptable\\)`), 30_000);
    }
    // … and reached the same state hash there (each node checkpoints every entry).
    await waitUntil("three checkpoints at the tampered entry", async () => {
      const logs = await group.queryFilter(group.filters.CheckpointPosted(null, tamperedCounter), fromBlock);
      return logs.length === 3;
    });
    const hashes = (await group.queryFilter(group.filters.CheckpointPosted(null, tamperedCounter), fromBlock)).map(
      (l) => (l as unknown as { args: { stateHash: string } }).args.stateHash,
    );
    expect(new Set(hashes).size).to.equal(1);

    // The state is otherwise unchanged and keeps working.
    const bobBefore = await client("bob", nodes[1]).balanceOf();
    await (await client("bob", nodes[2]).transfer(users.carol.address, AMOUNTS.afterTamper)).wait();
    await allApplied(nodes);
    for (const node of nodes) expect(await client("bob", node).balanceOf()).to.equal(bobBefore - AMOUNTS.afterTamper);
  });

  it("a removed member can no longer decrypt new entries", async function () {
    const [A, B, C] = nodes;
    const token = fs.readFileSync(path.join(A.dataDir, "admin.token"), "utf8").trim();
    const removal = await fetch(`${A.url}/admin/remove`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ enclave: C.address }),
    });
    expect(removal.status, `${await removal.clone().text()}\n${A.handle.tail(40)}\n--- node-C ---\n${C.handle.tail(20)}`).to.equal(200);
    await waitUntil("node-C sees its removal", async () => (await health(C)).removed === true || (await health(C)).joined === false);
    const cBefore = (await health(C)).stateCounter;

    await (await client("carol", A).transfer(users.bob.address, AMOUNTS.afterRemoval)).wait();
    await allApplied([A, B]);
    const head = (await chainCounter()).toString();
    await C.handle.waitForLine(new RegExp(`entry #${head} .*cannot be applied`), 30_000);
    const c = await health(C);
    expect(c.stateCounter).to.equal(cBefore);
    expect(BigInt(c.stateCounter)).to.be.lessThan(BigInt(head));
    for (const node of [A, B]) expect((await health(node)).stateCounter).to.equal(head);
    expect(await client("carol", B).balanceOf()).to.equal(AMOUNTS.bobToCarol - AMOUNTS.carolToAlice + AMOUNTS.afterTamper - AMOUNTS.afterRemoval);
  });

  it("no plaintext amount or user address appears in any calldata or log on the chain", async function () {
    const blobs = await collectChainData(provider, 0);
    expect(blobs.length).to.be.greaterThan(20);
    const needles = [
      ...Object.values(AMOUNTS).map(amountNeedle),
      ...Object.entries(users).map(([name, wallet]) => addressNeedle(name, wallet.address)),
      { label: "token name", encodings: [{ name: "UTF-8", hex: Buffer.from("E2E Token").toString("hex") }] },
    ];
    expect(findPlaintext(blobs, needles)).to.deep.equal([]);
    // The scan does find what is public: the enclaves' addresses are in the join calldata and the events.
    expect(findPlaintext(blobs, [addressNeedle("node-A enclave", nodes[0].address)])).to.not.deep.equal([]);
  });
});
