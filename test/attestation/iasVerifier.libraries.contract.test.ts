import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { vectorDir } from "../helpers/vectors";

// Differential and property tests of the hot-path libraries through the test-only
// IasVerifierGasProbe harness: RsaPkcs1Sha256 against OpenZeppelin's RSA.pkcs1Sha256, Base64
// against Node's Buffer with a strict reference, random report mutations, and a per-stage gas table.

const REPO = path.resolve(__dirname, "..", "..");
const IAS = vectorDir("ias");
const INTEL_CA = fs.readFileSync(path.join(REPO, "src/attestation/certs/intel_sgx_attestation_report_signing_ca.der"));
const INTEL_LEAF = fs.readFileSync(path.join(REPO, "src/attestation/certs/intel_sgx_attestation_report_signing_leaf.der"));
const INTEL_MODULUS = Buffer.from(
  fs.readFileSync(path.join(IAS, "certs", "intel_sgx_attestation_report_signing_leaf_modulus.hex"), "utf8").trim().replace(/^00/, ""),
  "hex",
);
const VECTORS = fs
  .readdirSync(IAS)
  .filter((d) => fs.existsSync(path.join(IAS, d, "report.json")) && !d.startsWith("SIMULATION"))
  .map((dir) => ({
    dir,
    report: fs.readFileSync(path.join(IAS, dir, "report.json")),
    signature: fs.readFileSync(path.join(IAS, dir, "signature.bin")),
  }));

const sha256 = (b: Buffer) => "0x" + crypto.createHash("sha256").update(b).digest("hex");

/** Strict standard base64 as specified in docs/attestation-onchain.md (reference, not Buffer's lenient parser). */
function strictBase64(s: string): Buffer | null {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  const decoded = Buffer.from(s, "base64");
  return decoded.toString("base64") === s ? decoded : null; // canonical: re-encoding gives the input back
}

async function fixture() {
  const probe = await (await ethers.getContractFactory("IasVerifierGasProbe")).deploy();
  const [admin] = await ethers.getSigners();
  const verifier = await (await ethers.getContractFactory("IasVerifier")).deploy(INTEL_CA, admin.address, 86_400);
  const keyId = await verifier.registerSigningCertificate.staticCall(INTEL_LEAF);
  await (await verifier.registerSigningCertificate(INTEL_LEAF)).wait();
  return { probe, verifier, keyId };
}

describe("IasVerifier libraries: differential and property tests (contract)", function () {
  it("RsaPkcs1Sha256 agrees with OpenZeppelin RSA.pkcs1Sha256 on every vector and on mutated signatures", async function () {
    const { probe } = await loadFixture(fixture);
    for (const { dir, report, signature } of VECTORS) {
      const expected = !dir.startsWith("NEGATIVE");
      expect(await probe.rsaBoth(sha256(report), signature, INTEL_MODULUS)).to.deep.equal([expected, expected]);
      const flipped = Buffer.from(signature);
      flipped[37] ^= 0x10;
      expect(await probe.rsaBoth(sha256(report), flipped, INTEL_MODULUS)).to.deep.equal([false, false]);
      expect(await probe.rsaBoth(sha256(Buffer.concat([report, Buffer.from(" ")])), signature, INTEL_MODULUS)).to.deep.equal([false, false]);
    }
    // s = n and s = n + small are out of range for both
    expect(await probe.rsaBoth(sha256(VECTORS[0].report), INTEL_MODULUS, INTEL_MODULUS)).to.deep.equal([false, false]);
    const above = Buffer.from(INTEL_MODULUS);
    above[255] += 1;
    expect(await probe.rsaBoth(sha256(VECTORS[0].report), above, INTEL_MODULUS)).to.deep.equal([false, false]);
  });

  it("RsaPkcs1Sha256 agrees with OpenZeppelin for random keys and random signatures", async function () {
    const { probe } = await loadFixture(fixture);
    const { publicKey, privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const n = Buffer.from(publicKey.export({ format: "jwk" }).n as string, "base64url");
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.boolean(), async (message, valid) => {
        const msg = Buffer.from(message);
        const signature = valid ? crypto.sign("sha256", msg, privateKey) : crypto.randomBytes(256);
        const [ours, oz] = await probe.rsaBoth(sha256(msg), signature, n);
        expect(ours).to.equal(oz);
        expect(ours).to.equal(valid);
      }),
      { numRuns: 25 },
    );
  });

  it("Base64 decodes like Buffer for random data of every length 0..100", async function () {
    const { probe } = await loadFixture(fixture);
    for (let length = 0; length <= 100; length += 1) {
      const data = crypto.randomBytes(length);
      const [valid, decoded] = await probe.base64(Buffer.from(data.toString("base64")));
      expect(valid).to.equal(true);
      expect(decoded).to.equal("0x" + data.toString("hex"));
    }
  });

  it("Base64 judges every byte value 0..255 like the strict reference, in a full word and in the last one", async function () {
    const { probe } = await loadFixture(fixture);
    const data = crypto.randomBytes(45); // 60 characters: one full 32-character word, then a last word of 28
    for (let value = 0; value <= 255; value += 1) {
      for (const at of [value % 32, 32 + (value % 28)]) {
        const chars = Buffer.from(data.toString("base64"), "latin1");
        chars[at] = value;
        const reference = strictBase64(chars.toString("latin1"));
        const [valid, decoded] = await probe.base64(chars);
        expect(valid, `byte 0x${value.toString(16)} at ${at}`).to.equal(reference !== null);
        if (reference !== null) expect(decoded).to.equal("0x" + reference.toString("hex"));
      }
    }
  });

  it("Base64 validity matches the strict reference on random mutations", async function () {
    const { probe } = await loadFixture(fixture);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ *\u0080\u00ff\n";
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0, maxLength: 80 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 3 }),
        async (data, edits) => {
          const chars = Buffer.from(Buffer.from(data).toString("base64"), "latin1");
          for (const [at, c] of edits) {
            if (chars.length > 0) chars[at % chars.length] = alphabet.charCodeAt(c % alphabet.length);
          }
          const reference = strictBase64(chars.toString("latin1"));
          const [valid, decoded] = await probe.base64(chars);
          expect(valid).to.equal(reference !== null);
          if (reference !== null) expect(decoded).to.equal("0x" + reference.toString("hex"));
        },
      ),
      { numRuns: 120 },
    );
  });

  it("random byte mutations of real Intel reports never verify", async function () {
    const { verifier, keyId } = await loadFixture(fixture);
    const intel = VECTORS.filter((v) => !v.dir.startsWith("NEGATIVE"));
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: intel.length - 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        async (which, at, xor, inSignature) => {
          const { report, signature } = intel[which];
          const r = Buffer.from(report);
          const s = Buffer.from(signature);
          if (inSignature) s[at % s.length] ^= xor;
          else r[at % r.length] ^= xor;
          await expect(verifier.verifyReportWithoutPolicy(keyId, r, s)).to.be.revertedWithCustomError(verifier, "ReportSignatureInvalid");
        },
      ),
      { numRuns: 60 },
    );
  });

  it("prints the gas of each verification stage (informational)", async function () {
    const { probe } = await loadFixture(fixture);
    const rows: string[] = [];
    for (const dir of ["enigma_2018-06-12_v2_OK", "rave_2023-02-15_v4_SW_HARDENING_NEEDED", "phala_example_2023-10-20_v4_GROUP_OUT_OF_DATE"]) {
      const { report, signature } = VECTORS.find((v) => v.dir === dir)!;
      const text = report.toString("latin1");
      const start = text.indexOf('"isvEnclaveQuoteBody":"') + '"isvEnclaveQuoteBody":"'.length;
      const end = text.indexOf('"', start);
      const [hash, rsa, ozRsa, parse, base64] = await probe.stages(report, signature, INTEL_MODULUS, start, end);
      expect(rsa).to.be.greaterThan(0n);
      rows.push(`${dir} (${report.length} B): sha256 ${hash}, RSA ${rsa} (OpenZeppelin RSA ${ozRsa}), parse ${parse} (of which base64 ${base64})`);
    }
    console.log(["      stage gas", ...rows.map((r) => "        " + r)].join("\n"));
  });
});
