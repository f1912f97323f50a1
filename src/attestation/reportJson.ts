/**
 * The report-body parser: the exact byte-level JSON subset the on-chain `IasVerifier` accepts, so both
 * verifiers reject the same inputs at the same byte offset (see docs/attestation.md, "Report grammar").
 *
 *   report  = ws "{" ws [ member *( ws "," ws member ) ws ] "}" ws        (nothing after it)
 *   member  = string ws ":" ws value
 *   value   = string / number / "null" / "true" / "false" / array
 *   array   = "[" ws [ scalar *( ws "," ws scalar ) ws ] "]"              (no nested arrays or objects)
 *   scalar  = string / number / "null" / "true" / "false"
 *   string  = DQUOTE *( unescaped / "\" escaped ) DQUOTE
 *   number  = 1*DIGIT                                                     (non-negative integers only)
 *   ws      = *( SP / HTAB / LF / CR )
 *
 * `unescaped` is any byte other than `"`, `\` and control bytes 0x00..0x1F; `escaped` is one of
 * `" \ / b f n r t` or `u` followed by four hex digits. A failure reports the offset of the first
 * byte that cannot continue the grammar (the input length when it ends early).
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
const FIRST_PRINTABLE = 0x20;
const SIMPLE_ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]); // " \ / b f n r t
const UNICODE_ESCAPE = 0x75; // u
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

  literal(text: string): void {
    for (let i = 0; i < text.length; i++) this.expect(text.charCodeAt(i));
  }

  string(): JsonScalar & { kind: "string" } {
    const start = this.pos;
    this.expect(QUOTE);
    let escaped = false;
    for (;;) {
      const b = this.peek();
      if (b === -1 || b < FIRST_PRINTABLE) malformed(this.pos);
      if (b === QUOTE) break;
      if (b === BACKSLASH) {
        escaped = true;
        this.pos++;
        const e = this.peek();
        if (e === UNICODE_ESCAPE) {
          this.pos++;
          for (let i = 0; i < UNICODE_ESCAPE_DIGITS; i++) {
            if (!isHexDigit(this.peek())) malformed(this.pos);
            this.pos++;
          }
        } else if (SIMPLE_ESCAPES.has(e)) {
          this.pos++;
        } else {
          malformed(this.pos);
        }
      } else {
        this.pos++;
      }
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
    if (b === 0x6e) {
      this.literal("null");
      return { kind: "null", offset };
    }
    if (b === 0x74) {
      this.literal("true");
      return { kind: "boolean", value: true, offset };
    }
    if (b === 0x66) {
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

/** Parses a report body into its members in document order; throws `ReportMalformed(offset)`. */
export function parseReportJson(bytes: Uint8Array): JsonMember[] {
  const c = new Cursor(bytes);
  const members: JsonMember[] = [];
  c.skipWhitespace();
  c.expect(OPEN_BRACE);
  c.skipWhitespace();
  if (c.peek() !== CLOSE_BRACE) {
    for (;;) {
      if (c.peek() !== QUOTE) malformed(c.pos);
      const key = c.string();
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
