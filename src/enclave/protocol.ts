/**
 * The host <-> enclave protocol (enclave/PROTOCOL.md), in one place: framing, method names with their
 * parameter and result types, error codes, and the constants both sides must agree on.
 */

/** Version of the protocol this host speaks; `status().protocolVersion` must match. */
export const PROTOCOL_VERSION = 1;
/** Largest frame body either side sends or accepts (16 MiB). */
export const MAX_FRAME_SIZE = 16 * 1024 * 1024;
export const FRAME_HEADER_SIZE = 4;

/** "0x"-prefixed lower-case hex, the encoding of every binary value in the protocol. */
export type Hex = `0x${string}`;

/** Error codes the enclave returns (`error.code`), the snake_case names of `anonify::ErrorCode`. */
export const ENCLAVE_ERROR_CODES = [
  "invalid_argument",
  "decode_error",
  "unsupported",
  "internal",
  "crypto_failure",
  "invalid_key",
  "authentication_failed",
  "invalid_signature",
  "message_limit_reached",
  "frame_too_large",
  "frame_truncated",
  "malformed_request",
  "unknown_method",
  "invalid_params",
  "invalid_state",
  "sealed_data_corrupt",
  "sealed_data_foreign",
  "storage_error",
  "attestation_unavailable",
  "invalid_message",
  "wrong_epoch",
  "not_found",
] as const;
export type EnclaveErrorCode = (typeof ENCLAVE_ERROR_CODES)[number];

/** Process exit codes of `anonify-enclave`. */
export const ENCLAVE_EXIT_CODES = {
  ok: 0,
  usage: 2,
  frameError: 3,
  ioError: 4,
} as const;

export type EnclaveMode = "simulation" | "sgx";

// ---------------------------------------------------------------------------------------------
// Method types

export interface EnclaveKeys {
  /** The enclave's Ethereum address (REPORTDATA[0..20]); signs everything the contract accepts. */
  address: Hex;
  /** Uncompressed secp256k1 public key (65 bytes) behind `address`. */
  secp256k1PublicKey: Hex;
  /** X25519 HPKE public key (32 bytes) users encrypt to. */
  hpkePublicKey: Hex;
  /** Ed25519 MLS signature public key (32 bytes). */
  mlsSignatureKey: Hex;
}

export interface StatusResult {
  version: string;
  protocolVersion: number;
  mode: EnclaveMode;
  mrenclave: Hex;
  initialized: boolean;
  methods: string[];
  address?: Hex;
}

export interface InitParams {
  /** Data directory for sealed files; must equal `--data-dir` when the command line sets it. */
  dataDir?: string;
}

export interface InitResult extends EnclaveKeys {
  created: boolean;
  dataDir: string;
  mode: EnclaveMode;
  mrenclave: Hex;
}

export interface EvidenceResult extends EnclaveKeys {
  mode: EnclaveMode;
  mrenclave: Hex;
  /** 64 bytes: address(20) ‖ SHA-256(hpkePublicKey ‖ mlsSignatureKey)(32) ‖ zero(12). */
  reportData: Hex;
  /** simulation: the 432-byte quote body; sgx: the EPID quote from Gramine (for IAS). */
  quote: Hex;
}

export interface SealResult {
  dataDir: string;
  sealed: string[];
}

export interface Eip712DomainParams {
  /** Default "Anonify". */
  name?: string;
  /** Default "1". */
  version?: string;
  chainId: number | string;
  verifyingContract: Hex;
}

/** EIP-712 types the enclave hashes (every uint64 travels as a decimal string or a safe integer). */
export const EIP712_TYPES = {
  Handshake: [
    { name: "epoch", type: "uint64" },
    { name: "handshakeHash", type: "bytes32" },
  ],
  Ciphertext: [
    { name: "epoch", type: "uint64" },
    { name: "payloadHash", type: "bytes32" },
  ],
  CiphertextBatch: [
    { name: "epoch", type: "uint64" },
    { name: "payloadsHash", type: "bytes32" },
  ],
  Checkpoint: [
    { name: "stateCounter", type: "uint64" },
    { name: "stateHash", type: "bytes32" },
  ],
  Command: [
    { name: "sender", type: "address" },
    { name: "nonce", type: "uint64" },
    { name: "payloadHash", type: "bytes32" },
  ],
  EchoReply: [
    { name: "requestHash", type: "bytes32" },
    { name: "replyHash", type: "bytes32" },
  ],
} as const;
export type Eip712PrimaryType = keyof typeof EIP712_TYPES;

export interface Eip712HashParams {
  domain: Eip712DomainParams;
  primaryType: Eip712PrimaryType;
  message: Record<string, string | number>;
  /** When given (65 bytes r‖s‖v), the result includes the recovered signer. */
  signature?: Hex;
}

export interface Eip712HashResult {
  domainSeparator: Hex;
  structHash: Hex;
  digest: Hex;
  signer?: Hex;
}

/** HPKE `info` of a secure_echo request (DHKEM-X25519 / HKDF-SHA256 / AES-128-GCM, mode base, empty aad). */
export const SECURE_ECHO_REQUEST_INFO = "anonify/secure_echo/request/v1";
/** HPKE `info` of the reply; its aad is the 32-byte requestHash. */
export const SECURE_ECHO_REPLY_INFO = "anonify/secure_echo/reply/v1";
export const SECURE_ECHO_MAX_MESSAGE = 4096;

export interface SecureEchoParams {
  /** Domain of the EIP-712 `EchoReply` signature. */
  domain: Eip712DomainParams;
  /** HPKE enc (32 bytes) of the request. */
  enc: Hex;
  /** HPKE ciphertext of replyPublicKey(32) ‖ message(0..4096). */
  ciphertext: Hex;
}

export interface SecureEchoResult {
  enc: Hex;
  ciphertext: Hex;
  /** keccak256(request enc ‖ request ciphertext) */
  requestHash: Hex;
  /** keccak256(reply enc ‖ reply ciphertext) */
  replyHash: Hex;
  /** EIP-712 signature of EchoReply{requestHash, replyHash} by `signer`. */
  signature: Hex;
  signer: Hex;
}

/** Method name -> params and result types. Later issues extend this map. */
export interface EnclaveMethods {
  status: { params: Record<string, never>; result: StatusResult };
  init: { params: InitParams; result: InitResult };
  evidence: { params: Record<string, never>; result: EvidenceResult };
  seal: { params: Record<string, never>; result: SealResult };
  eip712_hash: { params: Eip712HashParams; result: Eip712HashResult };
  secure_echo: { params: SecureEchoParams; result: SecureEchoResult };
}
export type EnclaveMethod = keyof EnclaveMethods;

export interface EnclaveRequest {
  id: number;
  method: string;
  params: unknown;
}

export type EnclaveResponse =
  | { id: number | string | null; result: unknown }
  | { id: number | string | null; error: { code: EnclaveErrorCode; message: string } };

// ---------------------------------------------------------------------------------------------
// Framing

/** u32 big-endian length ‖ body. Throws RangeError above MAX_FRAME_SIZE. */
export function encodeFrame(body: Uint8Array): Buffer {
  if (body.length > MAX_FRAME_SIZE) {
    throw new RangeError(`frame body of ${body.length} bytes exceeds the maximum of ${MAX_FRAME_SIZE}`);
  }
  const frame = Buffer.allocUnsafe(FRAME_HEADER_SIZE + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.set(body, FRAME_HEADER_SIZE);
  return frame;
}

/** Splits a byte stream into frame bodies. */
export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  /** Adds bytes; returns every frame completed by them. Throws RangeError on an oversized length. */
  push(chunk: Uint8Array): Buffer[] {
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    const frames: Buffer[] = [];
    while (this.buffer.length >= FRAME_HEADER_SIZE) {
      const length = this.buffer.readUInt32BE(0);
      if (length > MAX_FRAME_SIZE) {
        throw new RangeError(`frame length ${length} exceeds the maximum of ${MAX_FRAME_SIZE}`);
      }
      if (this.buffer.length < FRAME_HEADER_SIZE + length) break;
      frames.push(this.buffer.subarray(FRAME_HEADER_SIZE, FRAME_HEADER_SIZE + length));
      this.buffer = this.buffer.subarray(FRAME_HEADER_SIZE + length);
    }
    return frames;
  }

  /** Bytes of an incomplete frame still buffered. */
  get pending(): number {
    return this.buffer.length;
  }
}
