/**
 * The report-body parser: the strict byte-level JSON grammar the on-chain `IasVerifier` and the enclave accept
 * (audit F-7), so that all three verifiers reject the same inputs at the same byte offset (normative text:
 * docs/attestation-onchain.md, "Step 4: the JSON grammar").
 *
 *   report    = ws "{" ws [ member *( ws "," ws member ) ws ] "}" ws      (then end of input)
 *   member    = key ws ":" ws value
 *   key       = DQUOTE *key-char DQUOTE                                   (no escapes in keys)
 *   key-char  = %x20-21 / %x23-5B / %x5D-FF
 *   value     = string / number / "null" / "true" / "false" / array
 *   array     = "[" ws [ scalar *( ws "," ws scalar ) ws ] "]"            (no nested arrays or objects)
 *   scalar    = string / number / "null" / "true" / "false"
 *   string    = DQUOTE *( key-char / escape ) DQUOTE                      (no control bytes; non-ASCII as bytes)
 *   escape    = "\" ( DQUOTE / "\" / "/" / "b" / "f" / "n" / "r" / "t" / "u" 4HEXDIG )
 *   number    = "0" / ( %x31-39 *DIGIT )                                  (no leading zeros)
 *   ws        = *( SP / HTAB / LF / CR )
 *
 * A failure reports the offset of the first byte that cannot continue the grammar, the first letter of a broken
 * `null`/`true`/`false`, or the input length when it ends early. A key seen a second time fails right after its
 * closing quote, before anything after it is read: a known key with `ReportFieldDuplicated`, any other with
 * `ReportMalformed` at its opening quote.
 */
import { IasVerificationError } from "./errors";

export type JsonScalar =
  | { kind: "string"; text: string; escaped: boolean; offset: number }
  | { kind: "number"; digits: string; offset: number }
  | { kind: "null"; offset: number }
  | { kind: "boolean"; value: boolean; offset: number };

export type JsonValue = JsonScalar | { kind: "array"; items: JsonScalar[]; offset: number };

export interface JsonMember {
  /** The key's bytes between the quotes (keys hold no escapes). */
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
const LETTER_U = 0x75;
const DIGIT_ZERO = 0x30;
/** Bytes below this are control bytes, which strings may not hold raw (RFC 8259 section 7). */
const FIRST_PRINTABLE = 0x20;
/** The bytes that may follow a backslash (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`), `u` aside. */
const SIMPLE_ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);
const UNICODE_ESCAPE_DIGITS = 4;

function malformed(offset: number): never {
  throw new IasVerificationError("ReportMalformed", [BigInt(offset)]);
}

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

function isHexDigit(b: number): boolean {
  return isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
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

  /** A string; `isKey`: a member's key, which may hold no escape. */
  string(isKey = false): JsonScalar & { kind: "string" } {
    const start = this.pos;
    this.expect(QUOTE);
    let escaped = false;
    for (;;) {
      const b = this.peek();
      if (b === -1 || b < FIRST_PRINTABLE) malformed(this.pos);
      if (b === QUOTE) break;
      if (b === BACKSLASH) {
        if (isKey) malformed(this.pos);
        escaped = true;
        this.escape();
        continue;
      }
      this.pos++;
    }
    const text = Buffer.from(this.bytes.subarray(start + 1, this.pos)).toString("latin1");
    this.pos++; // closing quote
    return { kind: "string", text, escaped, offset: start };
  }

  /** One RFC 8259 escape at the backslash under the cursor; fails at the first byte that cannot continue it. */
  private escape(): void {
    this.pos++;
    const b = this.peek();
    if (b === -1) malformed(this.pos);
    this.pos++;
    if (SIMPLE_ESCAPES.has(b)) return;
    if (b !== LETTER_U) malformed(this.pos - 1);
    for (let i = 0; i < UNICODE_ESCAPE_DIGITS; i++) {
      const h = this.peek();
      if (h === -1 || !isHexDigit(h)) malformed(this.pos);
      this.pos++;
    }
  }

  scalar(): JsonScalar {
    const offset = this.pos;
    const b = this.peek();
    if (b === QUOTE) return this.string();
    if (isDigit(b)) {
      this.pos++;
      // "0" is a whole number: what follows a leading zero is judged by the context.
      if (b !== DIGIT_ZERO) while (isDigit(this.peek())) this.pos++;
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
 * violation or a repeated key, except `ReportFieldDuplicated(key)` when the repeated key is in `duplicateChecked`.
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
      const key = c.string(true);
      if (seen.has(key.text)) {
        if (duplicateChecked.has(key.text)) throw new IasVerificationError("ReportFieldDuplicated", [key.text]);
        malformed(key.offset);
      }
      seen.add(key.text);
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
