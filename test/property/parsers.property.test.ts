/**
 * PROPERTY tests (fast-check) of the contract's attestation parsers through the test-only ParserProbe:
 * Base64 against Node's Buffer and the strict TypeScript decoder, DateTime against JS Date over the
 * whole accepted range and beyond, Asn1Der and X509 on mutated DER of the real certificates against the
 * TypeScript parser and node:crypto's X509Certificate, and the IasReport JSON scanner on generated
 * reports (key order, whitespace, optional fields, escapes, duplicates, unknown members) against the
 * TypeScript report parser. Every run is one eth_call.
 */
import { X509Certificate } from "node:crypto";
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { Interface } from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { IasVerificationError, intelCaDer, intelLeafDer, simulationCaDer, simulationLeafDer } from "../../src/attestation";
import { parseCertificate } from "../../src/attestation/certificate";
import { readTlv } from "../../src/attestation/der";
import { decodeStandardBase64, readReportFields } from "../../src/attestation/report";
import { intelSignedVectors } from "../attestation/iasVectors";
import { IAS_ERROR_FRAGMENTS } from "../../src/attestation/onchain";

const RUNS = { base64: 300, dateTime: 400, der: 300, x509: 300, report: 200 };

/** The custom errors the parsers revert with (declared in libraries, so decoded here). */
const PARSER_ERRORS = new Interface(IAS_ERROR_FRAGMENTS);

type Outcome<T> = { ok: true; value: T } | { ok: false; error: string; args: string[] };

/** Runs a probe call; a revert becomes {error, args} decoded with PARSER_ERRORS. */
async function onchain<T>(call: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (e) {
    const data = (e as { data?: string }).data;
    if (typeof data !== "string") throw e;
    const parsed = PARSER_ERRORS.parseError(data);
    if (parsed === null) throw e;
    return { ok: false, error: parsed.name, args: parsed.args.toArray().map(String) };
  }
}

/** The TypeScript side; only IasVerificationError counts as a refusal. */
function offchain<T>(run: () => T): Outcome<T> {
  try {
    return { ok: true, value: run() };
  } catch (e) {
    if (!(e instanceof IasVerificationError)) throw e;
    return { ok: false, error: e.code, args: e.args.map(String) };
  }
}

function refusal<T>(o: Outcome<T>) {
  return o.ok ? undefined : { error: o.error, args: o.args };
}

async function probeFixture() {
  return (await ethers.getContractFactory("ParserProbe")).deploy();
}

const hex = (b: Uint8Array) => "0x" + Buffer.from(b).toString("hex");

describe("property: attestation parsers on chain", function () {
  this.timeout(300_000);

  describe("Base64", function () {
    it(`${RUNS.base64} random byte strings: decodes what Buffer encodes`, async function () {
      const probe = await loadFixture(probeFixture);
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 120 }), async (data) => {
          const [valid, decoded] = await probe.base64(Buffer.from(Buffer.from(data).toString("base64")));
          expect(valid).to.equal(true);
          expect(decoded).to.equal(hex(data));
        }),
        { numRuns: RUNS.base64 },
      );
    });

    it(`${RUNS.base64} near-base64 texts: accepted exactly when strict and canonical, then equal to Buffer's decoding`, async function () {
      const probe = await loadFixture(probeFixture);
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      const nearChar = fc.oneof(
        { weight: 12, arbitrary: fc.constantFrom(...alphabet) },
        { weight: 2, arbitrary: fc.constant("=") },
        { weight: 1, arbitrary: fc.constantFrom("-", "_", " ", "\n", "\r", "\t", ".", "\u0000", "\u00ff", "\u0080", "%") },
      );
      const text = fc.oneof(
        fc.array(nearChar, { maxLength: 24 }).map((cs) => cs.join("")),
        // Valid encodings with a few characters replaced, padding dropped or doubled.
        fc
          .tuple(fc.uint8Array({ maxLength: 20 }), fc.array(fc.tuple(fc.nat(), nearChar), { maxLength: 2 }), fc.constantFrom("", "keep", "strip", "extra"))
          .map(([data, edits, padding]) => {
            let s = Buffer.from(data).toString("base64");
            if (padding === "strip") s = s.replace(/=+$/, "");
            if (padding === "extra") s += "=";
            const chars = [...s];
            for (const [at, c] of edits) if (chars.length > 0) chars[at % chars.length] = c;
            return chars.join("");
          }),
      );
      const verdicts = { valid: 0, invalid: 0 };
      await fc.assert(
        fc.asyncProperty(text, async (s) => {
          const bytes = Buffer.from(s, "latin1");
          const [valid, decoded] = await probe.base64(bytes);
          const strict = decodeStandardBase64(s);
          expect(valid, JSON.stringify(s)).to.equal(strict !== undefined);
          verdicts[valid ? "valid" : "invalid"] += 1;
          if (valid) {
            // Buffer is lenient (no padding needed, junk skipped): equal bytes, and it re-encodes to the very input.
            const lenient = Buffer.from(s, "base64");
            expect(decoded).to.equal(hex(lenient));
            expect(lenient.toString("base64")).to.equal(s);
            expect(decoded).to.equal(hex(strict!));
          }
        }),
        { numRuns: RUNS.base64 },
      );
      // Both verdicts occur (the generator is not one-sided).
      expect(verdicts.valid).to.be.greaterThan(0);
      expect(verdicts.invalid).to.be.greaterThan(0);
    });
  });

  describe("DateTime", function () {
    it(`${RUNS.dateTime} date-times in and around [1970, 9999]: valid exactly when JS Date agrees, same unix seconds`, async function () {
      const probe = await loadFixture(probeFixture);
      const field = (min: number, max: number, slack: number) =>
        fc.oneof({ weight: 8, arbitrary: fc.integer({ min, max }) }, { weight: 1, arbitrary: fc.integer({ min: Math.max(0, min - slack), max: max + slack }) });
      const year = fc.oneof(fc.integer({ min: 1970, max: 9999 }), fc.constantFrom(1969, 1970, 2000, 2100, 2400, 9999, 10000), fc.integer({ min: 0, max: 20000 }));
      await fc.assert(
        fc.asyncProperty(
          year,
          field(1, 12, 2),
          field(1, 31, 2),
          field(0, 23, 2),
          field(0, 59, 2),
          field(0, 59, 2),
          async (y, mo, d, h, mi, s) => {
            const [valid, seconds] = await probe.dateTime(y, mo, d, h, mi, s);
            // Date.UTC normalises overflowing fields; a real date-time is one it leaves unchanged.
            const date = new Date(0);
            date.setUTCFullYear(y, mo - 1, d);
            date.setUTCHours(h, mi, s, 0);
            const real =
              y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && h <= 23 && mi <= 59 && s <= 59 &&
              date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
            expect(valid, `${y}-${mo}-${d} ${h}:${mi}:${s}`).to.equal(real);
            expect(seconds).to.equal(real ? BigInt(date.getTime() / 1000) : 0n);
          },
        ),
        { numRuns: RUNS.dateTime },
      );
    });
  });

  describe("Asn1Der and X509 on mutated real certificates", function () {
    const certificates = [intelCaDer(), intelLeafDer(), simulationCaDer(), simulationLeafDer()];
    type Edit = { kind: "set" | "insert" | "delete" | "truncate"; at: number; value: number };
    const edit = fc.record({ kind: fc.constantFrom<Edit["kind"]>("set", "set", "set", "insert", "delete", "truncate"), at: fc.nat(), value: fc.nat(255) });
    /** Mutations aimed at headers (tags and lengths of the first TLVs) as often as at random bytes. */
    function mutate(original: Buffer, edits: Edit[]): Buffer {
      let der = Buffer.from(original);
      for (const e of edits) {
        const at = e.at % 2 === 0 ? (e.at >> 1) % Math.min(der.length, 64) : (e.at >> 1) % der.length;
        if (e.kind === "set") der[at] = e.value;
        else if (e.kind === "insert") der = Buffer.concat([der.subarray(0, at), Buffer.of(e.value), der.subarray(at)]);
        else if (e.kind === "delete") der = Buffer.concat([der.subarray(0, at), der.subarray(at + 1)]);
        else der = der.subarray(0, at);
      }
      return der;
    }
    const mutatedCertificate = fc
      .tuple(fc.nat(certificates.length - 1), fc.array(edit, { minLength: 1, maxLength: 3 }))
      .map(([i, edits]) => ({ original: certificates[i], der: mutate(certificates[i], edits) }));

    it(`${RUNS.der} element reads at random offsets of mutated DER: Asn1Der.readElement agrees with the TypeScript reader`, async function () {
      const probe = await loadFixture(probeFixture);
      await fc.assert(
        fc.asyncProperty(mutatedCertificate, fc.nat(), fc.nat(), async ({ der }, o, l) => {
          const offset = o % (der.length + 1);
          const limit = offset + (l % (der.length - offset + 1));
          const chain = await onchain(() => probe.readElement(der, offset, limit));
          const ts = offchain(() => readTlv(der, offset, limit));
          expect(refusal(chain)).to.deep.equal(refusal(ts));
          if (chain.ok && ts.ok) {
            expect([chain.value.tag, chain.value.start, chain.value.end].map(Number)).to.deep.equal([ts.value.tag, ts.value.start, ts.value.end]);
          }
        }),
        { numRuns: RUNS.der },
      );
    });

    it(`${RUNS.x509} mutated certificates: X509.parse gives the TypeScript result or error, and node:crypto's dates when it parses`, async function () {
      const probe = await loadFixture(probeFixture);
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(mutatedCertificate, async ({ original, der }) => {
          const chain = await onchain(() => probe.parseCertificate(der));
          const ts = offchain(() => parseCertificate(der));
          expect(refusal(chain)).to.deep.equal(refusal(ts));
          if (!chain.ok || !ts.ok) return;
          accepted += 1;
          const c = chain.value;
          const span = (start: bigint, end: bigint) => hex(der.subarray(Number(start), Number(end)));
          expect(span(c.tbsStart, c.tbsEnd)).to.equal(hex(ts.value.tbs));
          expect(span(c.tbsAlgorithmStart, c.tbsAlgorithmEnd)).to.equal(hex(ts.value.tbsSignatureAlgorithm));
          expect(span(c.issuerStart, c.issuerEnd)).to.equal(hex(ts.value.issuer));
          expect(span(c.subjectStart, c.subjectEnd)).to.equal(hex(ts.value.subject));
          expect(span(c.keyInfoStart, c.keyInfoEnd)).to.equal(hex(ts.value.subjectPublicKeyInfo));
          expect(span(c.algorithmStart, c.algorithmEnd)).to.equal(hex(ts.value.signatureAlgorithm));
          expect(span(c.signatureStart, c.signatureEnd)).to.equal(hex(ts.value.signature));
          expect([c.notBefore, c.notAfter]).to.deep.equal([ts.value.notBefore, ts.value.notAfter]);
          // Where OpenSSL also reads the mutant, it must see the same validity, and the same names
          // when the name bytes were not touched.
          let node: X509Certificate | undefined;
          try {
            node = new X509Certificate(der);
          } catch {
            return;
          }
          expect(BigInt(Date.parse(node.validFrom) / 1000)).to.equal(c.notBefore);
          expect(BigInt(Date.parse(node.validTo) / 1000)).to.equal(c.notAfter);
          const before = parseCertificate(original);
          const reference = new X509Certificate(original);
          if (hex(before.subject) === hex(ts.value.subject)) expect(node.subject).to.equal(reference.subject);
          if (hex(before.issuer) === hex(ts.value.issuer)) expect(node.issuer).to.equal(reference.issuer);
        }),
        { numRuns: RUNS.x509 },
      );
      // Not vacuous: some mutants (in ignored extension bytes, say) still parse.
      expect(accepted).to.be.greaterThan(0);
    });
  });

  describe("IasReport JSON scanner", function () {
    const vectors = intelSignedVectors();
    type Value = string | number | string[];
    const optionalKeys = new Set(["version", "nonce", "epidPseudonym", "advisoryURL", "advisoryIDs", "platformInfoBlob", "revocationReason"]);

    /** A JSON string literal, with some characters written as escapes when `escape` is set. */
    function literal(text: string, escape: number[]): string {
      let out = "";
      [...text].forEach((c, i) => {
        if (c === '"' || c === "\\") out += "\\" + c;
        else if (escape.includes(i % 16)) out += c === "/" ? "\\/" : "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0");
        else out += c;
      });
      return `"${out}"`;
    }

    const generatedReport = fc
      .record({
        vector: fc.nat(vectors.length - 1),
        order: fc.array(fc.nat(), { minLength: 16, maxLength: 16 }),
        drop: fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
        escapeKey: fc.option(fc.nat(15), { nil: undefined, freq: 4 }),
        escapeAt: fc.array(fc.nat(15), { maxLength: 2 }),
        duplicate: fc.option(fc.nat(15), { nil: undefined, freq: 4 }),
        unknown: fc.option(fc.oneof(fc.constant<Value>("x"), fc.constant<Value>(7), fc.constant<Value>(["a", "b"])), { nil: undefined, freq: 3 }),
        spaces: fc.array(fc.constantFrom("", "", " ", "\n", "\t", "\r\n", "  "), { minLength: 64, maxLength: 64 }),
      })
      .map((g) => {
        const original = JSON.parse(vectors[g.vector].report.toString("latin1")) as Record<string, Value>;
        let members = Object.entries(original).filter(([key], i) => !(optionalKeys.has(key) && g.drop[i % 16]));
        members = members.map((m, i) => [m, g.order[i % 16]] as const).sort((a, b) => a[1] - b[1]).map(([m]) => m);
        if (g.duplicate !== undefined && members.length > 0) members.push(members[g.duplicate % members.length]);
        if (g.unknown !== undefined) members.splice(1, 0, ["x-extra", g.unknown]);
        let w = 0;
        const ws = () => g.spaces[w++ % g.spaces.length];
        const value = (v: Value, escaped: boolean): string =>
          typeof v === "number" ? String(v) : Array.isArray(v) ? `[${ws()}${v.map((s) => literal(s, [])).join(`${ws()},${ws()}`)}${ws()}]` : literal(v, escaped ? g.escapeAt : []);
        const body = members.map(([k, v], i) => `${ws()}${literal(k, [])}${ws()}:${ws()}${value(v, g.escapeKey !== undefined && g.escapeKey % members.length === i)}${ws()}`);
        return Buffer.from(`${ws()}{${body.join(",")}}${ws()}`, "latin1");
      });

    it(`${RUNS.report} generated reports: IasReport.parse gives the TypeScript parser's fields or its error`, async function () {
      const probe = await loadFixture(probeFixture);
      let parsed = 0;
      const refusals = new Set<string>();
      await fc.assert(
        fc.asyncProperty(generatedReport, async (report) => {
          const chain = await onchain(() => probe.parseReport(report));
          const ts = offchain(() => readReportFields(report));
          expect(refusal(chain), report.toString("latin1")).to.deep.equal(refusal(ts));
          if (!chain.ok) refusals.add(chain.error);
          if (!chain.ok || !ts.ok) return;
          parsed += 1;
          const [v, status] = chain.value;
          const body = ts.value.quoteBody;
          expect(v.timestamp).to.equal(ts.value.timestamp);
          expect(Number(v.version)).to.equal(ts.value.version);
          expect(status).to.equal(hex(Buffer.from(ts.value.status, "latin1")));
          expect(v.mrenclave).to.equal(hex(body.subarray(112, 144)));
          expect(v.mrsigner).to.equal(hex(body.subarray(176, 208)));
          expect(v.reportDataLow + v.reportDataHigh.slice(2)).to.equal(hex(body.subarray(368, 432)));
        }),
        { numRuns: RUNS.report },
      );
      // Not vacuous: reports parse, and duplicates and escapes are refused.
      expect(parsed).to.be.greaterThan(0);
      expect([...refusals]).to.include.members(["ReportFieldDuplicated", "ReportFieldInvalid"]);
    });
  });
});
