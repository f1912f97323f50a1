import { expect } from "chai";
import { getAddress, getBytes, hexlify, keccak256, verifyTypedData, Wallet } from "ethers";
import {
  COMMAND_TYPES,
  domainParams,
  groupDomain,
  HPKE_INFO,
  padToBucket,
  hpkeSeal,
  openNotification,
  openReadReply,
  sealCommand,
  sealRead,
  sealSubscription,
  utf8,
  type Hex,
  type TokenCommand,
  type TokenQuery,
} from "../../src/client/wire";
import type { EnclaveProcess } from "../../src/enclave/EnclaveProcess";
import type { StateApplyResult, StateSubmitResult } from "../../src/enclave/protocol";
import { admitEachOther, createGroupParams, startEnclave, tempDir } from "../enclave/helpers";
import { logHashOf } from "../group/helpers/logHash";

/**
 * The state runtime through two real enclave processes in one MLS group (simulation): commands
 * sealed and signed in TypeScript exactly as a client does (src/client/wire.ts: @hpke/core and
 * ethers signTypedData), turned into log entries by enclave A, applied by both enclaves in log
 * order. Both must reach the same keyed state hash after every entry.
 */

const domain = groupDomain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
const domainArg = domainParams(domain);
const ciphertextTypes = {
  Ciphertext: [
    { name: "epoch", type: "uint64" },
    { name: "sequence", type: "uint64" },
    { name: "payloadHash", type: "bytes32" },
  ],
};
const checkpointTypes = {
  Checkpoint: [
    { name: "stateCounter", type: "uint64" },
    { name: "stateHash", type: "bytes32" },
    { name: "logHash", type: "bytes16" },
  ],
};


type Applied = Exclude<StateApplyResult, { duplicate: true }>;

function applied(result: StateApplyResult): Applied {
  if ("duplicate" in result) throw new Error(`entry ${result.stateCounter} was a duplicate`);
  return result;
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) throw new Error("the call succeeded but should have failed");
  return error as { code: string; message: string };
}

describe("State runtime through two enclave processes (simulation)", function () {
  this.timeout(60_000);
  const dirs = [tempDir(), tempDir()];
  let a: EnclaveProcess;
  let b: EnclaveProcess;
  let addressA: string;
  let hpkeA: Hex;
  const owner = new Wallet(Wallet.createRandom().privateKey);
  const alice = new Wallet(Wallet.createRandom().privateKey);
  const mallory = new Wallet(Wallet.createRandom().privateKey);
  const nonces = new Map<string, number>();
  let counter = 0;

  async function submit(signer: Wallet, command: TokenCommand): Promise<StateSubmitResult> {
    const nonce = nonces.get(signer.address) ?? 0;
    const sealed = await sealCommand({ enclaveHpkeKey: hpkeA, signer, domain, nonce, payload: command });
    const result = await a.call("state_submit", { payload: sealed.payload, domain: domainArg });
    nonces.set(signer.address, nonce + 1);
    return result;
  }

  /** Applies the next log entry on both enclaves; they must agree. */
  /** Every entry applied so far, in counter order (the log the checkpoint's log hash is over). */
  const appliedEntries: string[] = [];

  async function applyBoth(entry: { epoch: string; entry: string }): Promise<Applied> {
    counter += 1;
    appliedEntries.push(entry.entry);
    const params = { stateCounter: String(counter), epoch: entry.epoch, entry: entry.entry as Hex, blockTimestamp: String(Math.floor(Date.now() / 1000)) };
    const ra = applied(await a.call("state_apply", params));
    const rb = applied(await b.call("state_apply", params));
    expect(rb.stateHash).to.equal(ra.stateHash);
    expect([rb.outcome, rb.reason, rb.sender]).to.deep.equal([ra.outcome, ra.reason, ra.sender]);
    return ra;
  }

  async function read(enclave: EnclaveProcess, signer: Wallet, query: TokenQuery) {
    const { hpkePublicKey } = await enclave.call("evidence", {});
    const sealed = await sealRead({ enclaveHpkeKey: hpkePublicKey, signer, domain, query });
    const { reply } = await enclave.call("state_read", { payload: sealed.payload });
    return openReadReply(sealed.replyKeyPair, reply);
  }

  before(async function () {
    a = await startEnclave({ dataDir: dirs[0].dir });
    b = await startEnclave({ dataDir: dirs[1].dir });
    const keysA = await a.init();
    await b.init();
    addressA = getAddress(keysA.address);
    hpkeA = keysA.hpkePublicKey;
    // A creates the group; B follows the genesis entry and joins by external commit.
    await admitEachOther([a, b]);
    const genesis = await a.call("mls_create_group", await createGroupParams(a, { ...domainArg, chainId: 31337 }));
    await b.call("mls_process_handshake", { handshake: genesis.handshake });
    const join = await b.call("mls_join_external", { domain: { ...domainArg, chainId: 31337 } });
    await a.call("mls_process_handshake", { handshake: join.handshake });
    await b.call("mls_process_handshake", { handshake: join.handshake });
  });
  after(async function () {
    await a?.close();
    await b?.close();
    for (const d of dirs) d.cleanup();
  });

  it("turns a client-sealed command into a signed entry that both enclaves apply to the same state", async function () {
    expect((await a.call("state_status", {})).epoch).to.equal("2");
    const init = await submit(owner, { op: "init", name: "Anonify Token", symbol: "ANT", initialSupply: 1_000_000n });
    expect(init.sender).to.equal(owner.address.toLowerCase());
    expect(init.nonce).to.equal("0");
    expect(init.epoch).to.equal("2");
    // The enclave signed Ciphertext(epoch, sequence, keccak256(entry)) for AnonifyGroup.postCiphertext; the post number
    // is the entry's producer sequence, its first of the epoch.
    expect(init.producerSequence).to.equal("0");
    const signed = { epoch: init.epoch, sequence: init.producerSequence, payloadHash: keccak256(init.entry) };
    expect(verifyTypedData(domain, ciphertextTypes, signed, init.signature)).to.equal(addressA);
    expect(Buffer.from(getBytes(init.entry)).toString("latin1")).to.not.include("Anonify Token");

    const r1 = await applyBoth(init);
    expect(r1.outcome).to.equal("applied");
    expect(r1.commandId).to.equal(init.commandId);
    const r2 = await applyBoth(await submit(owner, { op: "transfer", to: alice.address, amount: 250n }));
    expect(r2.outcome).to.equal("applied");
    // What the token would reject is refused at submit (the enclave's dry run): nothing is sealed, no nonce is used.
    expect(await failure(submit(alice, { op: "transfer", to: mallory.address, amount: 251n }))).to.deep.include({
      code: "command_refused",
      enclaveMessage: "insufficient balance",
    });
    expect(await failure(submit(mallory, { op: "mint", to: mallory.address, amount: 1n }))).to.deep.include({ code: "command_refused", enclaveMessage: "not owner" });
    const r3 = await applyBoth(await submit(alice, { op: "transfer", to: mallory.address, amount: 0n }));
    expect(r3.outcome).to.equal("applied");
    const r4 = await applyBoth(await submit(mallory, { op: "burn", amount: 0n }));
    expect(r4.outcome).to.equal("applied");

    const statusA = await a.call("state_status", {});
    const statusB = await b.call("state_status", {});
    expect(statusA.lastApplied).to.equal("4");
    expect(statusA.stateHash).to.equal(statusB.stateHash);
    expect(statusA.initialized).to.equal(true);

    // The checkpoint is the Checkpoint typed data over that hash and the log hash of the entries applied.
    const cp = await a.call("state_checkpoint", { domain: domainArg });
    expect(cp.stateHash).to.equal(statusB.stateHash);
    expect(cp.logHash).to.equal(logHashOf(appliedEntries));
    const checkpoint = { stateCounter: cp.stateCounter, stateHash: cp.stateHash, logHash: cp.logHash };
    expect(verifyTypedData(domain, checkpointTypes, checkpoint, cp.signature)).to.equal(addressA);
  });

  it("answers reads encrypted to the reader, only to the account concerned", async function () {
    const mine = await read(b, alice, { op: "balanceOf", account: alice.address });
    expect(mine).to.deep.equal({ ok: true, result: "250", stateCounter: 4n, runtime: "anonify-token/v1" });
    expect(await read(a, owner, { op: "balanceOf", account: owner.address })).to.deep.include({ ok: true, result: "999750" });
    const denied = await read(a, mallory, { op: "balanceOf", account: alice.address });
    expect(denied.ok).to.equal(false);
    if (!denied.ok) expect(denied.error.code).to.equal("not_authorized");
    expect(await read(a, mallory, { op: "totalSupply" })).to.deep.include({ ok: true, result: "1000000" });
    expect(await read(a, alice, { op: "nonce", account: alice.address })).to.deep.include({ ok: true, result: "1" });
    // A read request signed by someone else than its sender is refused outright.
    const { hpkePublicKey } = await a.call("evidence", {});
    const forged = await sealRead({ enclaveHpkeKey: hpkePublicKey, signer: mallory, domain, query: { op: "balanceOf", account: alice.address } });
    const request = { ...forged.request, sender: alice.address.toLowerCase() };
    const payload = hexlify(await hpkeSeal(hpkePublicKey, HPKE_INFO.read, padToBucket(utf8(JSON.stringify(request))))) as Hex;
    expect(await failure(a.call("state_read", { payload }))).to.include({ code: "bad_user_signature" });
  });

  it("rejects replayed and re-signed commands", async function () {
    // The same sealed command submitted twice before it is applied: both become entries, the
    // second is rejected in the log by every enclave.
    const nonce = nonces.get(owner.address) ?? 0;
    const sealed = await sealCommand({ enclaveHpkeKey: hpkeA, signer: owner, domain, nonce, payload: { op: "transfer", to: alice.address, amount: 5n } });
    const first = await a.call("state_submit", { payload: sealed.payload, domain: domainArg });
    const again = await a.call("state_submit", { payload: sealed.payload, domain: domainArg });
    nonces.set(owner.address, nonce + 1);
    expect((await applyBoth(first)).outcome).to.equal("applied");
    const replay = await applyBoth(again);
    expect([replay.outcome, replay.reason]).to.deep.equal(["rejected", "nonce mismatch"]);
    // Once applied, the same command is refused before it reaches the log.
    expect(await failure(a.call("state_submit", { payload: sealed.payload, domain: domainArg }))).to.include({ code: "nonce_mismatch" });

    // Mallory signs a command in alice's name.
    const payloadBytes = utf8(JSON.stringify({ op: "transfer", to: mallory.address.toLowerCase(), amount: "100" }));
    const aliceNonce = nonces.get(alice.address) ?? 0;
    const signature = await mallory.signTypedData(domain, COMMAND_TYPES, {
      sender: alice.address,
      nonce: aliceNonce,
      payloadHash: keccak256(payloadBytes),
    });
    const envelope = { sender: alice.address.toLowerCase(), nonce: String(aliceNonce), payload: hexlify(payloadBytes), signature };
    const resigned = hexlify(await hpkeSeal(hpkeA, HPKE_INFO.command, padToBucket(utf8(JSON.stringify(envelope))))) as Hex;
    expect(await failure(a.call("state_submit", { payload: resigned, domain: domainArg }))).to.include({ code: "bad_user_signature" });
    expect(await read(a, alice, { op: "balanceOf", account: alice.address })).to.deep.include({ result: "255" });
  });

  it("rejects a tampered entry identically on both enclaves and consumes its counter", async function () {
    const before = (await a.call("state_status", {})).stateHash;
    const entry = await submit(owner, { op: "transfer", to: alice.address, amount: 1n });
    const bytes = getBytes(entry.entry);
    bytes[bytes.length - 5] ^= 0x01;
    const tampered = await applyBoth({ epoch: entry.epoch, entry: hexlify(bytes) });
    expect([tampered.outcome, tampered.reason]).to.deep.equal(["rejected", "undecryptable"]);
    expect(tampered.sender).to.equal(undefined);
    expect(tampered.stateHash).to.not.equal(before); // lastApplied moved
    // The owner's nonce was not used: the untampered command is still valid at the next counter.
    expect((await applyBoth(entry)).outcome).to.equal("applied");
    expect(await read(b, alice, { op: "balanceOf", account: alice.address })).to.deep.include({ result: "256" });
  });

  it("refuses entries out of order and of another epoch, and replays applied ones as no-ops", async function () {
    const entry = await submit(owner, { op: "burn", amount: 1n });
    const next = String(counter + 1);
    expect(await failure(a.call("state_apply", { stateCounter: String(counter + 2), epoch: entry.epoch, entry: entry.entry, blockTimestamp: String(Math.floor(Date.now() / 1000)) }))).to.include({ code: "counter_gap" });
    expect(await failure(a.call("state_apply", { stateCounter: next, epoch: "1", entry: entry.entry, blockTimestamp: String(Math.floor(Date.now() / 1000)) }))).to.include({ code: "epoch_mismatch" });
    expect(await a.call("state_apply", { stateCounter: "1", epoch: entry.epoch, entry: entry.entry, blockTimestamp: String(Math.floor(Date.now() / 1000)) })).to.deep.equal({ stateCounter: "1", duplicate: true });
    expect((await applyBoth(entry)).outcome).to.equal("applied");
  });

  it("notifies every subscription of every entry, telling only whether its account changed", async function () {
    const hpkeB = (await b.call("evidence", {})).hpkePublicKey;
    const aliceSub = await sealSubscription({ enclaveHpkeKey: hpkeB, signer: alice, domain });
    const malSub = await sealSubscription({ enclaveHpkeKey: hpkeB, signer: mallory, domain });
    const { subscriptionId: aliceId } = await b.call("state_subscribe", { payload: aliceSub.payload });
    const { subscriptionId: malId } = await b.call("state_subscribe", { payload: malSub.payload });
    const entry = await submit(owner, { op: "transfer", to: alice.address, amount: 2n });
    counter += 1;
    const params = { stateCounter: String(counter), epoch: entry.epoch, entry: entry.entry, blockTimestamp: String(Math.floor(Date.now() / 1000)) };
    await a.call("state_apply", params);
    const result = applied(await b.call("state_apply", params));
    expect(result.notifications.map((n) => n.subscriptionId).sort()).to.deep.equal([aliceId, malId].sort());
    const forAlice = result.notifications.find((n) => n.subscriptionId === aliceId)!;
    const forMallory = result.notifications.find((n) => n.subscriptionId === malId)!;
    expect(await openNotification(aliceSub.replyKeyPair, forAlice.payload)).to.deep.equal({ stateCounter: BigInt(counter), changed: true });
    expect(await openNotification(malSub.replyKeyPair, forMallory.payload)).to.deep.equal({ stateCounter: BigInt(counter), changed: false });
    await b.call("state_unsubscribe", { subscriptionId: aliceId });
    expect(await failure(b.call("state_unsubscribe", { subscriptionId: aliceId }))).to.include({ code: "not_found" });
    await b.call("state_unsubscribe", { subscriptionId: malId });
  });

  it("resumes after a restart with the same state and lastApplied", async function () {
    const before = await a.call("state_status", {});
    await a.close();
    a = await startEnclave({ dataDir: dirs[0].dir });
    await a.init();
    const after = await a.call("state_status", {});
    expect([after.lastApplied, after.stateHash, after.epoch]).to.deep.equal([before.lastApplied, before.stateHash, before.epoch]);
    expect(await read(a, alice, { op: "balanceOf", account: alice.address })).to.deep.include({ result: "258" });
    // Restarted from sealed state, A submits nothing until its own self-update is applied (PROTOCOL.md
    // "Self-update after a restart"); the update moves both enclaves to the next epoch.
    expect(after.selfUpdateRequired).to.equal(true);
    const sealed = await sealCommand({ enclaveHpkeKey: hpkeA, signer: alice, domain, nonce: nonces.get(alice.address) ?? 0, payload: { op: "transfer", to: owner.address, amount: 8n } });
    expect(await failure(a.call("state_submit", { payload: sealed.payload, domain: domainArg }))).to.include({ code: "self_update_required" });
    const update = await a.call("mls_commit_update", {});
    expect((await b.call("mls_process_handshake", { handshake: update.handshake })).outcome).to.equal("commit");
    expect((await a.call("mls_process_handshake", { handshake: update.handshake })).outcome).to.equal("own_commit");
    const updated = await a.call("state_status", {});
    expect([updated.selfUpdateRequired, updated.epoch]).to.deep.equal([false, String(Number(before.epoch) + 1)]);
    // Still in step with B.
    expect((await applyBoth(await submit(alice, { op: "transfer", to: owner.address, amount: 8n }))).outcome).to.equal("applied");
  });
});
