/**
 * DCAP collateral as the Intel PCS serves it: TCB Info v3 (`{"tcbInfo":{…},"signature":"<r||s hex>"}`) and
 * QE Identity v2 (`{"enclaveIdentity":{…},"signature":"…"}`), each signed over the exact bytes of the inner
 * object by the TCB Signing key. The outer form is read strictly (the signed span must be found without
 * guessing), the signature is checked before any field is believed, then every field is typed.
 */
import { CollateralKind, dcapError } from "./errors";
import { verifyP256 } from "./ecdsa";
import type { Certificate } from "./x509";
import { unixSeconds } from "../time";

/** TCB statuses of TCB Info v3 and QE Identity v2. */
export const TCB_STATUSES = [
  "UpToDate",
  "SWHardeningNeeded",
  "ConfigurationNeeded",
  "ConfigurationAndSWHardeningNeeded",
  "OutOfDate",
  "OutOfDateConfigurationNeeded",
  "Revoked",
] as const;
export type TcbStatus = (typeof TCB_STATUSES)[number];

export const TCB_INFO_VERSION = 3;
export const TCB_INFO_ID_SGX = "SGX";
export const TCB_TYPE_0 = 0;
export const QE_IDENTITY_VERSION = 2;
export const QE_IDENTITY_ID_QE = "QE";
const SIGNATURE_HEX_LENGTH = 128;

export interface TcbLevel {
  /** The 16 sgxtcbcomponents SVNs. */
  components: number[];
  pceSvn: number;
  tcbDate: string;
  status: TcbStatus;
  advisoryIds: string[];
}

export interface TcbInfo {
  version: number;
  issueDate: bigint;
  nextUpdate: bigint;
  /** lowercase hex. */
  fmspc: string;
  pceId: string;
  tcbType: number;
  tcbEvaluationDataNumber: number;
  levels: TcbLevel[];
}

export interface QeTcbLevel {
  isvSvn: number;
  tcbDate: string;
  status: TcbStatus;
  advisoryIds: string[];
}

export interface QeIdentity {
  version: number;
  issueDate: bigint;
  nextUpdate: bigint;
  tcbEvaluationDataNumber: number;
  miscselect: number;
  miscselectMask: number;
  /** 16 bytes each, lowercase hex. */
  attributes: string;
  attributesMask: string;
  mrsigner: string;
  isvProdId: number;
  levels: QeTcbLevel[];
}

export interface SignedCollateral {
  /** The exact bytes of the inner object: what the TCB Signing key signed. */
  body: Uint8Array;
  /** r || s. */
  signature: Uint8Array;
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = 0x7b;
const CLOSE = 0x7d;

/** The index just past the JSON object starting at `start` (strings and escapes respected), or -1. */
function objectEnd(b: Uint8Array, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < b.length; i++) {
    const c = b[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN || c === 0x5b) {
      depth++;
    } else if (c === CLOSE || c === 0x5d) {
      depth--;
      if (depth === 0) return c === CLOSE ? i + 1 : -1;
      if (depth < 0) return -1;
    }
  }
  return -1;
}

function startsWithAt(b: Uint8Array, at: number, text: string): boolean {
  if (at + text.length > b.length) return false;
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/**
 * Splits a PCS body `{"<field>":{…},"signature":"<128 hex>"}` (trailing whitespace allowed) into the signed
 * object's bytes and the signature. Anything else is `CollateralMalformed(kind, offset)`.
 */
export function splitSignedCollateral(kind: CollateralKind, bytes: Uint8Array, field: string): SignedCollateral {
  const k = BigInt(kind);
  const prefix = `{"${field}":`;
  if (!startsWithAt(bytes, 0, prefix)) dcapError("CollateralMalformed", k, 0n);
  const start = prefix.length;
  if (bytes[start] !== OPEN) dcapError("CollateralMalformed", k, BigInt(start));
  const end = objectEnd(bytes, start);
  if (end < 0) dcapError("CollateralMalformed", k, BigInt(start));
  const middle = ',"signature":"';
  if (!startsWithAt(bytes, end, middle)) dcapError("CollateralMalformed", k, BigInt(end));
  const sigStart = end + middle.length;
  const sigHex = Buffer.from(bytes.subarray(sigStart, sigStart + SIGNATURE_HEX_LENGTH)).toString("latin1");
  if (!/^[0-9a-fA-F]{128}$/.test(sigHex)) dcapError("CollateralMalformed", k, BigInt(sigStart));
  let p = sigStart + SIGNATURE_HEX_LENGTH;
  if (!startsWithAt(bytes, p, '"}')) dcapError("CollateralMalformed", k, BigInt(p));
  p += 2;
  while (p < bytes.length && WHITESPACE.has(bytes[p])) p++;
  if (p !== bytes.length) dcapError("CollateralMalformed", k, BigInt(p));
  return { body: Uint8Array.from(bytes.subarray(start, end)), signature: Uint8Array.from(Buffer.from(sigHex, "hex")) };
}

/** Checks the TCB Signing key's signature over the signed object. */
export function checkCollateralSignature(kind: CollateralKind, signed: SignedCollateral, signer: Certificate): void {
  if (!verifyP256(signed.body, signed.signature, signer.publicKey)) dcapError("CollateralSignatureInvalid", BigInt(kind));
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Typed field access on a parsed object; every mismatch is `CollateralFieldInvalid(kind, path)`. */
class Fields {
  constructor(
    readonly kind: CollateralKind,
    readonly obj: { [k: string]: Json },
    readonly path: string,
  ) {}

  private bad(name: string): never {
    return dcapError("CollateralFieldInvalid", BigInt(this.kind), this.path === "" ? name : `${this.path}.${name}`);
  }

  raw(name: string): Json | undefined {
    return Object.prototype.hasOwnProperty.call(this.obj, name) ? this.obj[name] : undefined;
  }

  int(name: string, max: number): number {
    const v = this.raw(name);
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) this.bad(name);
    return v;
  }

  string(name: string): string {
    const v = this.raw(name);
    if (typeof v !== "string") this.bad(name);
    return v;
  }

  hex(name: string, bytes: number): string {
    const v = this.string(name);
    if (v.length !== 2 * bytes || !/^[0-9a-fA-F]*$/.test(v)) this.bad(name);
    return v.toLowerCase();
  }

  literal<T extends string | number>(name: string, value: T): T {
    if (this.raw(name) !== value) this.bad(name);
    return value;
  }

  /** `YYYY-MM-DDTHH:MM:SSZ` as unix seconds. */
  date(name: string): bigint {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/.exec(this.string(name));
    const s = m === null ? undefined : unixSeconds(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6]);
    if (s === undefined) this.bad(name);
    return s;
  }

  status(name: string): TcbStatus {
    const v = this.string(name);
    if (!(TCB_STATUSES as readonly string[]).includes(v)) this.bad(name);
    return v as TcbStatus;
  }

  /** advisoryIDs: absent (none) or an array of strings. */
  advisories(name: string): string[] {
    const v = this.raw(name);
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((a) => typeof a !== "string")) this.bad(name);
    return v as string[];
  }

  array(name: string): Json[] {
    const v = this.raw(name);
    if (!Array.isArray(v) || v.length === 0) this.bad(name);
    return v;
  }

  object(name: string): Fields {
    return Fields.of(this.kind, this.raw(name), this.path === "" ? name : `${this.path}.${name}`);
  }

  static of(kind: CollateralKind, v: Json | undefined, path: string): Fields {
    if (typeof v !== "object" || v === null || Array.isArray(v)) dcapError("CollateralFieldInvalid", BigInt(kind), path);
    return new Fields(kind, v, path);
  }
}

function parseJson(kind: CollateralKind, body: Uint8Array): Json {
  try {
    return JSON.parse(Buffer.from(body).toString("utf8")) as Json;
  } catch {
    // The span was delimited, but its content is not JSON.
    return dcapError("CollateralMalformed", BigInt(kind), 0n);
  }
}

/** TCB Info v3 for SGX, from the signed object's bytes. */
export function parseTcbInfo(body: Uint8Array): TcbInfo {
  const kind = CollateralKind.TcbInfo;
  const f = Fields.of(kind, parseJson(kind, body), "");
  f.literal("id", TCB_INFO_ID_SGX);
  f.literal("version", TCB_INFO_VERSION);
  const info: TcbInfo = {
    version: TCB_INFO_VERSION,
    issueDate: f.date("issueDate"),
    nextUpdate: f.date("nextUpdate"),
    fmspc: f.hex("fmspc", 6),
    pceId: f.hex("pceId", 2),
    tcbType: f.literal("tcbType", TCB_TYPE_0),
    tcbEvaluationDataNumber: f.int("tcbEvaluationDataNumber", 0xffffffff),
    levels: [],
  };
  f.array("tcbLevels").forEach((item, i) => {
    const level = Fields.of(kind, item, `tcbLevels[${i}]`);
    const tcb = level.object("tcb");
    const comps = tcb.raw("sgxtcbcomponents");
    if (!Array.isArray(comps) || comps.length !== 16) dcapError("CollateralFieldInvalid", BigInt(kind), `tcbLevels[${i}].tcb.sgxtcbcomponents`);
    info.levels.push({
      components: comps.map((c, j) => Fields.of(kind, c, `tcbLevels[${i}].tcb.sgxtcbcomponents[${j}]`).int("svn", 255)),
      pceSvn: tcb.int("pcesvn", 0xffff),
      tcbDate: level.string("tcbDate"),
      status: level.status("tcbStatus"),
      advisoryIds: level.advisories("advisoryIDs"),
    });
  });
  return info;
}

/** QE Identity v2 for the quoting enclave, from the signed object's bytes. */
export function parseQeIdentity(body: Uint8Array): QeIdentity {
  const kind = CollateralKind.QeIdentity;
  const f = Fields.of(kind, parseJson(kind, body), "");
  f.literal("id", QE_IDENTITY_ID_QE);
  f.literal("version", QE_IDENTITY_VERSION);
  const identity: QeIdentity = {
    version: QE_IDENTITY_VERSION,
    issueDate: f.date("issueDate"),
    nextUpdate: f.date("nextUpdate"),
    tcbEvaluationDataNumber: f.int("tcbEvaluationDataNumber", 0xffffffff),
    miscselect: parseInt(f.hex("miscselect", 4), 16),
    miscselectMask: parseInt(f.hex("miscselectMask", 4), 16),
    attributes: f.hex("attributes", 16),
    attributesMask: f.hex("attributesMask", 16),
    mrsigner: f.hex("mrsigner", 32),
    isvProdId: f.int("isvprodid", 0xffff),
    levels: [],
  };
  f.array("tcbLevels").forEach((item, i) => {
    const level = Fields.of(kind, item, `tcbLevels[${i}]`);
    identity.levels.push({
      isvSvn: level.object("tcb").int("isvsvn", 0xffff),
      tcbDate: level.string("tcbDate"),
      status: level.status("tcbStatus"),
      advisoryIds: level.advisories("advisoryIDs"),
    });
  });
  return identity;
}

/** issueDate <= now <= nextUpdate + grace. */
export function checkFreshness(kind: CollateralKind, issueDate: bigint, nextUpdate: bigint, now: bigint, grace: bigint): void {
  if (now < issueDate) dcapError("CollateralNotYetValid", BigInt(kind), issueDate, now);
  if (now > nextUpdate + grace) dcapError("CollateralExpired", BigInt(kind), nextUpdate, now);
}
