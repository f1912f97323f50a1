import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import type { BaseContract } from "ethers";
import { p256 } from "@noble/curves/nist.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { checkPckChain, decodeQuote, pinRoot, splitPemChain } from "../../src/attestation/dcap";
import { DCAP_VECTOR_TIME, dcapFile, realQuote } from "./dcapVectors";

/**
 * P256Software (ECDSA P-256 in EVM code) against the P256VERIFY precompile (EIP-7951, live on the in-process
 * osaka network): the same verdict on random keys and messages, their high-s twins and every kind of bad
 * input, on crafted scalars reaching the exceptional cases of the addition, and on Intel's own signatures;
 * the known-answer probe that picks the path; the gas of both paths.
 */

type Input = [string, string, string, string, string];

interface Probe extends BaseContract {
  precompileVerify(digest: string, r: string, s: string, x: string, y: string): Promise<[boolean, bigint]>;
  softwareVerify(digest: string, r: string, s: string, x: string, y: string): Promise<[boolean, bigint]>;
  verifyBoth(inputs: Input[]): Promise<[boolean[], boolean[]]>;
  verifyWith(usePrecompile: boolean, digest: string, r: string, s: string, x: string, y: string): Promise<boolean>;
  precompileAvailable(): Promise<boolean>;
  precompileAnswersAt(target: string): Promise<boolean>;
}

const CURVE = p256.Point.CURVE();
const { n: N, p: P } = CURVE;
const G = p256.Point.BASE;
const MAX = (1n << 256n) - 1n;

const word = (v: bigint): string => "0x" + v.toString(16).padStart(64, "0");
const big = (b: Uint8Array): bigint => BigInt("0x" + Buffer.from(b).toString("hex"));
const mod = (a: bigint, m: bigint): bigint => ((a % m) + m) % m;
function inverse(a: bigint, m: bigint): bigint {
  let [r, b, e] = [1n, mod(a, m), m - 2n];
  for (; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
}

interface Sig {
  e: bigint;
  r: bigint;
  s: bigint;
  x: bigint;
  y: bigint;
}

const input = (v: Sig): Input => [word(v.e), word(v.r), word(v.s), word(v.x), word(v.y)];

/** A fresh key (Node's crypto) signing random bytes: SHA-256, r || s (IEEE P1363). */
function nodeSignature(): Sig {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  const message = crypto.randomBytes(1 + crypto.randomInt(200));
  const signature = crypto.sign("sha256", message, { key: privateKey, dsaEncoding: "ieee-p1363" });
  const jwk = publicKey.export({ format: "jwk" });
  return {
    e: big(crypto.createHash("sha256").update(message).digest()),
    r: big(signature.subarray(0, 32)),
    s: big(signature.subarray(32)),
    x: big(Buffer.from(jwk.x!, "base64url")),
    y: big(Buffer.from(jwk.y!, "base64url")),
  };
}

/** The valid signature, its high-s twin, and the mutations with the verdict each must get. */
function cases(v: Sig): [string, Sig, boolean][] {
  return [
    ["valid", v, true],
    ["high-s twin (n - s)", { ...v, s: N - v.s }, true],
    ["digest bit flipped", { ...v, e: v.e ^ 1n }, false],
    ["r + 1", { ...v, r: v.r + 1n }, false],
    ["s + 1", { ...v, s: v.s + 1n }, false],
    ["r = 0", { ...v, r: 0n }, false],
    ["s = 0", { ...v, s: 0n }, false],
    ["r = n", { ...v, r: N }, false],
    ["s = n", { ...v, s: N }, false],
    ["r + n (same r mod n)", { ...v, r: v.r + N <= MAX ? v.r + N : MAX }, false],
    ["s + n (same s mod n)", { ...v, s: v.s + N <= MAX ? v.s + N : MAX }, false],
    ["r = 2^256 - 1", { ...v, r: MAX }, false],
    ["key off the curve (y + 1)", { ...v, y: mod(v.y + 1n, P) }, false],
    ["x + p (same x mod p)", { ...v, x: v.x + P <= MAX ? v.x + P : P }, false],
    ["x = p", { ...v, x: P }, false],
    ["negated key (x, p - y)", { ...v, y: P - v.y }, false],
    ["point at infinity (0, 0)", { ...v, x: 0n, y: 0n }, false],
    ["r and s swapped", { ...v, r: v.s, s: v.r }, false],
  ];
}

/**
 * A signature under Q = d·G whose scalars are exactly u1 and u2 (u2 > 0): r = (u1 + d·u2)·G's x mod n
 * (1 when that is the point at infinity), s = r/u2, e = u1·s mod n. Valid unless the sum is infinity.
 */
function crafted(d: bigint, u1: bigint, u2: bigint): { sig: Sig; valid: boolean } {
  const q = G.multiply(d).toAffine();
  const k = mod(u1 + d * u2, N);
  const r = k === 0n ? 1n : G.multiply(k).toAffine().x % N;
  const s = (r * inverse(u2, N)) % N;
  return { sig: { e: (u1 * s) % N, r, s, x: q.x, y: q.y }, valid: k !== 0n };
}

describe("attestation: P256Software against the P256VERIFY precompile (differential), and the path probe", function () {
  this.timeout(600_000);
  let probe: Probe;

  before(async function () {
    probe = (await (await hre.ethers.getContractFactory("P256Probe")).deploy()) as unknown as Probe;
    await probe.waitForDeployment();
  });

  async function expectBoth(list: [string, Sig, boolean][], what: string): Promise<void> {
    const [precompile, software] = await probe.verifyBoth(list.map(([, v]) => input(v)));
    list.forEach(([name, , expected], i) => {
      expect(software[i], `${what}: ${name}: software vs precompile`).to.equal(precompile[i]);
      expect(precompile[i], `${what}: ${name}: expected verdict`).to.equal(expected);
    });
  }

  it("the constants written in P256Software.sol are SEC 2's (noble)", async function () {
    const source = fs.readFileSync(path.join(hre.config.paths.sources, "attestation/dcap/P256Software.sol"), "utf8");
    for (const [name, value] of [["P", P], ["N", N], ["GX", CURVE.Gx], ["GY", CURVE.Gy]] as const) {
      expect(source, name).to.contain(`uint256 internal constant ${name} = ${word(value)};`);
    }
  });

  it("agree on 200 random keys and messages (Node crypto): valid, high-s twin and 16 mutations each", async function () {
    let highS = 0;
    for (let i = 0; i < 200; i++) {
      const v = nodeSignature();
      if (v.s > N / 2n) highS++;
      await expectBoth(cases(v), `key ${i}`);
    }
    // Node's signatures are not normalised: both halves of s occur as signed, and the twins cover the rest.
    expect(highS).to.be.greaterThan(50);
  });

  it("agree on digests at or above n and zero (signed by noble without hashing, s as made)", async function () {
    const list: [string, Sig, boolean][] = [];
    for (const e of [0n, 1n, N - 1n, N, N + 1n, MAX]) {
      const secret = p256.utils.randomSecretKey();
      const digest = Buffer.from(word(e).slice(2), "hex");
      const sig = p256.sign(digest, secret, { prehash: false, lowS: false, format: "compact" });
      const q = p256.Point.fromBytes(p256.getPublicKey(secret, false)).toAffine();
      const v = { e, r: big(sig.subarray(0, 32)), s: big(sig.subarray(32)), x: q.x, y: q.y };
      list.push([`digest ${e.toString(16)}`, v, true], [`digest ${e.toString(16)}, high-s twin`, { ...v, s: N - v.s }, true]);
    }
    await expectBoth(list, "digests");
  });

  it("agree where the addition meets its exceptional cases: Q = ±G, equal and opposite points, infinity", async function () {
    const list: [string, Sig, boolean][] = [];
    const add = (name: string, d: bigint, u1: bigint, u2: bigint) => {
      const { sig, valid } = crafted(d, u1, u2);
      list.push([name, sig, valid]);
    };
    // Q = G: R = (u1 + u2)·G, computed as one multiple; infinity when u1 + u2 = n.
    add("Q = G", 1n, 5n, 7n);
    add("Q = G, u1 + u2 = n (R at infinity)", 1n, 3n, N - 3n);
    // Q = -G: R = (u1 - u2)·G; infinity when u1 = u2.
    add("Q = -G", N - 1n, 9n, 8n);
    add("Q = -G, u1 = u2 (R at infinity)", N - 1n, 9n, 9n);
    // Q = 2G, the last step adds 2G to the accumulator (u1 >> 1) + 2(u2 >> 1) times 2:
    add("Q = 2G, last addition of equal points (doubled)", 2n, 40n, N - 18n);
    add("Q = 2G, last addition of opposite points (R at infinity)", 2n, 40n, N - 20n);
    add("Q = 2G, infinity then G added", 2n, 43n, N - 21n);
    add("Q = 2G, u1 = 0", 2n, 0n, 12345n);
    add("Q = 3G, top bits of both set", 3n, N - 1n, N - 2n);
    // The same with high s (the verdict must not change).
    for (const [name, v, valid] of [...list]) list.push([`${name}, high-s`, { ...v, s: N - v.s }, valid]);
    await expectBoth(list, "exceptional");
  });

  it("both paths accept Intel's signatures in the real quote (ISV signature, QE report under the PCK key) and their twins", async function () {
    const q = decodeQuote(realQuote());
    const pck = checkPckChain(splitPemChain(q.pckChainPem), pinRoot(dcapFile("rootCaDer.der")), DCAP_VECTOR_TIME).pck.publicKey;
    const intel = (name: string, signed: Uint8Array, sig: Uint8Array, key: Uint8Array): [string, Sig, boolean] => [
      name,
      { e: big(sha256(signed)), r: big(sig.subarray(0, 32)), s: big(sig.subarray(32)), x: big(key.subarray(0, 32)), y: big(key.subarray(32)) },
      true,
    ];
    const list = [intel("ISV signature", q.signedBytes, q.isvSignature, q.attestationKey), intel("QE report signature", q.qeReport.raw, q.qeReportSignature, pck)];
    for (const [name, v] of [...list]) list.push([`${name}, twin`, { ...v, s: N - v.s }, true]);
    await expectBoth(list, "Intel");
    for (const [, v] of list) {
      expect(await probe.verifyWith(true, ...input(v))).to.equal(true);
      expect(await probe.verifyWith(false, ...input(v))).to.equal(true);
      expect(await probe.verifyWith(false, ...input({ ...v, e: v.e ^ 1n }))).to.equal(false);
    }
  });

  it("the probe trusts P256VERIFY on osaka, not an address without code nor code answering 1 to everything", async function () {
    expect(await probe.precompileAvailable()).to.equal(true);
    expect(await probe.precompileAnswersAt("0x0000000000000000000000000000000000000100")).to.equal(true);
    const [eoa] = await hre.ethers.getSigners();
    expect(await probe.precompileAnswersAt(await eoa.getAddress())).to.equal(false);
    expect(await probe.precompileAnswersAt(hre.ethers.Wallet.createRandom().address)).to.equal(false);
    // Another precompile (SHA-256 at 0x02) answers 32 bytes, never 1 for both.
    expect(await probe.precompileAnswersAt("0x0000000000000000000000000000000000000002")).to.equal(false);
    const one = await (await hre.ethers.getContractFactory("AnswersOne")).deploy();
    await one.waitForDeployment();
    expect(await probe.precompileAnswersAt(await one.getAddress())).to.equal(false);
  });

  it("the probe's known answer (P256Verifier) is a valid high-s signature, and its digest-flipped twin is not", async function () {
    const message = Buffer.from("anonify P256VERIFY known answer");
    const kat: Sig = {
      e: big(crypto.createHash("sha256").update(message).digest()),
      r: 0x61cb6fa3bb0d6fe4cfbc08c049e7c2a2a55a3b19c4f7a467d3ca04c771b95982n,
      s: 0xe1f3f6d47923c2154aa24130023eec2ccc2b81d44338c57b8237574583059ba1n,
      x: 0x6a1955b8a861e8c48e54a91936ee8f9ee68b17afa373e9e38e1a5fea8abfbb18n,
      y: 0x4383da335dfba42113885a6a43bed2f7fc117727eb45e37c6c8e58679a10de76n,
    };
    expect(word(kat.e)).to.equal("0x18577b9e2faf8da278030c8c78518016c5fb23af61eaaf2467595da3fec0c192");
    expect(kat.s > N / 2n).to.equal(true);
    const key = crypto.createPublicKey({
      key: { kty: "EC", crv: "P-256", x: Buffer.from(word(kat.x).slice(2), "hex").toString("base64url"), y: Buffer.from(word(kat.y).slice(2), "hex").toString("base64url") },
      format: "jwk",
    });
    const signature = Buffer.from(word(kat.r).slice(2) + word(kat.s).slice(2), "hex");
    expect(crypto.verify("sha256", message, { key, dsaEncoding: "ieee-p1363" }, signature)).to.equal(true);
    await expectBoth([["known answer", kat, true], ["known answer, digest flipped", { ...kat, e: kat.e ^ 1n }, false]], "KAT");
  });

  it("gas of both paths on Intel's ISV signature", async function () {
    const q = decodeQuote(realQuote());
    const v = input({
      e: big(sha256(q.signedBytes)),
      r: big(q.isvSignature.subarray(0, 32)),
      s: big(q.isvSignature.subarray(32)),
      x: big(q.attestationKey.subarray(0, 32)),
      y: big(q.attestationKey.subarray(32)),
    });
    const [okPrecompile, precompileGas] = await probe.precompileVerify(...v);
    const [okSoftware, softwareGas] = await probe.softwareVerify(...v);
    expect(okPrecompile).to.equal(true);
    expect(okSoftware).to.equal(true);
    console.log(`      P-256 verify on Intel's ISV signature: precompile ${precompileGas} gas, software ${softwareGas} gas (inside the call)`);
    expect(Number(softwareGas)).to.be.lessThan(400_000);
  });
});
