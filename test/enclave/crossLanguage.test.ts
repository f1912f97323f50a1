import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { Signature, TypedDataEncoder, Wallet, computeAddress, concat, getAddress, hexlify, keccak256, verifyTypedData } from "ethers";
import type { TypedDataDomain, TypedDataField } from "ethers";
import { EnclaveError, type EnclaveProcess } from "../../src/enclave/EnclaveProcess";
import {
  EIP712_TYPES,
  SECURE_ECHO_REPLY_INFO,
  SECURE_ECHO_REQUEST_INFO,
  type Eip712DomainParams,
  type Eip712PrimaryType,
  type Hex,
  type InitResult,
} from "../../src/enclave/protocol";
import { hexToBytes, startEnclave, tempDir, toHex } from "./helpers";

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const UINT64_MAX = (1n << 64n) - 1n;

function randomU64(i: number): bigint {
  // Edge values first, then random ones.
  const edges = [0n, 1n, UINT64_MAX, (1n << 53n) + 1n];
  return i < edges.length ? edges[i] : BigInt(hexlify(randomBytes(8)));
}

function randomDomain(i: number): { params: Eip712DomainParams; ethers: TypedDataDomain } {
  const chainId = randomU64(i);
  const verifyingContract = getAddress(hexlify(randomBytes(20)));
  // Names of lengths around Keccak's 136-byte rate exercise the C++ Keccak padding against ethers.
  const lengths = [7, 0, 135, 136, 137, 271, 272, 273, 1000];
  const name = i === 0 ? "Anonify" : i < lengths.length ? "n".repeat(lengths[i]) : `app-${randomBytes(4).toString("hex")} ü`;
  const version = i % 3 === 0 ? "1" : String(i);
  return {
    params: { name, version, chainId: chainId.toString(), verifyingContract: verifyingContract.toLowerCase() as Hex },
    ethers: { name, version, chainId, verifyingContract },
  };
}

function randomMessage(type: Eip712PrimaryType, i: number): Record<string, string> {
  const message: Record<string, string> = {};
  for (const field of EIP712_TYPES[type]) {
    if (field.type === "uint64") message[field.name] = randomU64(i).toString();
    else if (field.type === "bytes32") message[field.name] = hexlify(randomBytes(32));
    else if (field.type === "bytes16") message[field.name] = hexlify(randomBytes(16));
    else if (field.type === "address") message[field.name] = hexlify(randomBytes(20));
    else {
      const unhandled: never = field; // a new field type in EIP712_TYPES needs a generator here
      throw new Error(`randomMessage: no generator for ${JSON.stringify(unhandled)}`);
    }
  }
  return message;
}

function typesOf(type: Eip712PrimaryType): Record<string, TypedDataField[]> {
  return { [type]: EIP712_TYPES[type].map((f) => ({ name: f.name, type: f.type })) };
}

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });
const utf8 = (s: string) => new TextEncoder().encode(s);

describe("enclave <-> TypeScript cross-language agreement (ethers, @hpke/core)", function () {
  let data: ReturnType<typeof tempDir>;
  let enclave: EnclaveProcess;
  let keys: InitResult;
  const echoDomain = randomDomain(0);

  before(async function () {
    data = tempDir();
    enclave = await startEnclave({ dataDir: data.dir });
    keys = await enclave.init();
  });
  after(async function () {
    await enclave.close();
    data.cleanup();
  });

  for (const type of Object.keys(EIP712_TYPES) as Eip712PrimaryType[]) {
    it(`EIP-712 ${type}: domain separator, struct hash and digest equal ethers' TypedDataEncoder (12 random cases)`, async function () {
      for (let i = 0; i < 12; i++) {
        const domain = randomDomain(i);
        const message = randomMessage(type, i);
        const result = await enclave.eip712Hash({ domain: domain.params, primaryType: type, message });
        const types = typesOf(type);
        expect(result.domainSeparator, `case ${i}`).to.equal(TypedDataEncoder.hashDomain(domain.ethers));
        expect(result.structHash, `case ${i}`).to.equal(TypedDataEncoder.hashStruct(type, types, message));
        expect(result.digest, `case ${i}`).to.equal(TypedDataEncoder.hash(domain.ethers, types, message));
      }
    });
  }

  it("recovers the signer of Wallet.signTypedData(Command) and refuses malleable or malformed signatures", async function () {
    for (let i = 0; i < 8; i++) {
      const wallet = Wallet.createRandom();
      const domain = randomDomain(i);
      const message: Record<string, string> = { ...randomMessage("Command", i), sender: wallet.address };
      const signature = (await wallet.signTypedData(domain.ethers, typesOf("Command"), message)) as Hex;
      const result = await enclave.eip712Hash({ domain: domain.params, primaryType: "Command", message, signature });
      expect(getAddress(result.signer!)).to.equal(wallet.address);

      // A tampered message recovers someone else.
      const other = { ...message, nonce: (BigInt(message.nonce) ^ 1n).toString() };
      const tampered = await enclave.eip712Hash({ domain: domain.params, primaryType: "Command", message: other, signature });
      expect(getAddress(tampered.signer!)).to.not.equal(wallet.address);

      // The high-s twin (s' = n - s, v flipped) is valid for ecrecover but not for Ethereum: refused.
      const sig = Signature.from(signature);
      const highS = concat([sig.r, toHex(hexToBytes((SECP256K1_N - BigInt(sig.s)).toString(16).padStart(64, "0"))), sig.v === 27 ? "0x1c" : "0x1b"]) as Hex;
      const refused = await enclave
        .eip712Hash({ domain: domain.params, primaryType: "Command", message, signature: highS })
        .catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(EnclaveError).and.include({ code: "invalid_signature" });
    }
    const short = await enclave
      .eip712Hash({ domain: randomDomain(1).params, primaryType: "Command", message: randomMessage("Command", 5), signature: "0x1234" })
      .catch((e: unknown) => e);
    expect(short).to.be.instanceOf(EnclaveError).and.include({ code: "invalid_params" });
  });

  it("the enclave's address is ethers' computeAddress of its secp256k1 key (keccak256 of x‖y)", function () {
    expect(getAddress(keys.address)).to.equal(computeAddress(keys.secp256k1PublicKey));
    expect(getAddress(keys.address)).to.equal(getAddress("0x" + keccak256("0x" + keys.secp256k1PublicKey.slice(4)).slice(-40)));
  });

  async function echo(message: Uint8Array) {
    const replyKeys = await suite.kem.generateKeyPair();
    const replyPublic = new Uint8Array(await suite.kem.serializePublicKey(replyKeys.publicKey));
    const recipientPublicKey = await suite.kem.deserializePublicKey(hexToBytes(keys.hpkePublicKey));
    const sender = await suite.createSenderContext({ recipientPublicKey, info: utf8(SECURE_ECHO_REQUEST_INFO) });
    const ciphertext = new Uint8Array(await sender.seal(Buffer.concat([replyPublic, message])));
    const enc = new Uint8Array(sender.enc);
    return { replyKeys, enc, ciphertext };
  }

  it("TS encrypts with @hpke/core, the enclave decrypts; the enclave encrypts back, TS decrypts (secure_echo)", async function () {
    for (const size of [0, 1, 31, 32, 33, 1000, 4096]) {
      const message = randomBytes(size);
      const { replyKeys, enc, ciphertext } = await echo(message);
      const reply = await enclave.secureEcho({ domain: echoDomain.params, enc: toHex(enc), ciphertext: toHex(ciphertext) });
      expect(reply.requestHash).to.equal(keccak256(concat([enc, ciphertext])));
      expect(reply.replyHash).to.equal(keccak256(concat([reply.enc, reply.ciphertext])));
      const recipient = await suite.createRecipientContext({
        recipientKey: replyKeys.privateKey,
        enc: hexToBytes(reply.enc),
        info: utf8(SECURE_ECHO_REPLY_INFO),
      });
      const plaintext = new Uint8Array(await recipient.open(hexToBytes(reply.ciphertext), hexToBytes(reply.requestHash)));
      expect(Buffer.from(plaintext).equals(message), `size ${size}`).to.equal(true);
      // The attested key signed the exchange; ethers verifies it.
      const signer = verifyTypedData(echoDomain.ethers, typesOf("EchoReply"), { requestHash: reply.requestHash, replyHash: reply.replyHash }, reply.signature);
      expect(signer).to.equal(getAddress(keys.address));
      expect(reply.signer).to.equal(keys.address);
    }
  });

  it("secure_echo refuses what it cannot decrypt, and only the reply key can read the answer", async function () {
    const { replyKeys, enc, ciphertext } = await echo(utf8("hello"));
    const flipped = Uint8Array.from(ciphertext);
    flipped[3] ^= 1;
    const bad = await enclave
      .secureEcho({ domain: echoDomain.params, enc: toHex(enc), ciphertext: toHex(flipped) })
      .catch((e: unknown) => e);
    expect(bad).to.be.instanceOf(EnclaveError).and.include({ code: "authentication_failed" });

    // Sealed to the enclave with another info string (e.g. a future command) does not open as an echo.
    const recipientPublicKey = await suite.kem.deserializePublicKey(hexToBytes(keys.hpkePublicKey));
    const other = await suite.seal({ recipientPublicKey, info: utf8("anonify/command/v1") }, new Uint8Array(40));
    const crossed = await enclave
      .secureEcho({ domain: echoDomain.params, enc: toHex(other.enc), ciphertext: toHex(other.ct) })
      .catch((e: unknown) => e);
    expect(crossed).to.be.instanceOf(EnclaveError).and.include({ code: "authentication_failed" });

    const tooShort = await suite.seal({ recipientPublicKey, info: utf8(SECURE_ECHO_REQUEST_INFO) }, new Uint8Array(31));
    const short = await enclave
      .secureEcho({ domain: echoDomain.params, enc: toHex(tooShort.enc), ciphertext: toHex(tooShort.ct) })
      .catch((e: unknown) => e);
    expect(short).to.be.instanceOf(EnclaveError).and.include({ code: "invalid_message" });

    const reply = await enclave.secureEcho({ domain: echoDomain.params, enc: toHex(enc), ciphertext: toHex(ciphertext) });
    const stranger = await suite.kem.generateKeyPair();
    const opened = await suite
      .open({ recipientKey: stranger.privateKey, enc: hexToBytes(reply.enc), info: utf8(SECURE_ECHO_REPLY_INFO) }, hexToBytes(reply.ciphertext), hexToBytes(reply.requestHash))
      .catch((e: unknown) => e);
    expect(opened).to.be.instanceOf(Error);
    const own = await suite.open(
      { recipientKey: replyKeys.privateKey, enc: hexToBytes(reply.enc), info: utf8(SECURE_ECHO_REPLY_INFO) },
      hexToBytes(reply.ciphertext),
      hexToBytes(reply.requestHash),
    );
    expect(new TextDecoder().decode(own)).to.equal("hello");
  });
});
