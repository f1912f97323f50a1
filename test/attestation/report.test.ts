import { expect } from "chai";
import { decodeStandardBase64, parseIasTimestamp, readReportFields } from "../../src/attestation";
import { expectIasError } from "./assertions";
import { unixOfIasTimestamp } from "./iasVectors";

const QUOTE = Buffer.alloc(432, 7).toString("base64");
const TS = "2024-06-15T14:54:05.076187";

/** A minimal v4 body with the members given (raw JSON text), in order. */
function body(...members: string[]): Buffer {
  return Buffer.from(`{${members.join(",")}}`, "latin1");
}
const ID = '"id":"1"';
const TIME = `"timestamp":"${TS}"`;
const STATUS = '"isvEnclaveQuoteStatus":"OK"';
const QUOTE_MEMBER = `"isvEnclaveQuoteBody":"${QUOTE}"`;
const REQUIRED = [ID, TIME, STATUS, QUOTE_MEMBER];

const read = (b: Buffer | string) => () => readReportFields(typeof b === "string" ? Buffer.from(b, "latin1") : b);

describe("attestation: report grammar and field rules (docs/attestation-onchain.md steps 4-7)", function () {
  it("reads the four required fields; version absent means 2", function () {
    const r = readReportFields(body(...REQUIRED));
    expect([r.id, r.timestampText, r.status, r.version, r.quoteBody.length]).to.deep.equal(["1", TS, "OK", 2, 432]);
    expect(r.timestamp).to.equal(unixOfIasTimestamp(TS));
  });

  it("accepts whitespace between tokens, unknown keys of every value kind, any key order", function () {
    const text = ` \t\r\n{ "x" : [ 1 , "a\\"" , null , true , false ] , ${[...REQUIRED].reverse().join(" ,\n ")} , "n":12 , "z":0 , "e":[] }\n `;
    expect(readReportFields(Buffer.from(text)).status).to.equal("OK");
  });

  describe("ReportMalformed(offset): the first byte the grammar cannot continue with", function () {
    const cases: [string, string, number][] = [
      ["empty input", "", 0],
      ["not an object", "[]", 0],
      ["trailing comma", '{"a":1,}', 7],
      ["unquoted key", "{a:1}", 1],
      ["missing colon", '{"a" 1}', 5],
      ["negative number", '{"a":-1}', 5],
      ["fraction", '{"a":1.5}', 6],
      ["broken literal fails at its first letter", '{"a":nul}', 5],
      ["literal cut by the end", '{"a":tr', 5],
      ["nested array", '{"a":[[1]]}', 6],
      ["object value", '{"a":{}}', 5],
      ["array trailing comma", '{"a":[1,]}', 8],
      ["unterminated string", '{"a":"abc', 9],
      ["backslash as last byte", '{"a":"abc\\', 10],
      ["missing closing brace", '{"a":1', 6],
      ["bytes after the object", '{"a":1} x', 8],
      ["second object", '{"a":1}{}', 7],
    ];
    for (const [name, text, offset] of cases) {
      it(`${name}: ${JSON.stringify(text)} -> ${offset}`, function () {
        expectIasError(read(text), "ReportMalformed", [BigInt(offset)]);
      });
    }

    it("strings hold the RFC 8259 escapes and non-ASCII bytes; no other escape and no control byte (audit F-7)", function () {
      expect(readReportFields(body(...REQUIRED, '"u":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u12aF\xff\x7f"')).id).to.equal("1");
      const bad: [string, number][] = [
        ['{"u":"\\q"}', 7], // not an escape: fails at the escaped byte
        ['{"u":"\\u12"}', 10], // \u needs four hex digits: fails at the first other byte
        ['{"u":"\\u12', 10], // the input ends inside the escape
        ['{"u":"a\x01"}', 7], // a raw control byte
        ['{"u":"a\x1f\\q"}', 7], // the first offending byte wins
        ['{"u\\"":1}', 3], // keys hold no escape: fails at the backslash
        ['{"a":0012}', 6], // no leading zeros: a number starting with 0 ends there
      ];
      for (const [text, offset] of bad) expectIasError(read(text), "ReportMalformed", [BigInt(offset)]);
    });
  });

  describe("ReportFieldDuplicated(field): a known key repeated, raised at the repeated key", function () {
    it("every known key", function () {
      for (const key of ["id", "timestamp", "version", "nonce", "advisoryIDs", "tcbEvaluationDataNumber", "pseManifestHash"]) {
        expectIasError(read(body(`"${key}":1`, ...REQUIRED, `"${key}":2`)), "ReportFieldDuplicated", [key]);
      }
    });
    it("wins over a syntax error after it, loses to one before it; a repeated unknown key is ReportMalformed at its quote", function () {
      expectIasError(read(`{"id":"1","id":}`), "ReportFieldDuplicated", ["id"]);
      expectIasError(read(`{"a":-1,"id":"1","id":"2"}`), "ReportMalformed", [5n]);
      expectIasError(read(body('"u":1', '"u":2', ...REQUIRED)), "ReportMalformed", [7n]);
      expectIasError(read(`{"u":1,"u"`), "ReportMalformed", [7n]);
    });
    it("an escaped spelling of a key is no key at all (audit F-7: keys hold no escapes)", function () {
      expectIasError(read(body('"i\\u0064":"2"', ...REQUIRED)), "ReportMalformed", [3n]);
    });
  });

  it("ReportFieldMissing(field) in the order id, timestamp, isvEnclaveQuoteStatus, isvEnclaveQuoteBody", function () {
    expectIasError(read(body()), "ReportFieldMissing", ["id"]);
    expectIasError(read(body(QUOTE_MEMBER, STATUS, TIME)), "ReportFieldMissing", ["id"]);
    expectIasError(read(body(ID, QUOTE_MEMBER)), "ReportFieldMissing", ["timestamp"]);
    expectIasError(read(body(ID, TIME, QUOTE_MEMBER)), "ReportFieldMissing", ["isvEnclaveQuoteStatus"]);
    expectIasError(read(body(ID, TIME, STATUS)), "ReportFieldMissing", ["isvEnclaveQuoteBody"]);
    // Missing beats a wrong type elsewhere.
    expectIasError(read(body('"id":1', TIME, STATUS)), "ReportFieldMissing", ["isvEnclaveQuoteBody"]);
  });

  it("ReportFieldInvalid(field): required fields are strings without backslash, in order, before version", function () {
    for (const raw of ["1", "null", "true", "[]", '"a\\"b"', '"a\\/b"']) {
      expectIasError(read(body(`"id":${raw}`, TIME, STATUS, QUOTE_MEMBER)), "ReportFieldInvalid", ["id"]);
    }
    expectIasError(read(body(ID, '"timestamp":1', '"isvEnclaveQuoteStatus":1', QUOTE_MEMBER)), "ReportFieldInvalid", ["timestamp"]);
    expectIasError(read(body(ID, TIME, '"isvEnclaveQuoteStatus":"O\\u004b"', QUOTE_MEMBER)), "ReportFieldInvalid", ["isvEnclaveQuoteStatus"]);
    expectIasError(read(body(ID, TIME, STATUS, '"isvEnclaveQuoteBody":null', '"version":9')), "ReportFieldInvalid", ["isvEnclaveQuoteBody"]);
  });

  it("version: exactly one digit 2..5", function () {
    for (const v of ["2", "3", "4", "5"]) expect(readReportFields(body(...REQUIRED, `"version":${v}`)).version).to.equal(Number(v));
    for (const v of ["1", "6", "0", "40", '"4"', "null", "true", "[4]"]) {
      expectIasError(read(body(...REQUIRED, `"version":${v}`)), "ReportFieldInvalid", ["version"]);
    }
    // "04" is no number at all (no leading zeros): the grammar refuses it at the "4".
    const zeroPadded = body(...REQUIRED, '"version":04');
    expectIasError(read(zeroPadded), "ReportMalformed", [BigInt(zeroPadded.indexOf("04") + 1)]);
  });

  it("quote body: strict padded canonical base64 (QuoteBodyEncodingInvalid), then exactly 432 bytes (QuoteBodyLengthInvalid)", function () {
    const q = Buffer.alloc(432, 7);
    const withQuote = (b64: string) => body(ID, TIME, STATUS, `"isvEnclaveQuoteBody":"${b64}"`);
    for (const bad of [QUOTE.slice(1), QUOTE.slice(0, 10) + "-" + QUOTE.slice(11), QUOTE.slice(0, 10) + "=" + QUOTE.slice(11), QUOTE + "====", QUOTE.slice(0, 200) + " " + QUOTE.slice(201)]) {
      expectIasError(read(withQuote(bad)), "QuoteBodyEncodingInvalid");
    }
    expectIasError(read(withQuote(q.subarray(0, 431).toString("base64"))), "QuoteBodyLengthInvalid", [431n]);
    expectIasError(read(withQuote(q.subarray(0, 430).toString("base64"))), "QuoteBodyLengthInvalid", [430n]);
    expectIasError(read(withQuote(Buffer.concat([q, q.subarray(0, 3)]).toString("base64"))), "QuoteBodyLengthInvalid", [435n]);
    expectIasError(read(withQuote("")), "QuoteBodyLengthInvalid", [0n]);
    // Non-canonical: unused bits before the padding must be zero.
    expect(decodeStandardBase64("AQ==")).to.deep.equal(Uint8Array.from([1]));
    expect(decodeStandardBase64("AR==")).to.equal(undefined);
    expect(decodeStandardBase64("AAE=")).to.deep.equal(Uint8Array.from([0, 1]));
    expect(decodeStandardBase64("AAF=")).to.equal(undefined);
    expect(decodeStandardBase64("A===")).to.equal(undefined);
  });

  it("timestamp: YYYY-MM-DDTHH:MM:SS with an optional 1-6 digit fraction, real instants from 1970 (ReportTimestampInvalid)", function () {
    expect(parseIasTimestamp("2020-02-29T23:59:59")).to.equal(unixOfIasTimestamp("2020-02-29T23:59:59"));
    expect(parseIasTimestamp("2020-02-29T23:59:59.9")).to.equal(unixOfIasTimestamp("2020-02-29T23:59:59"));
    expect(parseIasTimestamp("1970-01-01T00:00:00.000000")).to.equal(0n);
    for (const bad of ["2021-02-29T00:00:00", "2020-04-31T00:00:00", "2020-13-01T00:00:00", "2020-01-01T24:00:00", "2020-01-01T00:60:00", "2020-01-01T00:00:60", "1969-12-31T23:59:59", "2020-01-01T00:00:00.", "2020-01-01T00:00:00.1234567", "2020-01-01T00:00:00Z", "2020-01-01 00:00:00", "2020-01-01T00:00:0a"]) {
      expect(parseIasTimestamp(bad), bad).to.equal(undefined);
      expectIasError(read(body(ID, `"timestamp":"${bad}"`, STATUS, QUOTE_MEMBER)), "ReportTimestampInvalid");
    }
  });

  it("the quote body is judged before the timestamp", function () {
    expectIasError(read(body(ID, '"timestamp":"yesterday"', STATUS, '"isvEnclaveQuoteBody":""')), "QuoteBodyLengthInvalid", [0n]);
  });
});
