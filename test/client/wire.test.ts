import { expect } from "chai";
import { Wallet, getBytes, hexlify, keccak256, toUtf8Bytes, TypedDataEncoder } from "ethers";
import {
  COMMAND_TYPES,
  ENVELOPE_BUCKETS,
  HPKE_INFO,
  NOTIFICATION_SIZE,
  padToBucket,
  REPLY_BUCKETS,
  unpad,
  READ_TYPES,
  SUBSCRIBE_TYPES,
  WireFormatError,
  domainParams,
  encodeCommand,
  encodeQuery,
  generateReplyKeyPair,
  groupDomain,
  hpkeOpen,
  hpkeSeal,
  openNotification,
  openReadReply,
  recoverCommandSigner,
  recoverReadSigner,
  recoverSubscribeSigner,
  sealCommand,
  sealRead,
  sealSubscription,
  utf8,
  type CommandEnvelope,
  type ReadRequest,
  type SubscribeRequest,
} from "../../src/client/wire";

const GROUP = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const domain = groupDomain(31337n, GROUP);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail("expected a rejection"),
    (error: unknown) => error,
  );
}

describe("client wire formats", function () {
  const user = Wallet.createRandom();
  const other = Wallet.createRandom();

  it("encodes commands and queries with the fixed key order, lower-case addresses and decimal amounts", function () {
    expect(decode(encodeCommand({ op: "init", name: "Anonify Token", symbol: "ANT", initialSupply: 1000000n }))).to.equal(
      '{"op":"init","name":"Anonify Token","symbol":"ANT","initialSupply":"1000000"}',
    );
    expect(decode(encodeCommand({ op: "transfer", to: other.address, amount: "10" }))).to.equal(
      `{"op":"transfer","to":"${other.address.toLowerCase()}","amount":"10"}`,
    );
    expect(decode(encodeCommand({ op: "transferFrom", from: user.address, to: other.address, amount: 7 }))).to.equal(
      `{"op":"transferFrom","from":"${user.address.toLowerCase()}","to":"${other.address.toLowerCase()}","amount":"7"}`,
    );
    expect(decode(encodeCommand({ op: "approve", spender: other.address, amount: 0n }))).to.equal(
      `{"op":"approve","spender":"${other.address.toLowerCase()}","amount":"0"}`,
    );
    expect(decode(encodeCommand({ op: "mint", to: user.address, amount: (1n << 256n) - 1n }))).to.equal(
      `{"op":"mint","to":"${user.address.toLowerCase()}","amount":"${(1n << 256n) - 1n}"}`,
    );
    expect(decode(encodeCommand({ op: "burn", amount: "3" }))).to.equal('{"op":"burn","amount":"3"}');
    expect(decode(encodeQuery({ op: "allowance", owner: user.address, spender: other.address }))).to.equal(
      `{"op":"allowance","owner":"${user.address.toLowerCase()}","spender":"${other.address.toLowerCase()}"}`,
    );
    expect(decode(encodeQuery({ op: "totalSupply" }))).to.equal('{"op":"totalSupply"}');
    expect(decode(encodeQuery({ op: "tokenInfo" }))).to.equal('{"op":"tokenInfo"}');
    expect(decode(encodeQuery({ op: "nonce", account: user.address }))).to.equal(`{"op":"nonce","account":"${user.address.toLowerCase()}"}`);
  });

  it("refuses bad amounts, addresses and ops with specific codes", function () {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        expect(error).to.be.instanceOf(WireFormatError);
        return (error as WireFormatError).code;
      }
      return expect.fail("expected a WireFormatError");
    };
    expect(code(() => encodeCommand({ op: "transfer", to: other.address, amount: -1n }))).to.equal("amount_invalid");
    expect(code(() => encodeCommand({ op: "transfer", to: other.address, amount: 1n << 256n }))).to.equal("amount_invalid");
    expect(code(() => encodeCommand({ op: "transfer", to: other.address, amount: "1e3" }))).to.equal("amount_invalid");
    expect(code(() => encodeCommand({ op: "transfer", to: other.address, amount: 1.5 }))).to.equal("amount_invalid");
    expect(code(() => encodeCommand({ op: "transfer", to: "0x1234", amount: 1n }))).to.equal("address_invalid");
    expect(code(() => encodeCommand({ op: "steal" } as never))).to.equal("command_invalid");
    expect(code(() => encodeQuery({ op: "balanceOf", account: "alice" }))).to.equal("address_invalid");
    expect(code(() => encodeQuery({ op: "everything" } as never))).to.equal("query_invalid");
    expect(code(() => domainParams({ name: "Anonify" }))).to.equal("domain_invalid");
    expect(domainParams(domain)).to.deep.equal({ chainId: "31337", verifyingContract: GROUP.toLowerCase() });
  });

  it("HPKE: seal then open round-trips; another key, another info or a flipped bit does not open", async function () {
    const recipient = await generateReplyKeyPair();
    const message = utf8("confidential");
    const wire = await hpkeSeal(recipient.publicKey, HPKE_INFO.command, message);
    expect(wire.length).to.equal(32 + message.length + 16);
    expect(decode(await hpkeOpen(recipient.privateKey, HPKE_INFO.command, wire))).to.equal("confidential");
    expect(decode(await hpkeOpen(recipient.privateKey, HPKE_INFO.command, hexlify(wire)))).to.equal("confidential");

    const stranger = await generateReplyKeyPair();
    expect(await rejection(hpkeOpen(stranger.privateKey, HPKE_INFO.command, wire))).to.be.instanceOf(WireFormatError).and.include({ code: "open_failed" });
    expect(await rejection(hpkeOpen(recipient.privateKey, HPKE_INFO.read, wire))).to.include({ code: "open_failed" });
    const flipped = Uint8Array.from(wire);
    flipped[40] ^= 1;
    expect(await rejection(hpkeOpen(recipient.privateKey, HPKE_INFO.command, flipped))).to.include({ code: "open_failed" });
    expect(await rejection(hpkeOpen(recipient.privateKey, HPKE_INFO.command, wire.slice(0, 40)))).to.include({ code: "open_failed" });
    expect(await rejection(hpkeOpen(recipient.privateKey, HPKE_INFO.command, "0xzz"))).to.include({ code: "hex_invalid" });
    expect(await rejection(hpkeSeal("0x1234", HPKE_INFO.command, message))).to.include({ code: "key_invalid" });
  });

  it("sealCommand: the enclave side opens the exact envelope, and the Command signature recovers to the sender", async function () {
    const enclave = await generateReplyKeyPair();
    const command = { op: "transfer", to: other.address, amount: 10n } as const;
    const sealed = await sealCommand({ enclaveHpkeKey: enclave.publicKey, signer: user, domain, nonce: 4n, payload: command });
    expect(sealed.payload).to.match(/^0x[0-9a-f]+$/);
    const padded = await hpkeOpen(enclave.privateKey, HPKE_INFO.command, sealed.payload);
    expect(ENVELOPE_BUCKETS).to.include(padded.length); // the host sees the bucket, not the length
    const text = decode(unpad(padded, "command"));
    const envelope = JSON.parse(text) as CommandEnvelope;
    expect(Object.keys(envelope)).to.deep.equal(["sender", "nonce", "payload", "signature"]);
    expect(envelope).to.deep.equal(sealed.envelope);
    expect(envelope.sender).to.equal(user.address.toLowerCase());
    expect(envelope.nonce).to.equal("4");
    expect(decode(getBytes(envelope.payload))).to.equal(decode(encodeCommand(command)));
    expect(getBytes(envelope.signature).length).to.equal(65);
    expect(envelope.signature).to.equal(envelope.signature.toLowerCase());
    expect(recoverCommandSigner(domain, envelope)).to.equal(user.address.toLowerCase());
    // Independent check of the digest with ethers' encoder over the brief's type string.
    const digest = TypedDataEncoder.hash(domain, COMMAND_TYPES, { sender: user.address, nonce: 4n, payloadHash: sealed.payloadHash });
    expect(TypedDataEncoder.from(COMMAND_TYPES).encodeType("Command")).to.equal("Command(address sender,uint64 nonce,bytes32 payloadHash)");
    expect(user.signingKey.sign(digest).serialized).to.equal(envelope.signature);

    // A signature under another group's domain, or with another nonce, recovers to someone else.
    const elsewhere = groupDomain(31337n, other.address);
    expect(recoverCommandSigner(elsewhere, envelope)).to.not.equal(user.address.toLowerCase());
    expect(recoverCommandSigner(domain, { ...envelope, nonce: "5" })).to.not.equal(user.address.toLowerCase());

    // Raw payload bytes are signed as-is.
    const raw = toUtf8Bytes('{"op":"burn","amount":"1"}');
    const rawSealed = await sealCommand({ enclaveHpkeKey: enclave.publicKey, signer: user, domain, nonce: "0", payload: raw });
    expect(rawSealed.payloadHash).to.equal(keccak256(raw));
    expect(await rejection(sealCommand({ enclaveHpkeKey: enclave.publicKey, signer: user, domain, nonce: 1n << 64n, payload: raw }))).to.include({
      code: "uint64_invalid",
    });
    // Only the enclave's key opens it.
    const stranger = await generateReplyKeyPair();
    expect(await rejection(hpkeOpen(stranger.privateKey, HPKE_INFO.command, sealed.payload))).to.include({ code: "open_failed" });
  });

  it("sealRead / openReadReply: request recovers to the sender; replies open only with the reply key", async function () {
    const enclave = await generateReplyKeyPair();
    const sealed = await sealRead({ enclaveHpkeKey: enclave.publicKey, signer: user, domain, query: { op: "balanceOf", account: user.address }, issuedAt: 1700000000 });
    const paddedRead = await hpkeOpen(enclave.privateKey, HPKE_INFO.read, sealed.payload);
    expect(paddedRead.length).to.equal(ENVELOPE_BUCKETS[0]);
    const request = JSON.parse(decode(unpad(paddedRead, "read"))) as ReadRequest;
    expect(Object.keys(request)).to.deep.equal(["sender", "query", "replyKey", "issuedAt", "signature"]);
    expect(request).to.deep.equal(sealed.request);
    expect(request.issuedAt).to.equal("1700000000");
    expect(request.replyKey).to.equal(sealed.replyKeyPair.publicKey);
    expect(recoverReadSigner(domain, request)).to.equal(user.address.toLowerCase());
    expect(TypedDataEncoder.from(READ_TYPES).encodeType("Read")).to.equal("Read(address sender,bytes32 queryHash,bytes32 replyKey,uint64 issuedAt)");

    // The enclave's side of the reply.
    const ok = await hpkeSeal(request.replyKey, HPKE_INFO.readReply, padToBucket(utf8('{"ok":true,"result":"990","stateCounter":"12","runtime":"anonify-token/v1"}'), REPLY_BUCKETS));
    expect(await openReadReply(sealed.replyKeyPair, ok)).to.deep.equal({ ok: true, result: "990", stateCounter: 12n, runtime: "anonify-token/v1" });
    const refused = await hpkeSeal(request.replyKey, HPKE_INFO.readReply, padToBucket(utf8('{"ok":false,"error":{"code":"not_authorized","message":"no"},"runtime":null}'), REPLY_BUCKETS));
    expect(await openReadReply(sealed.replyKeyPair, hexlify(refused))).to.deep.equal({ ok: false, error: { code: "not_authorized", message: "no" }, runtime: null });

    const stranger = await generateReplyKeyPair();
    expect(await rejection(openReadReply(stranger, ok))).to.include({ code: "open_failed" });
    const notify = await hpkeSeal(request.replyKey, HPKE_INFO.notify, padToBucket(utf8('{"ok":true,"result":"1","stateCounter":"1"}'), [NOTIFICATION_SIZE]));
    expect(await rejection(openReadReply(sealed.replyKeyPair, notify))).to.include({ code: "open_failed" });
    for (const bad of [
      '{"ok":"yes","runtime":null}',
      "[1]",
      "not json",
      '{"ok":true,"stateCounter":"1","runtime":null}',
      '{"ok":true,"result":1,"stateCounter":"x","runtime":null}',
      '{"ok":false,"error":{},"runtime":null}',
      // The runtime is what the client checks against the contract: absent or mistyped is malformed.
      '{"ok":true,"result":"1","stateCounter":"1"}',
      '{"ok":true,"result":"1","stateCounter":"1","runtime":7}',
    ]) {
      const wire = await hpkeSeal(request.replyKey, HPKE_INFO.readReply, padToBucket(utf8(bad), REPLY_BUCKETS));
      const error = await rejection(openReadReply(sealed.replyKeyPair, wire));
      expect(error, bad).to.be.instanceOf(WireFormatError);
      expect((error as WireFormatError).code, bad).to.be.oneOf(["reply_malformed", "uint64_invalid"]);
    }
    // A reply without the padding marker is refused.
    const unpadded = await hpkeSeal(request.replyKey, HPKE_INFO.readReply, utf8('{"ok":true,"result":"990","stateCounter":"12"}'));
    expect(await rejection(openReadReply(sealed.replyKeyPair, unpadded))).to.include({ code: "reply_malformed" });
  });

  it("padToBucket / unpad: the smallest bucket that holds data and marker; unambiguous whatever the data ends with", function () {
    expect(padToBucket(new Uint8Array(0)).length).to.equal(512);
    expect(padToBucket(new Uint8Array(511)).length).to.equal(512);
    expect(padToBucket(new Uint8Array(512)).length).to.equal(1024);
    expect(padToBucket(new Uint8Array(16384)).length).to.equal(32768);
    expect(padToBucket(new Uint8Array(100), REPLY_BUCKETS).length).to.equal(256);
    for (const data of [new Uint8Array([]), new Uint8Array([0, 0]), new Uint8Array([0x80]), new Uint8Array([1, 0x80, 0])]) {
      expect(unpad(padToBucket(data), "test")).to.deep.equal(data);
    }
    for (const bad of [new Uint8Array(8), new Uint8Array([1, 2, 3]), new Uint8Array(0)]) {
      expect(() => unpad(bad, "test")).to.throw(WireFormatError);
    }
  });

  it("sealSubscription / openNotification", async function () {
    const enclave = await generateReplyKeyPair();
    const sealed = await sealSubscription({ enclaveHpkeKey: enclave.publicKey, signer: other, domain });
    const request = JSON.parse(decode(unpad(await hpkeOpen(enclave.privateKey, HPKE_INFO.subscribe, sealed.payload), "subscription"))) as SubscribeRequest;
    expect(Object.keys(request)).to.deep.equal(["account", "replyKey", "issuedAt", "signature"]);
    expect(recoverSubscribeSigner(domain, request)).to.equal(other.address.toLowerCase());
    expect(TypedDataEncoder.from(SUBSCRIBE_TYPES).encodeType("Subscribe")).to.equal("Subscribe(address account,bytes32 replyKey,uint64 issuedAt)");
    expect(Math.abs(Number(request.issuedAt) - Date.now() / 1000)).to.be.lessThan(60);

    const note = await hpkeSeal(request.replyKey, HPKE_INFO.notify, padToBucket(utf8('{"stateCounter":"7","changed":true}'), [NOTIFICATION_SIZE]));
    expect(await openNotification(sealed.replyKeyPair, note)).to.deep.equal({ stateCounter: 7n, changed: true });
    const stranger = await generateReplyKeyPair();
    expect(await rejection(openNotification(stranger, note))).to.include({ code: "open_failed" });
    const bad = await hpkeSeal(request.replyKey, HPKE_INFO.notify, padToBucket(utf8('{"stateCounter":"7"}'), [NOTIFICATION_SIZE]));
    expect(await rejection(openNotification(sealed.replyKeyPair, bad))).to.include({ code: "reply_malformed" });
  });
});
