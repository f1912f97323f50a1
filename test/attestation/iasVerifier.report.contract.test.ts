import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { ethers } from "hardhat";
import type { Result } from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { vectorDir } from "../helpers/vectors";

/** Typechain types struct outputs as plain tuples; at run time they are ethers `Result`s. */
const asResult = (value: unknown): Result => value as Result;

// Parser-level behaviour of IasVerifier (docs/attestation-onchain.md, steps 1-7): bodies are signed
// here with the SIMULATION signing key, so malformed-but-signed reports reach the parser of a
// simulation-pinned verifier. Each mutation must give its own specific error.

const REPO = path.resolve(__dirname, "..", "..");
const IAS = vectorDir("ias");
const SIM_CA = fs.readFileSync(path.join(REPO, "src/attestation/simulation/simulation_ca.der"));
const SIM_LEAF = fs.readFileSync(path.join(REPO, "src/attestation/simulation/simulation_signing.der"));
const SIM_KEY = crypto.createPrivateKey(fs.readFileSync(path.join(REPO, "src/attestation/simulation/simulation_signing.key.pem")));
const SIM_NOT_BEFORE = BigInt(Date.UTC(2016, 10, 22) / 1000);
const SIM_NOT_AFTER = BigInt(Date.UTC(2049, 11, 31, 23, 59, 59) / 1000);

/** A real Intel report (nonce-free v4 with advisoryIDs and platformInfoBlob), re-signed below. */
const BASE_DIR = "lcp_2024-06-15T14-54_v4_GROUP_OUT_OF_DATE";
const BASE_TEXT = fs.readFileSync(path.join(IAS, BASE_DIR, "report.json"), "utf8");
const BASE: Record<string, unknown> = JSON.parse(BASE_TEXT);
const BASE_QUOTE = Buffer.from(BASE.isvEnclaveQuoteBody as string, "base64");

function sign(body: string | Buffer): Buffer {
  return crypto.sign("sha256", Buffer.from(body), SIM_KEY);
}

function unixSeconds(ts: string): bigint {
  return BigInt(Date.parse(ts.slice(0, 19) + "Z") / 1000);
}

/** The base report as an object with `changes` applied (`undefined` deletes a key). */
function withFields(changes: Record<string, unknown>): string {
  const obj: Record<string, unknown> = { ...BASE };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete obj[k];
    else obj[k] = v;
  }
  return JSON.stringify(obj);
}

/** Replaces the raw JSON text of the member `"key":<value>` (value as JSON text). */
function withRawValue(key: string, rawValue: string): string {
  const obj: Record<string, unknown> = { ...BASE, [key]: "@@RAW@@" };
  return JSON.stringify(obj).replace('"@@RAW@@"', rawValue);
}

async function simulationFixture() {
  const [admin] = await ethers.getSigners();
  const verifier = await (await ethers.getContractFactory("IasVerifier")).deploy(SIM_CA, admin.address, 86_400);
  const keyId = await verifier.registerSigningCertificate.staticCall(SIM_LEAF);
  await (await verifier.registerSigningCertificate(SIM_LEAF)).wait();
  return { verifier, keyId };
}

describe("IasVerifier: report parsing and signature checks (contract, simulation-signed)", function () {
  async function verify(body: string | Buffer, signature?: Buffer) {
    const { verifier, keyId } = await loadFixture(simulationFixture);
    return verifier.verifyReportWithoutPolicy(keyId, Buffer.from(body), signature ?? sign(body));
  }

  async function expectError(body: string | Buffer, error: string, ...args: unknown[]) {
    const { verifier, keyId } = await loadFixture(simulationFixture);
    const call = verifier.verifyReportWithoutPolicy(keyId, Buffer.from(body), sign(body));
    if (args.length === 0) await expect(call).to.be.revertedWithCustomError(verifier, error);
    else await expect(call).to.be.revertedWithCustomError(verifier, error).withArgs(...args);
  }

  describe("well-formed reports", function () {
    it("a re-signed real report verifies with its quote's fields", async function () {
      const v = await verify(BASE_TEXT);
      expect(v.timestamp).to.equal(unixSeconds(BASE.timestamp as string));
      expect(v.version).to.equal(4);
      expect(v.statusHash).to.equal(ethers.id("GROUP_OUT_OF_DATE"));
      expect(v.mrenclave).to.equal("0x" + BASE_QUOTE.subarray(112, 144).toString("hex"));
      expect(v.mrsigner).to.equal("0x" + BASE_QUOTE.subarray(176, 208).toString("hex"));
      expect(v.isvProdId).to.equal(BASE_QUOTE.readUInt16LE(304));
      expect(v.isvSvn).to.equal(BASE_QUOTE.readUInt16LE(306));
      expect(v.debug).to.equal((BASE_QUOTE[96] & 0x02) !== 0);
      expect(v.reportDataLow).to.equal("0x" + BASE_QUOTE.subarray(368, 400).toString("hex"));
      expect(v.reportDataHigh).to.equal("0x" + BASE_QUOTE.subarray(400, 432).toString("hex"));
    });

    it("reordered keys (reversed, nonce first) still verify with the same fields", async function () {
      const reference = await verify(BASE_TEXT);
      const reversed = Object.fromEntries(Object.entries({ ...BASE, nonce: "abc" }).reverse());
      const nonceFirst = { nonce: "abc", ...BASE };
      for (const obj of [reversed, nonceFirst]) {
        const v = await verify(JSON.stringify(obj));
        expect(asResult(v).toObject()).to.deep.equal(asResult(reference).toObject());
      }
    });

    it("whitespace between every token is accepted", async function () {
      const reference = await verify(BASE_TEXT);
      const v = await verify(" \n" + JSON.stringify(BASE, null, "\t").replace(/,/g, " ,\r\n ") + " \n");
      expect(asResult(v).toObject()).to.deep.equal(asResult(reference).toObject());
    });

    it("unknown keys of every allowed value type are skipped; every RFC 8259 escape is accepted in strings", async function () {
      const raw = BASE_TEXT.slice(0, -1) +
        ',"x":null,"t":true,"y":false,"z":12345,"o":0,"w":[],"v":[ "a" , 1 ,0,null,true,false ],"u":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\uFfeE","n":"\u00e9\u00ff"}';
      const v = await verify(raw);
      expect(v.version).to.equal(4);
    });

    it("version is optional (absent = 2) and each of 2..5 is accepted", async function () {
      expect((await verify(withFields({ version: undefined }))).version).to.equal(2);
      for (const version of [2, 3, 4, 5]) expect((await verify(withFields({ version }))).version).to.equal(version);
    });

    it("timestamps without fraction or with 1..6 fraction digits are accepted; leap day 2024-02-29 too", async function () {
      for (const ts of ["2024-06-15T14:54:05", "2024-06-15T14:54:05.0", "2024-06-15T14:54:05.999999", "2024-02-29T23:59:59.5"]) {
        expect((await verify(withFields({ timestamp: ts }))).timestamp).to.equal(unixSeconds(ts));
      }
    });

    it("the report timestamp may equal the certificate's notBefore and notAfter", async function () {
      expect((await verify(withFields({ timestamp: "2016-11-22T00:00:00" }))).timestamp).to.equal(SIM_NOT_BEFORE);
      expect((await verify(withFields({ timestamp: "2049-12-31T23:59:59.999999" }))).timestamp).to.equal(SIM_NOT_AFTER);
    });
  });

  describe("steps 1-3: signature", function () {
    it("SignatureLengthInvalid(length) comes first, even with an unknown key id", async function () {
      const { verifier } = await loadFixture(simulationFixture);
      for (const length of [0, 255, 257, 512]) {
        await expect(verifier.verifyReportWithoutPolicy(ethers.ZeroHash, Buffer.from(BASE_TEXT), Buffer.alloc(length, 1)))
          .to.be.revertedWithCustomError(verifier, "SignatureLengthInvalid")
          .withArgs(length);
      }
    });

    it("SigningKeyNotRegistered(keyId) for a wrong key id", async function () {
      const { verifier, keyId } = await loadFixture(simulationFixture);
      const wrong = ethers.keccak256(keyId);
      await expect(verifier.verifyReport(wrong, Buffer.from(BASE_TEXT), sign(BASE_TEXT)))
        .to.be.revertedWithCustomError(verifier, "SigningKeyNotRegistered")
        .withArgs(wrong);
    });

    it("audit F-4: SigningKeyDenied(keyId) once POLICY_ROLE denies the key (after the registration check, before the RSA check); allowed again, it verifies", async function () {
      const { verifier, keyId } = await loadFixture(simulationFixture);
      const [, other] = await ethers.getSigners();
      const signature = sign(BASE_TEXT);
      await expect(verifier.connect(other).setSigningKeyDenied(keyId, true)).to.be.revertedWithCustomError(verifier, "AccessControlUnauthorizedAccount");
      await expect(verifier.setSigningKeyDenied(keyId, true)).to.emit(verifier, "SigningKeyDeniedSet").withArgs(keyId, true);
      await expect(verifier.setSigningKeyDenied(keyId, true)).to.not.emit(verifier, "SigningKeyDeniedSet");
      expect(await verifier.isSigningKeyDenied(keyId)).to.equal(true);
      await expect(verifier.verifyReport(keyId, Buffer.from(BASE_TEXT), signature)).to.be.revertedWithCustomError(verifier, "SigningKeyDenied").withArgs(keyId);
      await expect(verifier.verifyReportWithoutPolicy(keyId, Buffer.from(BASE_TEXT), signature)).to.be.revertedWithCustomError(verifier, "SigningKeyDenied");
      // A bad signature under a denied key still names the denial (the key check comes first).
      await expect(verifier.verifyReport(keyId, Buffer.from(BASE_TEXT), Buffer.alloc(256, 1))).to.be.revertedWithCustomError(verifier, "SigningKeyDenied");
      // The length check stays first.
      await expect(verifier.verifyReport(keyId, Buffer.from(BASE_TEXT), Buffer.alloc(255, 1))).to.be.revertedWithCustomError(verifier, "SignatureLengthInvalid");
      await expect(verifier.setSigningKeyDenied(keyId, false)).to.emit(verifier, "SigningKeyDeniedSet").withArgs(keyId, false);
      expect((await verifier.verifyReportWithoutPolicy(keyId, Buffer.from(BASE_TEXT), signature)).version).to.equal(4n);
    });

    it("audit F-4: the denied-key count (which lets a clean denylist cost no storage read) follows every change, so one key's release leaves another denied", async function () {
      const { verifier, keyId } = await loadFixture(simulationFixture);
      const signature = sign(BASE_TEXT);
      const unregistered = ethers.keccak256("0x01");
      expect((await verifier.policy()).deniedSigningKeys).to.equal(0n);
      await (await verifier.setSigningKeyDenied(unregistered, true)).wait();
      await (await verifier.setSigningKeyDenied(keyId, true)).wait();
      await (await verifier.setSigningKeyDenied(keyId, true)).wait(); // no change: not counted twice
      expect((await verifier.policy()).deniedSigningKeys).to.equal(2n);
      await (await verifier.setSigningKeyDenied(unregistered, false)).wait();
      await (await verifier.setSigningKeyDenied(unregistered, false)).wait(); // no change: not released twice
      expect((await verifier.policy()).deniedSigningKeys).to.equal(1n);
      await expect(verifier.verifyReport(keyId, Buffer.from(BASE_TEXT), signature)).to.be.revertedWithCustomError(verifier, "SigningKeyDenied").withArgs(keyId);
      await (await verifier.setSigningKeyDenied(keyId, false)).wait();
      expect((await verifier.policy()).deniedSigningKeys).to.equal(0n);
      expect((await verifier.verifyReportWithoutPolicy(keyId, Buffer.from(BASE_TEXT), signature)).version).to.equal(4n);
    });

    it("ReportSignatureInvalid for one changed byte of the body or of the signature, and for s >= n", async function () {
      const { verifier, keyId } = await loadFixture(simulationFixture);
      const body = Buffer.from(BASE_TEXT);
      const signature = sign(body);
      for (const i of [0, 1, 100, body.length - 2, body.length - 1]) {
        const tampered = Buffer.from(body);
        tampered[i] ^= 0x01;
        await expect(verifier.verifyReportWithoutPolicy(keyId, tampered, signature)).to.be.revertedWithCustomError(
          verifier,
          "ReportSignatureInvalid",
        );
      }
      for (const i of [0, 128, 255]) {
        const tampered = Buffer.from(signature);
        tampered[i] ^= 0x80;
        await expect(verifier.verifyReportWithoutPolicy(keyId, body, tampered)).to.be.revertedWithCustomError(
          verifier,
          "ReportSignatureInvalid",
        );
      }
      const [, , modulus] = await verifier.signingKey(keyId);
      await expect(verifier.verifyReportWithoutPolicy(keyId, body, ethers.getBytes(modulus))).to.be.revertedWithCustomError(
        verifier,
        "ReportSignatureInvalid",
      );
    });
  });

  describe("step 4: JSON syntax (ReportMalformed(offset))", function () {
    it("every truncation fails at the end of the input", async function () {
      const { verifier, keyId } = await loadFixture(simulationFixture);
      const body = Buffer.from(BASE_TEXT);
      const cuts = [0, 1, 2, 5, 6, 7, 30, 48, 60];
      for (let n = 100; n < body.length; n += 97) cuts.push(n);
      cuts.push(body.length - 2, body.length - 1);
      for (const n of cuts) {
        const cut = body.subarray(0, n);
        await expect(verifier.verifyReportWithoutPolicy(keyId, cut, sign(cut)))
          .to.be.revertedWithCustomError(verifier, "ReportMalformed")
          .withArgs(n);
      }
    });

    const cases: Array<[string, string, number]> = [
      ["not an object", '["id"]', 0],
      ["leading garbage", 'x{"id":"1"}', 0],
      ["trailing garbage", '{"id":"1"} x', 11],
      ["two objects", '{"id":"1"}{}', 10],
      ["unquoted key", '{id:"1"}', 1],
      ["missing colon", '{"id" "1"}', 6],
      ["trailing comma", '{"id":"1",}', 10],
      ["object value", '{"a":{},"id":"1"}', 5],
      ["nested array", '{"a":[[1]]}', 6],
      ["negative number", '{"a":-1}', 5],
      ["fraction", '{"a":1.5}', 6],
      ["exponent", '{"a":1e5}', 6],
      ["bad literal", '{"a":nul,"b":1}', 5],
      ["literal cut by the end", '{"a":fals', 5],
      ["capitalised literal", '{"a":True}', 5],
      ["missing comma", '{"a":1 "b":2}', 7],
      ["array trailing comma", '{"a":[1,]}', 8],
      ["array missing comma", '{"a":[1 2]}', 8],
      ["backslash at the very end", '{"a":"\\', 7],
      ["unterminated string", '{"a":"abc', 9],
      // The strict grammar (audit F-7): RFC 8259 strings, keys and numbers.
      ["control byte in a string", '{"a":"x\u0001y"}', 7],
      ["raw newline in a string", '{"a":"x\ny"}', 7],
      ["NUL in a key", '{"a\u0000":1}', 3],
      ["escape in a key", '{"a\\u0041":1}', 3],
      ["escaped quote in a key", '{"a\\"":1}', 3],
      // A known key's bytes followed by more key bytes (the scanner's fast path for known keys must fall back).
      ["escaped quote after a known key", '{"id\\"":1}', 4],
      ["control byte after a known key", '{"id\u0001":1}', 4],
      ["control byte after a known key's prefix", '{"timestamp2\u0000":1}', 12],
      ["known key cut by the end", '{"isvEnclaveQuoteStatus', 23],
      ["invalid escape", '{"a":"\\q"}', 7],
      ["escape of a control byte", '{"a":"\\\u0001"}', 7],
      ["short \\u escape", '{"a":"\\u12G4"}', 10],
      ["\\u escape cut by the end", '{"a":"\\u12', 10],
      ["leading zero", '{"a":007}', 6],
      ["leading zero in an array", '{"a":[1,01]}', 9],
      ["version 04", '{"version":04}', 12],
      ["repeated unknown key", '{"x":1,"y":2,"x":3}', 13],
      ["repeated unknown key, before a syntax error", '{"x":1,"x"', 7],
    ];
    for (const [name, body, offset] of cases) {
      it(`${name}: ${JSON.stringify(body)} -> ReportMalformed(${offset})`, async function () {
        await expectError(body, "ReportMalformed", offset);
      });
    }
  });

  describe("step 4: the audit's proofs of concept (F-7) are refused", function () {
    it("F-7: a key that decodes to isvEnclaveQuoteStatus under JSON.parse is no key at all: ReportMalformed at its backslash", async function () {
      const tampered = BASE_TEXT.slice(0, -1) + ',"isvEnclaveQuote\\u0053tatus":"GROUP_OUT_OF_DATE"}';
      expect(JSON.parse(tampered).isvEnclaveQuoteStatus).to.equal("GROUP_OUT_OF_DATE");
      await expectError(tampered, "ReportMalformed", tampered.indexOf("\\u0053"));
    });

    it("F-7b: raw control bytes, an invalid escape and a leading-zero number: ReportMalformed at the first", async function () {
      const tampered = BASE_TEXT.slice(0, -1) + ',"x":"\u0000\u0001\\q\n","y":007}';
      expect(() => JSON.parse(tampered)).to.throw();
      await expectError(Buffer.from(tampered, "latin1"), "ReportMalformed", tampered.indexOf("\u0000"));
      const noControl = BASE_TEXT.slice(0, -1) + ',"x":"\\q","y":007}';
      await expectError(noControl, "ReportMalformed", noControl.indexOf("\\q") + 1);
      const onlyZeros = BASE_TEXT.slice(0, -1) + ',"y":007}';
      await expectError(onlyZeros, "ReportMalformed", onlyZeros.indexOf("007") + 1);
    });
  });

  describe("step 4: duplicated known keys", function () {
    for (const key of ["id", "timestamp", "version", "isvEnclaveQuoteStatus", "isvEnclaveQuoteBody", "nonce", "advisoryIDs", "platformInfoBlob", "tcbEvaluationDataNumber"]) {
      it(`ReportFieldDuplicated("${key}")`, async function () {
        const body = BASE_TEXT.slice(0, -1) + `,"${key}":1,"${key}":2}`;
        // the first duplicate of a key already in the base report is the appended one
        await expectError(body, "ReportFieldDuplicated", key);
      });
    }

    it("the duplicate is detected at its key, before a later syntax error", async function () {
      await expectError(BASE_TEXT.slice(0, -1) + ',"id":', "ReportFieldDuplicated", "id");
    });
  });

  describe("step 5: field rules", function () {
    for (const field of ["id", "timestamp", "isvEnclaveQuoteStatus", "isvEnclaveQuoteBody"]) {
      it(`ReportFieldMissing("${field}")`, async function () {
        await expectError(withFields({ [field]: undefined }), "ReportFieldMissing", field);
      });
    }

    it("missing fields are reported in the order id, timestamp, isvEnclaveQuoteStatus, isvEnclaveQuoteBody", async function () {
      await expectError(withFields({ id: undefined, isvEnclaveQuoteBody: undefined }), "ReportFieldMissing", "id");
      await expectError(withFields({ isvEnclaveQuoteStatus: undefined, timestamp: undefined }), "ReportFieldMissing", "timestamp");
      await expectError("{}", "ReportFieldMissing", "id");
    });

    it("presence is checked for all four before any type", async function () {
      await expectError(withFields({ id: 1, isvEnclaveQuoteBody: undefined }), "ReportFieldMissing", "isvEnclaveQuoteBody");
    });

    const wrongTypes: Array<[string, string]> = [
      ["id", "123"],
      ["timestamp", "null"],
      ["isvEnclaveQuoteStatus", '["OK"]'],
      ["isvEnclaveQuoteStatus", '"O\\u004b"'],
      ["isvEnclaveQuoteBody", "true"],
      ["id", '"12\\"3"'],
      ["version", '"4"'],
      ["version", "6"],
      ["version", "1"],
      ["version", "null"],
    ];
    for (const [field, raw] of wrongTypes) {
      it(`ReportFieldInvalid("${field}") for ${raw}`, async function () {
        await expectError(withRawValue(field, raw), "ReportFieldInvalid", field);
      });
    }
  });

  describe("step 6: quote body", function () {
    const b64 = BASE.isvEnclaveQuoteBody as string;
    const encodingCases: Array<[string, string]> = [
      ["a character outside the alphabet", "*" + b64.slice(1)],
      ["URL-safe alphabet", "-" + b64.slice(1)],
      ["a non-ASCII byte", "\u00e9" + b64.slice(2)],
      ["length not a multiple of 4", b64.slice(0, -1)],
      ["padding in the middle", b64.slice(0, 100) + "=" + b64.slice(101)],
      ["three padding characters", b64.slice(0, -4) + "A==="],
      ["non-canonical padding bits (1 pad)", Buffer.alloc(431, 7).toString("base64").slice(0, -2) + "h="],
      ["non-canonical padding bits (2 pads)", Buffer.alloc(430, 7).toString("base64").slice(0, -3) + "B=="],
      ["whitespace inside", b64.slice(0, 4) + " " + b64.slice(5)],
    ];
    for (const [name, body] of encodingCases) {
      it(`QuoteBodyEncodingInvalid: ${name}`, async function () {
        await expectError(withFields({ isvEnclaveQuoteBody: body }), "QuoteBodyEncodingInvalid");
      });
    }

    it("a quote body at the end of the report (decoded before the scan) is judged as one scanned first: same fields or error", async function () {
      const { verifier, keyId } = await loadFixture(simulationFixture);
      const members = BASE_TEXT.slice(1, BASE_TEXT.indexOf(',"isvEnclaveQuoteBody":"'));
      expect(BASE_TEXT).to.equal(`{${members},"isvEnclaveQuoteBody":${JSON.stringify(b64)}}`);
      // raw JSON values of 576 characters between the quotes where possible: valid, invalid base64, an escaped quote,
      // a \u escape, a raw control byte, an early quote, a backslash escaping the closing quote
      const raws = [
        JSON.stringify(b64),
        JSON.stringify("*" + b64.slice(1)),
        `"${b64.slice(0, 100)}\\"${b64.slice(102)}"`,
        `"${b64.slice(0, 100)}\\u0041${b64.slice(106)}"`,
        `"${b64.slice(0, 575)}\u0001"`,
        `"${b64.slice(0, 100)}"${b64.slice(101)}"`,
        `"${b64.slice(0, 575)}\\"`,
      ];
      const outcome = async (body: string, at: number) => {
        try {
          return ["verified", asResult(await verifier.verifyReportWithoutPolicy(keyId, Buffer.from(body), sign(body))).toObject()];
        } catch (error) {
          const decoded = verifier.interface.parseError((error as { data: string }).data);
          if (decoded === null) throw error;
          const args = [...decoded.args];
          // ReportMalformed: the offset relative to the body's value
          return [decoded.name, decoded.name === "ReportMalformed" ? Number(args[0]) - at : args.map(String)];
        }
      };
      for (const raw of raws) {
        const last = `{${members},"isvEnclaveQuoteBody":${raw}}`;
        // a space after the colon: the same JSON, but not IAS's ending, so the body is scanned and decoded after
        const spaced = `{${members},"isvEnclaveQuoteBody": ${raw}}`;
        const at = last.length - 1 - raw.length;
        expect(await outcome(last, at), raw.slice(98, 108)).to.deep.equal(await outcome(spaced, at + 1));
      }
    });

    for (const length of [0, 1, 2, 3, 431, 433, 434, 864]) {
      it(`QuoteBodyLengthInvalid(${length})`, async function () {
        const body = Buffer.alloc(length, 0xa5).toString("base64");
        await expectError(withFields({ isvEnclaveQuoteBody: body }), "QuoteBodyLengthInvalid", length);
      });
    }

    it("a quote of 432 bytes with padding-free canonical base64 decodes exactly (random quotes)", async function () {
      for (let i = 0; i < 4; i++) {
        const quote = crypto.randomBytes(432);
        const v = await verify(withFields({ isvEnclaveQuoteBody: quote.toString("base64") }));
        expect(v.mrenclave).to.equal("0x" + quote.subarray(112, 144).toString("hex"));
        expect(v.mrsigner).to.equal("0x" + quote.subarray(176, 208).toString("hex"));
        expect(v.isvProdId).to.equal(quote.readUInt16LE(304));
        expect(v.isvSvn).to.equal(quote.readUInt16LE(306));
        expect(v.debug).to.equal((quote[96] & 2) !== 0);
        expect(v.reportDataLow + v.reportDataHigh.slice(2)).to.equal("0x" + quote.subarray(368, 432).toString("hex"));
      }
    });
  });

  describe("step 7: timestamp", function () {
    const invalid = [
      "2024-13-01T00:00:00", "2024-00-10T00:00:00", "2023-02-29T00:00:00", "2024-04-31T00:00:00", "2024-06-00T00:00:00",
      "2024-06-15T24:00:00", "2024-06-15T23:60:00", "2024-06-15T23:59:60", "2024-06-15T14:54:05Z", "2024-06-15 14:54:05",
      "2024-06-15T14:54:05.", "2024-06-15T14:54:05.1234567", "2024-06-15T14:54:0", "24-06-15T14:54:05", "1969-12-31T23:59:59",
      "2024/06/15T14:54:05", "2024-06-15T14:54:05,5", "2024-06-15T14:5a:05", "", "2024-06-15T14:54:05.12a",
    ];
    for (const ts of invalid) {
      it(`ReportTimestampInvalid for ${JSON.stringify(ts)}`, async function () {
        await expectError(withFields({ timestamp: ts }), "ReportTimestampInvalid");
      });
    }

    it("ReportOutsideCertificateValidity(t, notBefore, notAfter) before notBefore and after notAfter", async function () {
      for (const ts of ["2016-11-21T23:59:59", "2050-01-01T00:00:00", "1970-01-01T00:00:00"]) {
        await expectError(
          withFields({ timestamp: ts }),
          "ReportOutsideCertificateValidity",
          unixSeconds(ts),
          SIM_NOT_BEFORE,
          SIM_NOT_AFTER,
        );
      }
    });
  });

  describe("check order", function () {
    it("syntax before missing fields, missing before quote body, quote body before timestamp", async function () {
      const unterminated = '{"timestamp":"x","isvEnclaveQuoteBody":"*"';
      await expectError(unterminated, "ReportMalformed", unterminated.length);
      await expectError(withFields({ timestamp: "bad", isvEnclaveQuoteBody: "*", id: undefined }), "ReportFieldMissing", "id");
      await expectError(withFields({ timestamp: "bad", isvEnclaveQuoteBody: "*" }), "QuoteBodyEncodingInvalid");
      await expectError(withFields({ timestamp: "bad", version: 9 }), "ReportFieldInvalid", "version");
      await expectError(withFields({ timestamp: "bad" }), "ReportTimestampInvalid");
    });
  });
});
