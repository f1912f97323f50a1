/**
 * The user-facing wire formats of Anonify (issue 5), TypeScript side: EIP-712 types of what users sign, the
 * command and query objects, HPKE sealing to the enclave and opening of its replies and notifications, and the
 * JSON shapes of the node's HTTP API. The enclave (C++) implements the other end of every format here; the node
 * only forwards the sealed bytes.
 *
 * HPKE everywhere: DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-128-GCM, mode base, aad empty,
 * wire = enc (32 bytes) ‖ ciphertext. Hex is 0x-prefixed lower case; uint64 values in JSON are decimal strings.
 */
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { concat, getAddress, getBytes, hexlify, isAddress, keccak256, verifyTypedData, type Signer, type TypedDataDomain } from "ethers";

export type Hex = `0x${string}`;

// ---------------------------------------------------------------------------------------------
// Constants

/** EIP-712 domain name and version of `AnonifyGroup` (every user signature uses the group's domain). */
export const ANONIFY_DOMAIN_NAME = "Anonify";
export const ANONIFY_DOMAIN_VERSION = "1";

/** HPKE `info` strings, one per message kind, so a message sealed for one purpose never opens as another. */
export const HPKE_INFO = {
  command: "anonify/command/v1",
  read: "anonify/read/v1",
  readReply: "anonify/read-reply/v1",
  subscribe: "anonify/subscribe/v1",
  notify: "anonify/notify/v1",
} as const;

/** Length of the HPKE encapsulated key (X25519 public key) at the start of every sealed message. */
export const HPKE_ENC_LENGTH = 32;
/** X25519 public key length. */
export const X25519_PUBLIC_KEY_LENGTH = 32;
/** Length of an Ethereum signature r ‖ s ‖ v. */
export const SIGNATURE_LENGTH = 65;

const UINT64_MAX = (1n << 64n) - 1n;
const UINT256_MAX = (1n << 256n) - 1n;

/** EIP-712 types users sign (primary type = the single key). */
export const COMMAND_TYPES = {
  Command: [
    { name: "sender", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "payloadHash", type: "bytes32" },
  ],
};
export const READ_TYPES = {
  Read: [
    { name: "sender", type: "address" },
    { name: "queryHash", type: "bytes32" },
    { name: "replyKey", type: "bytes32" },
    { name: "issuedAt", type: "uint64" },
  ],
};
export const SUBSCRIBE_TYPES = {
  Subscribe: [
    { name: "account", type: "address" },
    { name: "replyKey", type: "bytes32" },
    { name: "issuedAt", type: "uint64" },
  ],
};

/** The group's EIP-712 domain: {name "Anonify", version "1", chainId, verifyingContract = the group}. */
export function groupDomain(chainId: bigint | number | string, verifyingContract: string): TypedDataDomain {
  return {
    name: ANONIFY_DOMAIN_NAME,
    version: ANONIFY_DOMAIN_VERSION,
    chainId: BigInt(chainId),
    verifyingContract: getAddress(verifyingContract),
  };
}

/** The domain as enclave method parameters take it (`{chainId, verifyingContract}`, chainId a decimal string). */
export function domainParams(domain: TypedDataDomain): { chainId: string; verifyingContract: Hex } {
  if (domain.chainId === undefined || domain.chainId === null || !domain.verifyingContract) {
    throw new WireFormatError("domain_invalid", "the domain needs chainId and verifyingContract");
  }
  return { chainId: BigInt(domain.chainId).toString(), verifyingContract: lowerHex(domain.verifyingContract) };
}

// ---------------------------------------------------------------------------------------------
// Errors

export type WireErrorCode =
  | "address_invalid"
  | "amount_invalid"
  | "uint64_invalid"
  | "hex_invalid"
  | "key_invalid"
  | "domain_invalid"
  | "command_invalid"
  | "query_invalid"
  | "json_value_invalid"
  | "payload_too_large"
  | "open_failed"
  | "reply_malformed"
  | "signer_mismatch";

/** Bad input to, or undecodable output of, a wire-format function. */
export class WireFormatError extends Error {
  constructor(
    readonly code: WireErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "WireFormatError";
  }
}

// ---------------------------------------------------------------------------------------------
// Command and query objects

/** A uint256 amount as the caller may give it. */
export type AmountLike = bigint | number | string;

export type TokenCommand =
  | { op: "init"; name: string; symbol: string; initialSupply: AmountLike }
  | { op: "transfer"; to: string; amount: AmountLike }
  | { op: "approve"; spender: string; amount: AmountLike }
  | { op: "transferFrom"; from: string; to: string; amount: AmountLike }
  | { op: "mint"; to: string; amount: AmountLike }
  | { op: "burn"; amount: AmountLike };
export type TokenCommandOp = TokenCommand["op"];

export type TokenQuery =
  | { op: "balanceOf"; account: string }
  | { op: "allowance"; owner: string; spender: string }
  | { op: "totalSupply" }
  | { op: "tokenInfo" }
  | { op: "nonce"; account: string };
export type TokenQueryOp = TokenQuery["op"];

/** The `tokenInfo` result. */
export interface TokenInfo {
  name: string;
  symbol: string;
  owner: Hex | null;
  initialized: boolean;
}

/**
 * UTF-8 JSON bytes of a command with the key order of the wire format. These exact bytes are hashed and signed
 * (no canonicalization happens anywhere), so they are produced in one place.
 */
export function encodeCommand(command: TokenCommand): Uint8Array {
  let object: Record<string, string>;
  switch (command.op) {
    case "init":
      if (typeof command.name !== "string" || typeof command.symbol !== "string") {
        throw new WireFormatError("command_invalid", "init needs a string name and symbol");
      }
      object = { op: "init", name: command.name, symbol: command.symbol, initialSupply: amount(command.initialSupply, "initialSupply") };
      break;
    case "transfer":
      object = { op: "transfer", to: address(command.to, "to"), amount: amount(command.amount) };
      break;
    case "approve":
      object = { op: "approve", spender: address(command.spender, "spender"), amount: amount(command.amount) };
      break;
    case "transferFrom":
      object = { op: "transferFrom", from: address(command.from, "from"), to: address(command.to, "to"), amount: amount(command.amount) };
      break;
    case "mint":
      object = { op: "mint", to: address(command.to, "to"), amount: amount(command.amount) };
      break;
    case "burn":
      object = { op: "burn", amount: amount(command.amount) };
      break;
    default:
      throw new WireFormatError("command_invalid", `unknown command op ${JSON.stringify((command as { op?: unknown }).op)}`);
  }
  return utf8(JSON.stringify(object));
}

/** UTF-8 JSON bytes of a query with the key order of the wire format. */
export function encodeQuery(query: TokenQuery): Uint8Array {
  let object: Record<string, string>;
  switch (query.op) {
    case "balanceOf":
      object = { op: "balanceOf", account: address(query.account, "account") };
      break;
    case "allowance":
      object = { op: "allowance", owner: address(query.owner, "owner"), spender: address(query.spender, "spender") };
      break;
    case "totalSupply":
      object = { op: "totalSupply" };
      break;
    case "tokenInfo":
      object = { op: "tokenInfo" };
      break;
    case "nonce":
      object = { op: "nonce", account: address(query.account, "account") };
      break;
    default:
      throw new WireFormatError("query_invalid", `unknown query op ${JSON.stringify((query as { op?: unknown }).op)}`);
  }
  return utf8(JSON.stringify(object));
}

// ---------------------------------------------------------------------------------------------
// Any runtime: the TypeScript description of a runtime's commands and queries, and their JSON encoding

/**
 * Largest command payload and largest query, in bytes of JSON, that an enclave accepts (enclave/PROTOCOL.md "User
 * messages": a command's `payload` is 1..4096 bytes; `kMaxPayloadSize` in enclave/include/anonify/runtime/envelope.h
 * bounds queries too).
 */
export const MAX_PAYLOAD_BYTES = 4096;

/** One query of a runtime: its members besides `op`, and what the enclave answers (the JSON `result`). */
export interface QuerySpec {
  query: object;
  result: unknown;
}

/** The members of a query that takes none besides `op` (`{op: "totalSupply"}`). */
export type NoParams = Record<never, never>;

/**
 * The TypeScript description of a runtime's wire API, which types a `RuntimeClient`:
 *
 * - `command`: the union of the command objects the runtime accepts, each with a literal `op`;
 * - `queries`: one member per query op, `{ query: <members besides op>; result: <the JSON result> }`.
 *
 * ```ts
 * interface AuctionRuntime {
 *   command: { op: "open"; item: string; reserve: bigint } | { op: "bid"; auction: string; amount: bigint };
 *   queries: {
 *     auction: { query: { id: string }; result: { item: string; open: boolean } };
 *     myBid: { query: { auction: string }; result: string | null };
 *   };
 * }
 * ```
 *
 * Values travel as JSON (`encodeRuntimeCommand`): a bigint becomes a decimal string, so a result the runtime writes
 * as an amount string is typed `string`. The ledger answers `nonce` for every runtime (`LedgerQueries`).
 */
export interface RuntimeTypes {
  command: { op: string };
  queries: object;
}

/** The queries the ledger answers itself, whatever the runtime (enclave/PROTOCOL.md, docs/runtimes.md). */
export interface LedgerQueries {
  nonce: { query: { account: string }; result: string };
}

/** A runtime nothing is known about: any command or query with an `op` string, results `unknown`. */
export interface UntypedRuntime {
  command: { op: string; [member: string]: unknown };
  queries: { [op: string]: { query: { [member: string]: unknown }; result: unknown } };
}

/** The query ops of runtime `R`, the ledger's `nonce` included. */
export type QueryOp<R extends RuntimeTypes> = (keyof R["queries"] | keyof LedgerQueries) & string;

type QuerySpecOf<R extends RuntimeTypes, K> = K extends keyof LedgerQueries ? LedgerQueries[K] : K extends keyof R["queries"] ? R["queries"][K] : never;

/** The query object of op `K` of runtime `R` (a union over every op when `K` is not given). */
export type RuntimeQuery<R extends RuntimeTypes, K extends QueryOp<R> = QueryOp<R>> = K extends unknown
  ? { op: K } & (QuerySpecOf<R, K> extends { query: infer Q } ? Q : never)
  : never;

/** What the enclave answers to query op `K` of runtime `R`. */
export type QueryResult<R extends RuntimeTypes, K extends QueryOp<R>> = QuerySpecOf<R, K> extends QuerySpec ? QuerySpecOf<R, K>["result"] : never;

/** The token runtime (docs/runtimes.md "The token") as `RuntimeTypes`; `AnonifyClient` is typed by it. */
export interface TokenRuntimeTypes {
  command: TokenCommand;
  queries: {
    balanceOf: { query: { account: string }; result: string };
    allowance: { query: { owner: string; spender: string }; result: string };
    totalSupply: { query: NoParams; result: string };
    tokenInfo: { query: NoParams; result: TokenInfo };
  };
}

/**
 * How a client turns a runtime's commands and queries into the exact JSON bytes that are signed and sealed. The
 * default, `jsonRuntimeCodec()`, fits any runtime; the token's (`TOKEN_CODEC`) also checks addresses and amounts
 * and writes its fixed key order.
 */
export interface RuntimeCodec<R extends RuntimeTypes> {
  encodeCommand(command: R["command"]): Uint8Array;
  encodeQuery(query: RuntimeQuery<R>): Uint8Array;
}

/** JSON of any runtime's commands and queries: `encodeRuntimeCommand` / `encodeRuntimeQuery`. */
export function jsonRuntimeCodec<R extends RuntimeTypes = UntypedRuntime>(): RuntimeCodec<R> {
  return { encodeCommand: encodeRuntimeCommand, encodeQuery: encodeRuntimeQuery };
}

/** The token's encoders (`encodeCommand`, `encodeQuery`): the bytes the token's wire format pins. */
export const TOKEN_CODEC: RuntimeCodec<TokenRuntimeTypes> = {
  encodeCommand: (command) => encodeCommand(command),
  encodeQuery: (query) => encodeQuery(query),
};

/**
 * UTF-8 JSON bytes of any runtime's command: `op` first, then the other members in the object's own order; a
 * bigint becomes a decimal string. Refused before anything is signed (`WireFormatError`): a value that is not an
 * object (`command_invalid`), a missing or non-string `op` (`command_invalid`), a value JSON cannot carry
 * exactly — undefined, a function, a symbol, NaN or ±Infinity, an integer beyond 2^53, a lone UTF-16 surrogate,
 * a Date/Map/class instance or other non-plain object, a cycle (`json_value_invalid`, naming the member) — and
 * more than `MAX_PAYLOAD_BYTES` bytes (`payload_too_large`).
 */
export function encodeRuntimeCommand(command: object): Uint8Array {
  return encodeRuntimeMessage(command, "command");
}

/** UTF-8 JSON bytes of any runtime's query, with the rules of `encodeRuntimeCommand` (`query_invalid`, …). */
export function encodeRuntimeQuery(query: object): Uint8Array {
  return encodeRuntimeMessage(query, "query");
}

/** `bytes` when 1..`MAX_PAYLOAD_BYTES` long (what any codec's output must be), else `WireFormatError`. */
export function checkPayloadSize(bytes: Uint8Array, kind: "command" | "query"): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new WireFormatError(`${kind}_invalid`, `the encoded ${kind} is empty`);
  if (bytes.length > MAX_PAYLOAD_BYTES) {
    throw new WireFormatError("payload_too_large", `the ${kind} is ${bytes.length} bytes of JSON; an enclave takes at most ${MAX_PAYLOAD_BYTES}`);
  }
  return bytes;
}

function encodeRuntimeMessage(message: unknown, kind: "command" | "query"): Uint8Array {
  const code = kind === "command" ? "command_invalid" : "query_invalid";
  if (message === null || typeof message !== "object" || Array.isArray(message) || !isPlainObject(message)) {
    throw new WireFormatError(code, `a ${kind} must be a JSON object with an "op" string, got ${describeValue(message)}`);
  }
  const object = message as Record<string, unknown>;
  if (!Object.prototype.hasOwnProperty.call(object, "op") || object.op === undefined) {
    throw new WireFormatError(code, `the ${kind} has no "op" member (a string naming the runtime's ${kind}, e.g. {"op":"transfer",…})`);
  }
  if (typeof object.op !== "string" || object.op === "") {
    throw new WireFormatError(code, `the ${kind}'s "op" must be a non-empty string, got ${describeValue(object.op)}`);
  }
  const writer = new JsonWriter(kind);
  writer.object(object, kind, ["op"]);
  return checkPayloadSize(utf8(writer.text), kind);
}

/** Writes a value as JSON, refusing what JSON cannot carry exactly, and stops once the text is past the limit. */
class JsonWriter {
  private parts: string[] = [];
  /** UTF-16 length so far: never more than the UTF-8 length, so past the limit here is past it in bytes. */
  private length = 0;
  private readonly ancestors: object[] = [];

  constructor(private readonly kind: "command" | "query") {}

  get text(): string {
    return this.parts.join("");
  }

  private emit(text: string): void {
    this.parts.push(text);
    this.length += text.length;
    if (this.length > MAX_PAYLOAD_BYTES) {
      throw new WireFormatError("payload_too_large", `the ${this.kind} is more than ${MAX_PAYLOAD_BYTES} bytes of JSON, the most an enclave takes`);
    }
  }

  private invalid(path: string, what: string): never {
    throw new WireFormatError("json_value_invalid", `${path} ${what}`);
  }

  value(value: unknown, path: string): void {
    switch (typeof value) {
      case "string":
        this.emit(this.string(value, path));
        return;
      case "number":
        if (!Number.isFinite(value)) this.invalid(path, `is ${value}, which JSON cannot carry`);
        if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
          this.invalid(path, `is ${BigInt(value)}, an integer beyond 2^53 that a number cannot hold exactly: give a bigint or a decimal string`);
        }
        this.emit(JSON.stringify(value));
        return;
      case "bigint":
        this.emit(`"${value.toString()}"`);
        return;
      case "boolean":
        this.emit(value ? "true" : "false");
        return;
      case "undefined":
        this.invalid(path, "is undefined, which JSON cannot carry: leave the member out or give null");
        return;
      case "function":
      case "symbol":
        this.invalid(path, `is a ${typeof value}, which JSON cannot carry`);
        return;
      default:
        break;
    }
    if (value === null) {
      this.emit("null");
      return;
    }
    const object = value as object;
    if (this.ancestors.includes(object)) this.invalid(path, "refers back to an object that contains it (a cycle), which JSON cannot carry");
    if (Array.isArray(object)) {
      this.ancestors.push(object);
      this.emit("[");
      for (let i = 0; i < object.length; i++) {
        if (i > 0) this.emit(",");
        this.value(object[i], `${path}[${i}]`);
      }
      this.emit("]");
      this.ancestors.pop();
      return;
    }
    if (!isPlainObject(object)) {
      this.invalid(path, `is ${describeValue(object)}, not a plain object or array: convert it first (a Date to a string or number, bytes to 0x hex, a Map to an object)`);
    }
    this.object(object as Record<string, unknown>, path, []);
  }

  /** A plain object's members: `first` (present ones) before the others, each in the object's own order. */
  object(object: Record<string, unknown>, path: string, first: string[]): void {
    if (this.ancestors.includes(object)) this.invalid(path, "refers back to an object that contains it (a cycle), which JSON cannot carry");
    if (Object.getOwnPropertySymbols(object).some((key) => Object.prototype.propertyIsEnumerable.call(object, key))) {
      this.invalid(path, "has a symbol-keyed member, which JSON cannot carry");
    }
    this.ancestors.push(object);
    const keys = Object.keys(object);
    const ordered = [...first.filter((key) => keys.includes(key)), ...keys.filter((key) => !first.includes(key))];
    this.emit("{");
    ordered.forEach((key, i) => {
      const memberPath = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
      if (i > 0) this.emit(",");
      this.emit(this.string(key, `${path} member name ${JSON.stringify(key)}`));
      this.emit(":");
      this.value(object[key], memberPath);
    });
    this.emit("}");
    this.ancestors.pop();
  }

  private string(value: string, path: string): string {
    if (LONE_SURROGATE.test(value)) this.invalid(path, "holds a lone UTF-16 surrogate, which is not Unicode text");
    return JSON.stringify(value);
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** What a value is, for messages: "an array", "a string", "a Date", "null", … */
function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
    return name && name !== "Object" ? `a ${name}` : "an object";
  }
  if (typeof value === "undefined") return "undefined";
  if (typeof value === "string") return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
  return `a ${typeof value} (${String(value)})`;
}

// ---------------------------------------------------------------------------------------------
// HPKE

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });

/** An X25519 private key as the HPKE library holds it (a WebCrypto key; not extractable by this module). */
export type HpkePrivateKey = Awaited<ReturnType<typeof suite.kem.generateKeyPair>>["privateKey"];

/** A fresh X25519 key pair whose public half travels as `replyKey`. */
export interface ReplyKeyPair {
  publicKey: Hex;
  privateKey: HpkePrivateKey;
}

export async function generateReplyKeyPair(): Promise<ReplyKeyPair> {
  const pair = await suite.kem.generateKeyPair();
  return { publicKey: hexlify(new Uint8Array(await suite.kem.serializePublicKey(pair.publicKey))) as Hex, privateKey: pair.privateKey };
}

/** HPKE base-mode single-shot seal to a 32-byte X25519 public key; returns enc ‖ ct. */
export async function hpkeSeal(recipientPublicKey: string | Uint8Array, info: string, plaintext: Uint8Array): Promise<Uint8Array> {
  const keyBytes = fixedBytes(recipientPublicKey, X25519_PUBLIC_KEY_LENGTH, "recipient HPKE public key");
  let recipient: Awaited<ReturnType<typeof suite.kem.deserializePublicKey>>;
  try {
    recipient = await suite.kem.deserializePublicKey(keyBytes);
  } catch (error) {
    throw new WireFormatError("key_invalid", `not an X25519 public key: ${(error as Error).message}`);
  }
  const { enc, ct } = await suite.seal({ recipientPublicKey: recipient, info: utf8(info) }, plaintext);
  return concatBytes(new Uint8Array(enc), new Uint8Array(ct));
}

/** Opens enc ‖ ct with `privateKey` under `info`; any failure is `WireFormatError("open_failed")`. */
export async function hpkeOpen(privateKey: HpkePrivateKey, info: string, wire: string | Uint8Array): Promise<Uint8Array> {
  const bytes = typeof wire === "string" ? hexBytes(wire, "sealed message") : wire;
  if (bytes.length < HPKE_ENC_LENGTH + 16) {
    throw new WireFormatError("open_failed", `a sealed message is at least ${HPKE_ENC_LENGTH + 16} bytes, got ${bytes.length}`);
  }
  try {
    const plaintext = await suite.open(
      { recipientKey: privateKey, enc: bytes.slice(0, HPKE_ENC_LENGTH), info: utf8(info) },
      bytes.slice(HPKE_ENC_LENGTH),
    );
    return new Uint8Array(plaintext);
  } catch (error) {
    throw new WireFormatError("open_failed", `cannot open the ${info} message: ${(error as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Padding (enclave/PROTOCOL.md "Padding"): data ‖ 0x80 ‖ 0x00… up to a bucket, so the host and the chain
// see a message's bucket, never its exact length.

/** Buckets of user envelopes (commands, reads, subscriptions) and of log entry plaintexts. */
export const ENVELOPE_BUCKETS = [512, 1024, 2048, 4096, 8192, 16384] as const;
/** Buckets of read replies: a balance of any size fits the first. */
export const REPLY_BUCKETS = [256, 1024, 4096, 16384] as const;
/** Every notification has this size. */
export const NOTIFICATION_SIZE = 128;
const PADDING_MARKER = 0x80;

/** Pads `data` to the smallest bucket that holds data + 1 byte (past the largest, a multiple of it). */
export function padToBucket(data: Uint8Array, buckets: readonly number[] = ENVELOPE_BUCKETS): Uint8Array {
  const largest = buckets[buckets.length - 1];
  const size = buckets.find((b) => data.length < b) ?? (Math.floor(data.length / largest) + 1) * largest;
  const out = new Uint8Array(size);
  out.set(data);
  out[data.length] = PADDING_MARKER;
  return out;
}

/** The data of a padded plaintext; `WireFormatError("reply_malformed")` without the marker. */
export function unpad(padded: Uint8Array, what: string): Uint8Array {
  let end = padded.length;
  while (end > 0 && padded[end - 1] === 0) end--;
  if (end === 0 || padded[end - 1] !== PADDING_MARKER) throw new WireFormatError("reply_malformed", `the ${what} is not padded`);
  return padded.slice(0, end - 1);
}

// ---------------------------------------------------------------------------------------------
// Commands

/** The JSON object sealed to the enclave for a command (and carried, encrypted, in the log entry). */
export interface CommandEnvelope {
  sender: Hex;
  /** Decimal uint64. */
  nonce: string;
  /** Hex of the exact command JSON bytes. */
  payload: Hex;
  /** EIP-712 `Command` signature, 65 bytes. */
  signature: Hex;
}

export interface SealCommandOptions {
  /** The enclave's X25519 HPKE public key (32 bytes), checked against the chain by the caller. */
  enclaveHpkeKey: string | Uint8Array;
  signer: Signer;
  domain: TypedDataDomain;
  /** The sender's next command nonce. */
  nonce: bigint | number | string;
  /** The command, or its exact JSON bytes. */
  payload: TokenCommand | Uint8Array;
}

export interface SealedCommand {
  /** Hex of enc ‖ ct: what `POST /commands {payload}` takes. */
  payload: Hex;
  envelope: CommandEnvelope;
  /** keccak256 of the command JSON bytes (the signed `payloadHash`). */
  payloadHash: Hex;
}

/** Signs `Command(sender, nonce, keccak256(payload))` and seals the envelope to the enclave. */
export async function sealCommand(options: SealCommandOptions): Promise<SealedCommand> {
  const nonce = uint64(options.nonce, "nonce");
  const payload = options.payload instanceof Uint8Array ? options.payload : encodeCommand(options.payload);
  const sender = lowerHex(await options.signer.getAddress());
  const payloadHash = keccak256(payload) as Hex;
  const signature = lowerHex(await options.signer.signTypedData(options.domain, COMMAND_TYPES, { sender, nonce, payloadHash }));
  const envelope: CommandEnvelope = { sender, nonce: nonce.toString(), payload: lowerHex(hexlify(payload)), signature };
  const sealed = await hpkeSeal(options.enclaveHpkeKey, HPKE_INFO.command, padToBucket(utf8(JSON.stringify(envelope))));
  return { payload: lowerHex(hexlify(sealed)), envelope, payloadHash };
}

/**
 * The id the node and the enclave give a command: keccak256(payload bytes ‖ sender (20 bytes) ‖ nonce (u64
 * big-endian)) (enclave/PROTOCOL.md), so a client can follow a command it could not get an answer for.
 */
export function commandId(envelope: CommandEnvelope): Hex {
  const nonce = new Uint8Array(8);
  new DataView(nonce.buffer).setBigUint64(0, BigInt(envelope.nonce));
  return keccak256(concat([envelope.payload, envelope.sender, nonce])) as Hex;
}

/** The address that signed a command envelope under `domain`. */
export function recoverCommandSigner(domain: TypedDataDomain, envelope: CommandEnvelope): Hex {
  return lowerHex(
    verifyTypedData(domain, COMMAND_TYPES, { sender: envelope.sender, nonce: BigInt(envelope.nonce), payloadHash: keccak256(envelope.payload) }, envelope.signature),
  );
}

// ---------------------------------------------------------------------------------------------
// Reads

export interface ReadRequest {
  sender: Hex;
  /** Hex of the exact query JSON bytes. */
  query: Hex;
  replyKey: Hex;
  /** Decimal unix seconds. */
  issuedAt: string;
  signature: Hex;
}

export interface SealReadOptions {
  enclaveHpkeKey: string | Uint8Array;
  signer: Signer;
  domain: TypedDataDomain;
  query: TokenQuery | Uint8Array;
  /** Unix seconds; default now. */
  issuedAt?: bigint | number;
  /** Default: a fresh key pair (always use a fresh one per request outside tests). */
  replyKeyPair?: ReplyKeyPair;
}

export interface SealedRead {
  /** Hex of enc ‖ ct: what `POST /reads {payload}` takes. */
  payload: Hex;
  replyKeyPair: ReplyKeyPair;
  request: ReadRequest;
}

/** Signs `Read(sender, queryHash, replyKey, issuedAt)` and seals the request to the enclave. */
export async function sealRead(options: SealReadOptions): Promise<SealedRead> {
  const query = options.query instanceof Uint8Array ? options.query : encodeQuery(options.query);
  const replyKeyPair = options.replyKeyPair ?? (await generateReplyKeyPair());
  const issuedAt = uint64(options.issuedAt ?? nowSeconds(), "issuedAt");
  const sender = lowerHex(await options.signer.getAddress());
  const signature = lowerHex(
    await options.signer.signTypedData(options.domain, READ_TYPES, { sender, queryHash: keccak256(query), replyKey: replyKeyPair.publicKey, issuedAt }),
  );
  const request: ReadRequest = { sender, query: lowerHex(hexlify(query)), replyKey: replyKeyPair.publicKey, issuedAt: issuedAt.toString(), signature };
  const sealed = await hpkeSeal(options.enclaveHpkeKey, HPKE_INFO.read, padToBucket(utf8(JSON.stringify(request))));
  return { payload: lowerHex(hexlify(sealed)), replyKeyPair, request };
}

export function recoverReadSigner(domain: TypedDataDomain, request: ReadRequest): Hex {
  return lowerHex(
    verifyTypedData(
      domain,
      READ_TYPES,
      { sender: request.sender, queryHash: keccak256(request.query), replyKey: request.replyKey, issuedAt: BigInt(request.issuedAt) },
      request.signature,
    ),
  );
}

export interface ReadErrorBody {
  code: string;
  message: string;
}

/** The decrypted reply to a read. */
/**
 * An opened read reply. `runtime` is the runtime of the answering enclave's group (sealed with the answer; null before
 * the enclave created or joined a group): the client refuses an answer whose runtime is not the contract's.
 */
export type ReadReply<R = unknown> =
  | { ok: true; result: R; stateCounter: bigint; runtime: string | null }
  | { ok: false; error: ReadErrorBody; runtime: string | null };

/** Opens `{reply}` of `POST /reads` with the request's reply key and checks its shape. */
export async function openReadReply<R = unknown>(replyKeyPair: ReplyKeyPair, reply: string | Uint8Array): Promise<ReadReply<R>> {
  const object = parseJsonObject(unpad(await hpkeOpen(replyKeyPair.privateKey, HPKE_INFO.readReply, reply), "read reply"), "read reply");
  const runtime = object.runtime;
  if (runtime !== null && typeof runtime !== "string") throw new WireFormatError("reply_malformed", "a read reply needs runtime (a string or null)");
  if (object.ok === true) {
    if (!("result" in object)) throw new WireFormatError("reply_malformed", "a successful read reply has no result");
    return { ok: true, result: object.result as R, stateCounter: uint64(object.stateCounter as string, "stateCounter"), runtime };
  }
  if (object.ok === false) {
    const error = object.error as Partial<ReadErrorBody> | undefined;
    if (!error || typeof error.code !== "string" || typeof error.message !== "string") {
      throw new WireFormatError("reply_malformed", "a failed read reply needs error.code and error.message strings");
    }
    return { ok: false, error: { code: error.code, message: error.message }, runtime };
  }
  throw new WireFormatError("reply_malformed", "a read reply needs a boolean ok");
}

// ---------------------------------------------------------------------------------------------
// Subscriptions and notifications

export interface SubscribeRequest {
  account: Hex;
  replyKey: Hex;
  issuedAt: string;
  signature: Hex;
}

export interface SealSubscriptionOptions {
  enclaveHpkeKey: string | Uint8Array;
  signer: Signer;
  domain: TypedDataDomain;
  issuedAt?: bigint | number;
  replyKeyPair?: ReplyKeyPair;
}

export interface SealedSubscription {
  /** Hex of enc ‖ ct: the `payload` query parameter of `GET /notifications`. */
  payload: Hex;
  replyKeyPair: ReplyKeyPair;
  request: SubscribeRequest;
}

/** Signs `Subscribe(account, replyKey, issuedAt)` and seals it to the enclave. */
export async function sealSubscription(options: SealSubscriptionOptions): Promise<SealedSubscription> {
  const replyKeyPair = options.replyKeyPair ?? (await generateReplyKeyPair());
  const issuedAt = uint64(options.issuedAt ?? nowSeconds(), "issuedAt");
  const account = lowerHex(await options.signer.getAddress());
  const signature = lowerHex(await options.signer.signTypedData(options.domain, SUBSCRIBE_TYPES, { account, replyKey: replyKeyPair.publicKey, issuedAt }));
  const request: SubscribeRequest = { account, replyKey: replyKeyPair.publicKey, issuedAt: issuedAt.toString(), signature };
  const sealed = await hpkeSeal(options.enclaveHpkeKey, HPKE_INFO.subscribe, padToBucket(utf8(JSON.stringify(request))));
  return { payload: lowerHex(hexlify(sealed)), replyKeyPair, request };
}

export function recoverSubscribeSigner(domain: TypedDataDomain, request: SubscribeRequest): Hex {
  return lowerHex(
    verifyTypedData(domain, SUBSCRIBE_TYPES, { account: request.account, replyKey: request.replyKey, issuedAt: BigInt(request.issuedAt) }, request.signature),
  );
}

export interface Notification {
  stateCounter: bigint;
  /** Whether the entry changed the subscriber's state (as the runtime reports it; the token: balance, allowance or nonce). */
  changed: boolean;
}

/** Opens one notification payload (`data.payload` of an SSE `notification` event). */
export async function openNotification(replyKeyPair: ReplyKeyPair, payload: string | Uint8Array): Promise<Notification> {
  const object = parseJsonObject(unpad(await hpkeOpen(replyKeyPair.privateKey, HPKE_INFO.notify, payload), "notification"), "notification");
  if (typeof object.changed !== "boolean") throw new WireFormatError("reply_malformed", "a notification needs a boolean changed");
  return { stateCounter: uint64(object.stateCounter as string, "stateCounter"), changed: object.changed };
}

// ---------------------------------------------------------------------------------------------
// Node HTTP API shapes (src/node serves them, src/client consumes them)

/** Body of every 4xx/5xx response. */
export interface NodeErrorBody {
  error: { code: string; message: string };
}

/** `GET /health`. uint64 values are decimal strings. */
export interface NodeHealth {
  /** "ok" (HTTP 200), else "degraded" (stalled, or the chain RPC unreachable) or "down" (not serving, or wedged): HTTP 503. */
  status: "ok" | "degraded" | "down";
  mode: "simulation" | "sgx";
  address: Hex;
  joined: boolean;
  epoch: string;
  stateCounter: string;
  chainStateCounter: string;
  lag: string;
  /** Set while the node's state is behind entries it cannot read (it joined late): it waits for a snapshot entry. */
  awaitingSnapshot?: string;
  /**
   * Whether the node reaches its chain RPC. While `unreachable` (since `chainUnreachableSince`, ISO 8601) the
   * figures are the last the node saw. Absent from nodes that predate it.
   */
  chain?: "ok" | "unreachable";
  chainUnreachableSince?: string;
  /** Started, a member of the group, enclave alive (absent from nodes that predate it, as are the fields below). */
  serving?: boolean;
  /** The sync has failed with the same error for `syncError.count` ≥ wedgedAfterSteps consecutive steps. */
  wedged?: boolean;
  /** The chain holds entries the node has not applied and its counter has not moved for longer than the bound. */
  stalled?: boolean;
  /** Since when the node is behind at its current counter (ISO 8601), while it is. */
  behindSince?: string;
  /** Why `status` is not "ok", one phrase each. */
  reasons?: string[];
  /** The chain's head block (when the RPC answered), the last block the sync read, and their distance. */
  headBlock?: string;
  lastReadBlock?: string;
  blockLag?: string;
  /** The last error of the sync loop, how many consecutive steps failed with it and since when (ISO 8601). */
  syncError?: { message: string; count: number; since: string };
  /** The chain RPC: "ok", or "unreachable" with the failure that started the outage and since when. */
  rpc?: { state: "ok" | "unreachable"; lastError?: string; since?: string };
}

/** `GET /enclave`: what the client checks against the group's roster before sealing anything. */
export interface NodeEnclaveInfo {
  address: Hex;
  hpkePublicKey: Hex;
  mlsSignatureKey: Hex;
  mrenclave: Hex;
  mode: "simulation" | "sgx";
  /** The AnonifyGroup address the node serves. */
  group: Hex;
}

/** `POST /commands` and `POST /reads` request body. */
export interface SealedPayloadBody {
  payload: Hex;
}

/** `POST /commands` -> 202. */
export interface SubmitCommandResponse {
  id: Hex;
}

/**
 * `settled`: the log used the command's nonce before the node restarted, and the node did not record whether the
 * runtime applied or rejected it (it crashed between the two); read the state for its effect.
 */
export type CommandStatusName = "queued" | "posted" | "applied" | "rejected" | "failed" | "settled";

/** `GET /commands/:id`. */
export interface CommandStatus {
  id: Hex;
  status: CommandStatusName;
  stateCounter?: string;
  txHash?: Hex;
  reason?: string;
  /**
   * false: the command was not submitted through this node; the answer comes from its index of the outcomes it
   * applied from the log (docs/node.md "Command outcomes of the whole log"). Absent or true: this node accepted it.
   */
  submittedHere?: boolean;
}

/** `POST /reads` -> 200. */
export interface ReadResponse {
  reply: Hex;
}

/** `data` of an SSE `event: notification`. */
export interface NotificationEventData {
  payload: Hex;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function lowerHex(value: string): Hex {
  return value.toLowerCase() as Hex;
}

function nowSeconds(): bigint {
  return BigInt(Math.floor(Date.now() / 1000));
}

function address(value: string, field: string): Hex {
  if (typeof value !== "string" || !isAddress(value)) throw new WireFormatError("address_invalid", `${field} is not an address: ${String(value)}`);
  return lowerHex(getAddress(value));
}

/** A uint256 as a decimal string. */
function amount(value: AmountLike, field = "amount"): string {
  let parsed: bigint;
  try {
    if (typeof value === "string" && !/^[0-9]+$/.test(value)) throw new Error("not decimal");
    if (typeof value === "number" && !Number.isSafeInteger(value)) throw new Error("not a safe integer");
    parsed = BigInt(value);
  } catch {
    throw new WireFormatError("amount_invalid", `${field} is not a non-negative decimal integer: ${String(value)}`);
  }
  if (parsed < 0n || parsed > UINT256_MAX) throw new WireFormatError("amount_invalid", `${field} is outside uint256: ${parsed}`);
  return parsed.toString();
}

function uint64(value: bigint | number | string, field: string): bigint {
  let parsed: bigint;
  try {
    if (typeof value === "string" && !/^[0-9]+$/.test(value)) throw new Error("not decimal");
    if (typeof value === "number" && !Number.isSafeInteger(value)) throw new Error("not a safe integer");
    parsed = BigInt(value);
  } catch {
    throw new WireFormatError("uint64_invalid", `${field} is not a decimal uint64: ${String(value)}`);
  }
  if (parsed < 0n || parsed > UINT64_MAX) throw new WireFormatError("uint64_invalid", `${field} is outside uint64: ${parsed}`);
  return parsed;
}

function hexBytes(value: string, what: string): Uint8Array {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(value)) throw new WireFormatError("hex_invalid", `${what} is not 0x-prefixed hex`);
  return getBytes(value);
}

function fixedBytes(value: string | Uint8Array, length: number, what: string): Uint8Array {
  const bytes = typeof value === "string" ? hexBytes(value, what) : value;
  if (bytes.length !== length) throw new WireFormatError("key_invalid", `${what} must be ${length} bytes, got ${bytes.length}`);
  return bytes;
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function parseJsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new WireFormatError("reply_malformed", `the ${what} is not UTF-8 JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new WireFormatError("reply_malformed", `the ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}
