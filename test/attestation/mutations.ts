/**
 * Systematic mutations of real IAS report bodies, for the differential test (TS verifier vs contract).
 * Each mutation is a named body; callers sign it (development IAS) so parsing is reached, or keep
 * Intel's signature to test the signature check. Built with JSON.parse/JSON.stringify, independently
 * of the parser under test (the development-IAS test shows that re-serialising reproduces the bytes).
 */

export interface Mutation {
  name: string;
  body: Buffer;
}

type Entries = [string, unknown][];

function serialize(entries: Entries, opts: { colon?: string; comma?: string; open?: string; close?: string } = {}): string {
  const colon = opts.colon ?? ":";
  const comma = opts.comma ?? ",";
  return (opts.open ?? "{") + entries.map(([k, v]) => `${JSON.stringify(k)}${colon}${JSON.stringify(v)}`).join(comma) + (opts.close ?? "}");
}

function withRaw(entries: Entries, key: string, raw: string): string {
  return "{" + entries.map(([k, v]) => `${JSON.stringify(k)}:${k === key ? raw : JSON.stringify(v)}`).join(",") + "}";
}

function latin1(s: string): Buffer {
  return Buffer.from(s, "latin1");
}

/** Quote-body base64 variants: [name, raw JSON value]. */
function quoteBodyVariants(b64: string): [string, string][] {
  const quote = Buffer.from(b64, "base64");
  const enc = (b: Buffer) => JSON.stringify(b.toString("base64"));
  const setDebug = Buffer.from(quote);
  setDebug[96] |= 0x02;
  const clearDebug = Buffer.from(quote);
  clearDebug[96] &= ~0x02;
  const otherEnclave = Buffer.from(quote);
  otherEnclave[112] ^= 0xff;
  // A 431-byte body ends in "=", a 430-byte one in "=="; make the last data character non-canonical.
  const b431 = quote.subarray(0, 431).toString("base64");
  const b430 = quote.subarray(0, 430).toString("base64");
  const bump = (s: string, at: number) => s.slice(0, at) + (s[at] === "A" ? "B" : "A") + s.slice(at + 1);
  return [
    ["quote DEBUG set", enc(setDebug)],
    ["quote DEBUG cleared", enc(clearDebug)],
    ["quote MRENCLAVE changed", enc(otherEnclave)],
    ["quote 431 bytes", enc(quote.subarray(0, 431))],
    ["quote 430 bytes", enc(quote.subarray(0, 430))],
    ["quote 433 bytes", enc(Buffer.concat([quote, Buffer.from([1])]))],
    ["quote 435 bytes", enc(Buffer.concat([quote, Buffer.from([1, 2, 3])]))],
    ["quote 429 bytes", enc(quote.subarray(0, 429))],
    ["quote empty", '""'],
    ["quote 3 bytes", enc(quote.subarray(0, 3))],
    ["quote non-canonical =", JSON.stringify(bump(b431, b431.length - 2))],
    ["quote non-canonical ==", JSON.stringify(bump(b430, b430.length - 3))],
    ["quote '-' (url-safe alphabet)", JSON.stringify(b64.slice(0, 10) + "-" + b64.slice(11))],
    ["quote '_' (url-safe alphabet)", JSON.stringify(b64.slice(0, 575) + "_")],
    ["quote '=' in the middle", JSON.stringify(b64.slice(0, 100) + "=" + b64.slice(101))],
    ["quote one char short", JSON.stringify(b64.slice(1))],
    ["quote extra padding", JSON.stringify(b64 + "====")],
    ["quote space inside", JSON.stringify(b64.slice(0, 200) + " " + b64.slice(201))],
    ["quote unpadded 431", JSON.stringify(b431.replace(/=+$/, ""))],
    ["quote '===' final quad", JSON.stringify(b64.slice(0, 573) + "===")],
    ["quote '=' then data", JSON.stringify(b64.slice(0, 574) + "=A")],
  ];
}

const TIMESTAMPS = [
  "2020-02-29T12:00:00.000000",
  "2021-02-29T12:00:00.000000",
  "2020-01-01T00:00:00",
  "2020-01-01T00:00:00.",
  "2020-01-01T00:00:00.1",
  "2020-01-01T00:00:00.1234567",
  "2020-01-01T00:00:00Z",
  "2020-01-01T00:00:00.000000Z",
  "2020-01-01 00:00:00.000000",
  "2020-13-01T00:00:00.000000",
  "2020-00-01T00:00:00.000000",
  "2020-04-31T00:00:00.000000",
  "2020-01-00T00:00:00.000000",
  "2020-01-01T24:00:00.000000",
  "2020-01-01T23:60:00.000000",
  "2020-01-01T23:59:60.000000",
  "1969-12-31T23:59:59.000000",
  "2016-11-22T09:36:57.999999",
  "2016-11-22T09:36:58.000000",
  "2026-11-20T09:36:58.999999",
  "2026-11-20T09:36:59.000000",
  "2049-12-31T23:59:59.999999",
  "2050-01-01T00:00:00.000000",
  "9999-12-31T23:59:59.999999",
  "20-01-01T00:00:00.000000",
  "2020-1-01T00:00:00.000000",
  "2020-01-01T00:00:0a.000000",
  "2020-01-01T00:00:00.00000a",
  "+020-01-01T00:00:00.000000",
  "",
];

const VERSION_VALUES = ["2", "3", "4", "5", "1", "6", "0", "9", "04", "40", '"4"', "null", "true", "[4]", "44444444444444444444444444444444444444444444444444444444444444444444444444444444"];

const FOREIGN_VALUES: [string, string][] = [
  ["number", "1"],
  ["null", "null"],
  ["true", "true"],
  ["empty array", "[]"],
  ["array", '["a",1]'],
  ["escaped string", '"a\\"b"'],
  ["escaped slash", '"a\\/b"'],
  ["empty string", '""'],
];

/** Unknown members inserted after the first member: [name, raw "key":value]. */
const EXTRA_MEMBERS: [string, string][] = [
  ["unknown key", '"unknownKey":"x"'],
  ["unknown array of scalars", '"u":[1,"a",null,true,false,007]'],
  ["unknown nested array", '"u":[[1]]'],
  ["unknown object", '"u":{}'],
  ["unknown negative", '"u":-1'],
  ["unknown float", '"u":1.5'],
  ["unknown exponent", '"u":1e5'],
  ["unknown unicode escape", '"u":"\\u0041"'],
  ["unknown backslash any byte", '"u":"\\q"'],
  ["unknown control byte in string", '"u":"a\x01b"'],
  ["unknown raw non-ASCII", '"u":"\xe9\xff"'],
  ["unknown truncated null", '"u":nul'],
  ["unknown misspelt true", '"u":tru,"v":1'],
  ["unknown truncated false", '"u":fals'],
  ["unknown array trailing comma", '"u":[1,]'],
  ["unknown array missing comma", '"u":[1 2]'],
  ["unknown array whitespace", '"u":[ 1 , "a" ]'],
  ["unknown key repeated", '"u":1,"u":2'],
  ["escaped key looking like id", '"i\\u0064":"1"'],
  ["key with escaped quote", '"a\\"b":1'],
  // The strict grammar (audit F-7): RFC 8259 escapes only, no raw control bytes, no escapes in keys, no leading
  // zeros, no repeated key of any kind.
  ["unknown every escape", '"u":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00aF\\uFFFF"'],
  ["unknown \\u with a non-hex digit", '"u":"\\u0g41"'],
  ["unknown \\u with three digits", '"u":"\\u041"'],
  ["unknown \\x escape", '"u":"\\x41"'],
  ["unknown escaped control byte", '"u":"\\\x01"'],
  ["unknown NUL in string", '"u":"a\x00b"'],
  ["unknown 0x1f in string", '"u":"\x1f"'],
  ["unknown DEL in string", '"u":"\x7f"'],
  ["unknown tab in string", '"u":"a\tb"'],
  ["control byte in a key", '"u\x02":1'],
  ["escaped slash in a key", '"u\\/":1'],
  ["unknown zero", '"u":0'],
  ["unknown double zero", '"u":00'],
  ["unknown zero then digit in array", '"u":[0,01]'],
  ["unknown zero then space", '"u":0 ,"v":1'],
  ["unknown keys differing in one byte", '"u":1,"v":2,"U":3'],
  ["missing colon", '"u" 1'],
  ["double colon", '"u"::1'],
  ["unquoted key", "u:1"],
  ["empty key", '"":1'],
];

/** Every mutation class of the differential test, for one real report body. */
export function structuralMutations(original: Buffer): Mutation[] {
  const text = original.toString("latin1");
  const obj = JSON.parse(text) as Record<string, unknown>;
  const entries = Object.entries(obj) as Entries;
  const out: Mutation[] = [];
  const add = (name: string, body: string | Buffer) => out.push({ name, body: typeof body === "string" ? latin1(body) : body });

  add("identity (re-signed)", original);
  add("keys reversed", serialize([...entries].reverse()));
  add("keys rotated", serialize([...entries.slice(1), entries[0]]));
  add("quote body first", serialize([...entries.filter(([k]) => k === "isvEnclaveQuoteBody"), ...entries.filter(([k]) => k !== "isvEnclaveQuoteBody")]));
  for (const [k, v] of entries) {
    add(`duplicate ${k} at end`, serialize([...entries, [k, v]]));
    add(`missing ${k}`, serialize(entries.filter(([x]) => x !== k)));
  }
  add("duplicate id first", serialize([["id", "1"], ...entries]));
  add("duplicate tcbEvaluationDataNumber", serialize([...entries, ["tcbEvaluationDataNumber", 1], ["tcbEvaluationDataNumber", 2]]));
  add("duplicate pseManifestHash", serialize([["pseManifestHash", "a"], ...entries, ["pseManifestHash", "b"]]));
  add("duplicate revocationReason then malformed", serialize([["revocationReason", 1], ...entries, ["revocationReason", 1]]).slice(0, -1) + ",}");
  add("pretty printed", JSON.stringify(obj, null, 2));
  add("tabs and CRLF", serialize(entries, { colon: "\t:\r\n", comma: "\r\n,\t", open: "\r\n{\t", close: " }\n" }));
  add("spaces everywhere", serialize(entries, { colon: " : ", comma: " , ", open: " { ", close: " } " }));
  add("leading BOM", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), original]));
  add("leading form feed", "\f" + text);
  add("trailing garbage", text + "x");
  add("trailing second object", text + "{}");
  add("trailing NUL", Buffer.concat([original, Buffer.from([0])]));
  add("trailing comma before }", text.slice(0, -1) + ",}");
  add("missing closing brace", text.slice(0, -1));
  add("array instead of object", "[" + text.slice(1, -1) + "]");
  add("empty object", "{}");
  add("empty input", "");
  add("whitespace only", " \n\t\r");
  add("only members, no braces", text.slice(1, -1));

  for (const [name, member] of EXTRA_MEMBERS) {
    add(name, text.replace(/^\{/, "{" + member + ","));
  }
  for (const v of VERSION_VALUES) add(`version ${v.slice(0, 12)}`, withRaw(entries.some(([k]) => k === "version") ? entries : [...entries, ["version", 0]], "version", v));
  for (const field of ["id", "timestamp", "isvEnclaveQuoteStatus", "isvEnclaveQuoteBody"]) {
    for (const [name, raw] of FOREIGN_VALUES) add(`${field} as ${name}`, withRaw(entries, field, raw));
  }
  for (const ts of TIMESTAMPS) add(`timestamp "${ts}"`, withRaw(entries, "timestamp", JSON.stringify(ts)));
  for (const status of ["OK", "GROUP_REVOKED", "", "ok", "SW_HARDENING_NEEDED", "O\xffK\xc3", "\xc3\xa9t\xc3\xa9"]) add(`status "${status}"`, withRaw(entries, "isvEnclaveQuoteStatus", JSON.stringify(status)));
  for (const [name, raw] of quoteBodyVariants(obj.isvEnclaveQuoteBody as string)) add(name, withRaw(entries, "isvEnclaveQuoteBody", raw));
  return out;
}

/** Positions spread over the body plus every structural byte of the first members. */
export function interestingOffsets(body: Buffer, spread: number, structuralCount = 24): number[] {
  const set = new Set<number>([0, 1, body.length - 2, body.length - 1]);
  for (let i = 0; i < spread; i++) set.add(Math.floor(((i + 0.5) * body.length) / spread));
  let structural = 0;
  for (let i = 0; i < body.length && structural < structuralCount; i++) {
    if ('{}:,"[]'.includes(String.fromCharCode(body[i]))) {
      set.add(i);
      structural++;
    }
  }
  return [...set].filter((i) => i >= 0 && i < body.length).sort((a, b) => a - b);
}

/** Byte replacements probing every token class of the grammar. */
export const SUBSTITUTES = [0x22, 0x5c, 0x20, 0x7b, 0x7d, 0x2c, 0x3a, 0x30, 0x78, 0x00, 0xff, 0x5b];

export function byteMutations(body: Buffer, spread: number, structuralCount = 24): Mutation[] {
  const out: Mutation[] = [];
  const offsets = interestingOffsets(body, spread, structuralCount);
  offsets.forEach((at, n) => {
    // Two substitutes per offset, rotating through the list, plus one bit flip.
    for (const sub of [SUBSTITUTES[n % SUBSTITUTES.length], SUBSTITUTES[(n + 5) % SUBSTITUTES.length]]) {
      if (body[at] === sub) continue;
      const b = Buffer.from(body);
      b[at] = sub;
      out.push({ name: `byte ${at} := 0x${sub.toString(16)}`, body: b });
    }
    const f = Buffer.from(body);
    f[at] ^= 0x01;
    out.push({ name: `byte ${at} ^= 0x01`, body: f });
  });
  for (const at of offsets.filter((_, i) => i % 3 === 0)) {
    out.push({ name: `delete byte ${at}`, body: Buffer.concat([body.subarray(0, at), body.subarray(at + 1)]) });
    out.push({ name: `insert space at ${at}`, body: Buffer.concat([body.subarray(0, at), Buffer.from(" "), body.subarray(at)]) });
  }
  for (let i = 0; i <= 8; i++) {
    const len = Math.floor((i * body.length) / 8);
    if (len !== body.length) out.push({ name: `truncate to ${len}`, body: body.subarray(0, len) });
  }
  return out;
}
