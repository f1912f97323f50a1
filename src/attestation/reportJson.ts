/**
 * The report-body parser: the exact byte-level JSON subset the on-chain `IasVerifier` accepts, so both
 * verifiers reject the same inputs at the same byte offset (normative text: docs/attestation-onchain.md,
 * "Step 4: the JSON grammar").
 *
 *   report    = ws "{" ws [ member *( ws "," ws member ) ws ] "}" ws      (then end of input)
 *   member    = string ws ":" ws value
 *   value     = string / number / "null" / "true" / "false" / array
 *   array     = "[" ws [ scalar *( ws "," ws scalar ) ws ] "]"            (no nested arrays or objects)
 *   scalar    = string / number / "null" / "true" / "false"
 *   string    = DQUOTE *( unescaped / "\" any-byte ) DQUOTE
 *   unescaped = any byte except DQUOTE and "\"                              (control and non-ASCII bytes too)
 *   number    = 1*DIGIT                                                   (leading zeros allowed)
 *   ws        = *( SP / HTAB / LF / CR )
 *
 * A backslash escapes exactly the next byte, whatever it is. A failure reports the offset of the first
 * byte that cannot continue the grammar, the first letter of a broken `null`/`true`/`false`, or the
 * input length when it ends early. A known key seen a second time fails right after its closing quote
 * with `ReportFieldDuplicated`, before anything after it is read.
 */
import { IasVerificationError } from "./errors";

export type JsonScalar =
  | { kind: "string"; text: string; escaped: boolean; offset: number }
  | { kind: "number"; digits: string; offset: number }
  | { kind: "null"; offset: number }
  | { kind: "boolean"; value: boolean; offset: number };

export type JsonValue = JsonScalar | { kind: "array"; items: JsonScalar[]; offset: number };

export interface JsonMember {
  /** The key's bytes between the quotes (escape sequences left as written). */
  key: string;
  keyOffset: number;
  value: JsonValue;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const LETTER_N = 0x6e;
const LETTER_T = 0x74;
const LETTER_F = 0x66;

function malformed(offset: number): never {
  throw new IasVerificationError("ReportMalformed", [BigInt(offset)]);
}

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

class Cursor {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  get atEnd(): boolean {
    return this.pos >= this.bytes.length;
  }

  peek(): number {
    return this.atEnd ? -1 : this.bytes[this.pos];
  }

  skipWhitespace(): void {
    while (!this.atEnd && isWhitespace(this.bytes[this.pos])) this.pos++;
  }

  expect(byte: number): void {
    if (this.peek() !== byte) malformed(this.pos);
    this.pos++;
  }

  /** `null` / `true` / `false`; a mismatch fails at the literal's first letter. */
  literal(text: string): void {
    const start = this.pos;
    for (let i = 0; i < text.length; i++) {
      if (start + i >= this.bytes.length || this.bytes[start + i] !== text.charCodeAt(i)) malformed(start);
    }
    this.pos = start + text.length;
  }

  string(): JsonScalar & { kind: "string" } {
    const start = this.pos;
    this.expect(QUOTE);
    let escaped = false;
    for (;;) {
      const b = this.peek();
      if (b === -1) malformed(this.pos);
      if (b === QUOTE) break;
      if (b === BACKSLASH) {
        escaped = true;
        this.pos++;
        if (this.atEnd) malformed(this.pos);
      }
      this.pos++;
    }
    const text = Buffer.from(this.bytes.subarray(start + 1, this.pos)).toString("latin1");
    this.pos++; // closing quote
    return { kind: "string", text, escaped, offset: start };
  }

  scalar(): JsonScalar {
    const offset = this.pos;
    const b = this.peek();
    if (b === QUOTE) return this.string();
    if (isDigit(b)) {
      while (isDigit(this.peek())) this.pos++;
      return { kind: "number", digits: Buffer.from(this.bytes.subarray(offset, this.pos)).toString("latin1"), offset };
    }
    if (b === LETTER_N) {
      this.literal("null");
      return { kind: "null", offset };
    }
    if (b === LETTER_T) {
      this.literal("true");
      return { kind: "boolean", value: true, offset };
    }
    if (b === LETTER_F) {
      this.literal("false");
      return { kind: "boolean", value: false, offset };
    }
    return malformed(offset);
  }

  value(): JsonValue {
    if (this.peek() !== OPEN_BRACKET) return this.scalar();
    const offset = this.pos;
    this.pos++;
    const items: JsonScalar[] = [];
    this.skipWhitespace();
    if (this.peek() === CLOSE_BRACKET) {
      this.pos++;
      return { kind: "array", items, offset };
    }
    for (;;) {
      items.push(this.scalar());
      this.skipWhitespace();
      if (this.peek() === CLOSE_BRACKET) {
        this.pos++;
        return { kind: "array", items, offset };
      }
      this.expect(COMMA);
      this.skipWhitespace();
    }
  }
}

/**
 * Parses a report body into its members in document order. Throws `ReportMalformed(offset)` on a grammar
 * violation and `ReportFieldDuplicated(key)` when a key from `duplicateChecked` appears a second time.
 */
export function parseReportJson(bytes: Uint8Array, duplicateChecked: ReadonlySet<string> = new Set()): JsonMember[] {
  const c = new Cursor(bytes);
  const members: JsonMember[] = [];
  const seen = new Set<string>();
  c.skipWhitespace();
  c.expect(OPEN_BRACE);
  c.skipWhitespace();
  if (c.peek() !== CLOSE_BRACE) {
    for (;;) {
      if (c.peek() !== QUOTE) malformed(c.pos);
      const key = c.string();
      if (duplicateChecked.has(key.text)) {
        if (seen.has(key.text)) throw new IasVerificationError("ReportFieldDuplicated", [key.text]);
        seen.add(key.text);
      }
      c.skipWhitespace();
      c.expect(COLON);
      c.skipWhitespace();
      const value = c.value();
      members.push({ key: key.text, keyOffset: key.offset, value });
      c.skipWhitespace();
      if (c.peek() === CLOSE_BRACE) break;
      c.expect(COMMA);
      c.skipWhitespace();
    }
  }
  c.pos++; // closing brace
  c.skipWhitespace();
  if (!c.atEnd) malformed(c.pos);
  return members;
}
