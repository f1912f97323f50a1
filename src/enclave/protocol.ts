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
  "sealed_data_stale",
  "attestation_unavailable",
  "invalid_message",
  "wrong_epoch",
  "not_found",
  // State runtime (PROTOCOL.md "State runtime methods")
  "hpke_open_failed",
  "malformed_command",
  "bad_user_signature",
  "nonce_mismatch",
  "not_member",
  "counter_gap",
  "epoch_mismatch",
  "domain_mismatch",
  "malformed_read",
  "malformed_subscription",
  "unknown_entry",
  "command_refused",
  // Membership (PROTOCOL.md "Membership")
  "evidence_refused",
  "leaf_not_admitted",
  "policy_refused",
  "self_update_required",
  "invalid_reply_key",
  "stale_request",
  "replayed_request",
  "runtime_unavailable",
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
  /** The state runtimes compiled into this binary, sorted (a group runs the one its policy names). */
  runtimes: string[];
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
    { name: "sequence", type: "uint64" },
    { name: "payloadHash", type: "bytes32" },
  ],
  CiphertextBatch: [
    { name: "epoch", type: "uint64" },
    { name: "firstSequence", type: "uint64" },
    { name: "payloadsHash", type: "bytes32" },
  ],
  Snapshot: [
    { name: "epoch", type: "uint64" },
    { name: "stateCounter", type: "uint64" },
    { name: "payloadHash", type: "bytes32" },
  ],
  Checkpoint: [
    { name: "stateCounter", type: "uint64" },
    { name: "stateHash", type: "bytes32" },
    { name: "logHash", type: "bytes16" },
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

// ---------------------------------------------------------------------------------------------
// MLS group methods (enclave/src/mls/mls_methods.cpp; PROTOCOL.md "MLS methods", docs/treekem.md).
// Epochs, leaf indices and counts arrive as JSON integers.

/** Signs the returned handshake entry for AnonifyGroup when `domain` is given. */
export interface MlsSigningParams {
  /** EIP-712 domain of the group contract; with it the result carries `signature`. */
  domain?: Eip712DomainParams;
}

/**
 * A handshake-log entry to post with `AnonifyGroup.join` / `postHandshake`
 * (`struct { opaque commit<V>; opaque group_info<V>; }`, docs/treekem.md).
 */
export interface MlsHandshakeEntry {
  /** The entry bytes, posted as they are. */
  handshake: Hex;
  /** keccak256(handshake). */
  handshakeHash: Hex;
  /** Log position the entry is signed for: 0 for genesis, e + 1 for the commit leaving MLS epoch e. */
  chainEpoch: number;
  /** The entry's MLSMessage(GroupInfo) of the epoch it creates, signed by the author, with external_pub. */
  groupInfo: Hex;
  /** EIP-712 `Handshake{epoch: chainEpoch, handshakeHash}` by the enclave (r‖s‖v), only with `domain`. */
  signature?: Hex;
}

/** A staged commit (member commit or external join): adopted when the log carries `handshake`. */
export interface MlsCommitResult extends MlsHandshakeEntry {
  /** The entry's MLSMessage(PublicMessage Commit). */
  commit: Hex;
  /**
   * With `enclaves` (mls_commit_remove, mls_commit_update): the list the signature vouches for, which is then
   * EIP-712 `RemovalCommit{epoch: chainEpoch, handshakeHash, removed}` (posted with `postRemovalCommit`; audit F-6).
   */
  removedEnclaves?: Hex[];
}

/**
 * The revoked enclaves a commit is to vouch for (audit F-6): 20-byte addresses in strictly ascending order. The
 * enclave signs `RemovalCommit` instead of `Handshake` only if after the commit none of them holds a leaf and the
 * commit removes no leaf of an identity not listed (else invalid_params). Needs `domain`.
 */
export interface MlsRemovalListParams {
  enclaves?: Hex[];
}

interface MlsGroupStatusBase {
  /** Current MLS epoch (a staged commit does not change it). */
  epoch: number;
  groupId: Hex;
  /** A commit or external join of this enclave waits for the log. */
  stagedCommit: boolean;
}

/** The group of an enclave that is a member. */
export interface MlsMemberStatus extends MlsGroupStatusBase {
  member: true;
  /** This enclave's leaf index. */
  leaf: number;
  memberCount: number;
  /** Public per-epoch confirmation value: members agree on it. */
  epochAuthenticator: Hex;
  /** Occupied leaves and their credential identity (the member enclave's address). */
  members: { leaf: number; identity: Hex }[];
}

/** An external join made but not yet in the log (epoch = the joined GroupInfo's, stagedCommit = true). */
export interface MlsPendingJoinStatus extends MlsGroupStatusBase {
  member: false;
}

export type MlsGroupStatus = MlsMemberStatus | MlsPendingJoinStatus;

/**
 * The measurement policy an Anonify group fixes at creation (GroupContext extension 0xF0A1, PROTOCOL.md
 * "Membership"). At least one of `mrenclaves` / `signer`; checked in the order age, status, DEBUG, MRENCLAVE, signer.
 */
export interface MlsGroupPolicyParams {
  /** isvEnclaveQuoteStatus values admitted (default ["OK"]). */
  allowedStatuses?: string[];
  /** Default false; an sgx build refuses true. */
  allowDebug?: boolean;
  /** MRENCLAVE allowlist (32-byte hex each); absent: no MRENCLAVE check. */
  mrenclaves?: Hex[];
  /** SGX-native upgrade rule: MRSIGNER, ISVPRODID and the minimum ISVSVN. */
  signer?: { mrsigner: Hex; isvProdId: number; minIsvSvn: number };
  /** Seconds; 0 (default) = off. Judged against the newest block time the enclave applied. */
  maxEvidenceAge?: number | string;
  /**
   * DCAP: seconds a collateral item is still accepted after its nextUpdate (0 default, at most 2,592,000 = 30 days,
   * DcapVerifier's MAX_COLLATERAL_GRACE); a uint64 as a number or decimal string. The node takes DcapVerifier.policy()'s.
   */
  collateralGrace?: number | string;
  /** DCAP: the minimum tcbEvaluationDataNumber of TCB Info and of QE Identity (0 default = none); a uint32. */
  minTcbEvaluationDataNumber?: number | string;
  /** k-of-n Ethereum addresses allowed to change the policy (default: none, the policy never changes). */
  governance?: { threshold: number; keys: Hex[] };
  /**
   * The state runtime the group runs ("anonify-token/v1"): required by `mls_create_group` (an enclave creates only a
   * group whose runtime it carries); on a policy change absent or equal to the group's (it never changes).
   */
  runtime?: string;
}

export interface MlsCreateGroupParams {
  /** The group contract's EIP-712 domain: binds the group (id = chainId ‖ contract) and signs the genesis entry. */
  domain: Eip712DomainParams;
  policy: MlsGroupPolicyParams;
  /** Optional; must equal chainId (8 bytes BE) ‖ verifyingContract. */
  groupId?: Hex;
}

/** `mls_admit_evidence`: IAS evidence of an enclave whose leaf this enclave must accept. */
export interface MlsAdmitIasEvidenceParams {
  kind: "ias";
  /** The exact report bytes IAS signed. */
  report: Hex;
  /** 256-byte RSA signature. */
  signature: Hex;
  /** DER of the report-signing certificate. */
  signingCertificate: Hex;
  hpkePublicKey: Hex;
  mlsSignatureKey: Hex;
}

/**
 * `mls_admit_evidence`: DCAP evidence (an SGX ECDSA quote and its PCS collateral) of an enclave whose
 * leaf this enclave must accept. Verified under the compiled-in DCAP root at the chain clock (or
 * `blockTimestamp` when newer); both CRLs are required, so revocation is always checked.
 */
export interface MlsAdmitDcapEvidenceParams {
  kind: "dcap";
  /** The SGX ECDSA quote (v3 or v4), PCK chain in its certification data. */
  quote: Hex;
  /** The PCS TCB Info body exactly as served (`{"tcbInfo":…,"signature":…}`). */
  tcbInfo: Hex;
  /** The PCS QE Identity body exactly as served (`{"enclaveIdentity":…,"signature":…}`). */
  qeIdentity: Hex;
  /** The TCB Signing issuer chain as served (PEM text), hex-encoded. */
  tcbSigningChain: Hex;
  /** DER CRL of the root CA. */
  rootCaCrl: Hex;
  /** DER CRL of the PCK CA (platform or processor) that issued the quote's PCK certificate. */
  pckCaCrl: Hex;
  hpkePublicKey: Hex;
  mlsSignatureKey: Hex;
  /** Unix seconds (decimal string or number): the newest block the host saw; required before the enclave applied one. */
  blockTimestamp?: string | number;
}

export type MlsAdmitEvidenceParams = MlsAdmitIasEvidenceParams | MlsAdmitDcapEvidenceParams;

export interface MlsAdmitEvidenceResult {
  kind: "ias" | "dcap";
  address: Hex;
  mlsSignatureKey: Hex;
  mrenclave: Hex;
  mrsigner: Hex;
  isvProdId: number;
  isvSvn: number;
  debug: boolean;
  /** IAS: isvEnclaveQuoteStatus; DCAP: the platform's TCB status. */
  status: string;
  /** Unix seconds (decimal string): IAS the report's time, DCAP the chain clock the enclave verified it at. */
  timestamp: string;
  /** Entries now cached. */
  cached: number;
  /** DCAP only: what admission judges again. */
  dcap?: {
    qeTcbStatus: string;
    /** Unix seconds (decimal string): the earliest nextUpdate of the collateral; admission refuses after it. */
    collateralNextUpdate: string;
    tcbEvaluationDataNumber: number;
    fmspc: Hex;
    pckSerial: Hex;
  };
}

/** The genesis entry (no commit, chainEpoch 0, GroupInfo with the ratchet_tree extension). */
export interface MlsCreateGroupResult extends MlsHandshakeEntry {
  status: MlsMemberStatus;
}

/** One handshake-log entry, in log order. */
export interface MlsHandshakeParams {
  handshake: Hex;
  /** Unix time of the block carrying the entry (mls_process_handshake): evidence age is judged at it. */
  blockTimestamp?: string;
}

/** The log follower's state (public data only). */
export interface MlsFollowResult {
  epoch: number;
  memberCount: number;
}

/** What an external join starts from: the group's if a member, else the follower's. */
export interface MlsPublicStateResult {
  epoch: number;
  /** MLSMessage(GroupInfo) with external_pub. */
  groupInfo: Hex;
  /** RFC 9420 `optional<Node> ratchet_tree<V>`. */
  ratchetTree: Hex;
}

/**
 * An explicit GroupInfo (with an optional tree; without one, its ratchet_tree extension), or neither:
 * then the follower's latest GroupInfo and tree.
 */
export type MlsJoinExternalParams = (
  | { domain: Eip712DomainParams; interop?: false }
  /** Interop with other MLS implementations (simulation builds only): no admission, never state keys. */
  | { domain?: Eip712DomainParams; interop: true }
) &
  ({ groupInfo: Hex; ratchetTree?: Hex } | { groupInfo?: undefined; ratchetTree?: undefined });

export interface MlsCommitRemoveParams extends MlsSigningParams, MlsRemovalListParams {
  /** Leaf indices (uint32) of other members; non-empty, no duplicates. */
  leaves: number[];
}

/**
 * `mls_commit_policy_change` (PROTOCOL.md "Policy changes"): a commit replacing the group policy, with the
 * governance keys' EIP-712 approvals `PolicyChange(bytes groupId,uint64 epoch,bytes32 policyHash)` for the group's
 * current MLS epoch (src/node/policyChange.ts builds the typed data).
 */
export interface MlsCommitPolicyChangeParams {
  /** The group contract's EIP-712 domain (must be the group's binding). */
  domain: Eip712DomainParams;
  /** The new policy, bound to `domain`. */
  policy: MlsGroupPolicyParams;
  /** 65-byte signatures by at least k distinct governance keys of the current policy (at most 64). */
  approvals: Hex[];
}

export interface MlsCommitPolicyChangeResult extends MlsCommitResult {
  /** keccak256 of the encoded new policy (the approvals' policyHash). */
  policyHash: Hex;
  /** Leaves the new policy refuses, removed by the same commit. */
  removed: number[];
}

/**
 * Result of `mls_process_handshake`, by outcome. `status` is present whenever the enclave still holds a
 * group; `committer` is the committer's leaf index in the new tree.
 */
export type MlsProcessHandshakeResult =
  // A genesis entry: starts the follower unless the enclave is a member or already follows.
  | { outcome: "genesis"; status?: MlsGroupStatus }
  // This enclave's staged commit/join, another member's commit, or a newcomer's external commit.
  | { outcome: "own_commit" | "commit" | "external_join"; committer: number; status: MlsMemberStatus }
  // The commit removed this enclave: its group is gone and it follows the log from the new epoch.
  | { outcome: "removed"; committer: number }
  // join_superseded: another valid entry took the epoch of the staged external join; the join is dropped
  //   and the enclave follows the log from the new epoch (an invalid entry is refused and changes nothing).
  // followed: the enclave holds no group; its follower applied the entry (with neither group nor follower
  //   the request fails with invalid_state).
  | { outcome: "join_superseded" | "followed" };

export type MlsHandshakeOutcome = MlsProcessHandshakeResult["outcome"];

export interface MlsStatusResult {
  group: MlsGroupStatus | null;
  /** The follower's epoch, null when not following the log. */
  followedEpoch: number | null;
  /**
   * Restarted from sealed state: until its own self-update commit (mls_commit_update) is applied from the log, the
   * enclave refuses state_submit, state_snapshot, mls_commit_remove, mls_commit_policy_change and mls_protect with
   * `self_update_required`.
   */
  selfUpdateRequired: boolean;
}

export interface MlsProtectParams {
  data: Hex;
}

export interface MlsProtectResult {
  /** MLSMessage(PrivateMessage) with authenticated data "anonify/host". */
  message: Hex;
  epoch: number;
}

export interface MlsUnprotectParams {
  /** MLSMessage(PrivateMessage) of the current epoch, wrapped with authenticated data "anonify/host". */
  message: Hex;
}

export interface MlsUnprotectResult {
  /** Leaf index of the sender. */
  sender: number;
  data: Hex;
}

/** Labels starting with this prefix are reserved for the enclave (`mls_export_secret` refuses them). */
export const MLS_RESERVED_EXPORT_PREFIX = "anonify";
export const MLS_MAX_EXPORT_LENGTH = 1024;

export interface MlsExportSecretParams {
  /** MLS-Exporter label, not starting with "anonify". */
  label: string;
  /** 1..MLS_MAX_EXPORT_LENGTH bytes. */
  length: number;
  /** Default empty. */
  context?: Hex;
}

export interface MlsExportSecretResult {
  secret: Hex;
  epoch: number;
}

/** Method name -> params and result types. Later issues extend this map. */
export interface EnclaveMethods {
  status: { params: Record<string, never>; result: StatusResult };
  init: { params: InitParams; result: InitResult };
  evidence: { params: Record<string, never>; result: EvidenceResult };
  seal: { params: Record<string, never>; result: SealResult };
  eip712_hash: { params: Eip712HashParams; result: Eip712HashResult };
  secure_echo: { params: SecureEchoParams; result: SecureEchoResult };
  /** Creates a one-member group; returns the genesis entry. */
  mls_create_group: { params: MlsCreateGroupParams; result: MlsCreateGroupResult };
  /** Feeds the log follower one entry (public state only; not sealed). */
  mls_follow: { params: MlsHandshakeParams; result: MlsFollowResult };
  mls_public_state: { params: Record<string, never>; result: MlsPublicStateResult };
  /** Stages an external commit into the group. */
  mls_join_external: { params: MlsJoinExternalParams; result: MlsCommitResult };
  /** Stages a self-update commit. */
  mls_commit_update: { params: MlsSigningParams & MlsRemovalListParams; result: MlsCommitResult };
  /** Stages a commit removing `leaves`. */
  mls_commit_remove: { params: MlsCommitRemoveParams; result: MlsCommitResult };
  /** Stages a governance-approved commit changing the group policy. */
  mls_commit_policy_change: { params: MlsCommitPolicyChangeParams; result: MlsCommitPolicyChangeResult };
  /** Applies the next log entry to the group, else to the follower. */
  mls_process_handshake: { params: MlsHandshakeParams; result: MlsProcessHandshakeResult };
  mls_status: { params: Record<string, never>; result: MlsStatusResult };
  /** Wraps host data as a PrivateMessage of the current epoch. */
  mls_protect: { params: MlsProtectParams; result: MlsProtectResult };
  /** Opens a host-wrapped PrivateMessage (never a runtime message). */
  mls_unprotect: { params: MlsUnprotectParams; result: MlsUnprotectResult };
  mls_export_secret: { params: MlsExportSecretParams; result: MlsExportSecretResult };
  /** Verifies and caches the evidence of an enclave whose leaf this enclave must accept. */
  mls_admit_evidence: { params: MlsAdmitEvidenceParams; result: MlsAdmitEvidenceResult };
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

// ---------------------------------------------------------------------------------------------
// State runtime methods (PROTOCOL.md "State runtime methods"). uint64 values are decimal strings.

/** EIP-712 domain of the group, as the state methods take it (name/version default "Anonify"/"1"). */
export interface StateDomainParams {
  name?: string;
  version?: string;
  chainId: string | number;
  verifyingContract: Hex;
}

export interface StateSubmitParams {
  /** HPKE (info "anonify/command/v1") of the user's signed command envelope (padded): enc ‖ ciphertext. */
  payload: Hex;
  domain: StateDomainParams;
  /**
   * The host's entries of this enclave that may still reach the log: the new entry is numbered after the highest
   * one of `epoch` (none: the log's next number). Without it the enclave counts its own entries since its start.
   */
  pending?: { epoch: string; highestSequence?: string };
}

export interface StateSubmitResult {
  /** Log entry for AnonifyGroup.postCiphertext. */
  entry: Hex;
  /** The contract's epoch the entry is made for (MLS epoch + 1). */
  epoch: string;
  /** Enclave signature of Ciphertext(epoch, producerSequence, keccak256(entry)). */
  signature: Hex;
  /** keccak256(payload ‖ sender ‖ nonce u64 BE). */
  commandId: Hex;
  sender: Hex;
  nonce: string;
  /** The producing enclave (this one): its address is in the entry's header and AAD. */
  producer: Hex;
  /**
   * This enclave's sequence number of the entry in the epoch (from 0); entries apply only in this order, and it is
   * the post number `postCiphertext` takes (the contract accepts each number once).
   */
  producerSequence: string;
}

export interface StateApplyParams {
  stateCounter: string;
  epoch: string;
  entry: Hex;
  /** Unix time of the block holding the entry: moves the enclave's chain clock (issuedAt freshness). */
  blockTimestamp: string;
}

export interface StateNotification {
  subscriptionId: string;
  /** HPKE (info "anonify/notify/v1") to the subscription's reply key. */
  payload: Hex;
}

export type StateApplyResult =
  | { stateCounter: string; duplicate: true }
  | {
      stateCounter: string;
      /** Absent: the entry was applied now (a duplicate answers with the first variant). */
      duplicate?: false;
      outcome: "applied" | "rejected";
      reason?: string;
      /** Present for snapshot entries: "adopted" (this enclave caught up from it) or "checked". */
      snapshot?: "adopted" | "checked";
      commandId?: Hex;
      sender?: Hex;
      /** Of a command entry that opened: the producing enclave and the entry's sequence number. */
      producer?: Hex;
      producerSequence?: string;
      /** With reason "out of sequence": the number the producer's next entry must carry. */
      expectedSequence?: string;
      stateHash: Hex;
      notifications: StateNotification[];
    };

export interface StateSealedParams {
  /** HPKE of the user's signed read request / subscription (padded, PROTOCOL.md "Padding"). */
  payload: Hex;
  /** Needed until the log holds a command (then it must equal the log's domain). */
  domain?: StateDomainParams;
  /** Seconds issuedAt may lie before the chain clock, 60..3600 (default 600). */
  issuedAtWindow?: string;
}

export interface StateReadResult {
  /** HPKE (info "anonify/read-reply/v1") to the request's reply key. */
  reply: Hex;
}

export interface StateSubscribeResult {
  subscriptionId: string;
}

export interface StateUnsubscribeResult {
  subscriptionId: string;
  removed: true;
}

export interface StateStatusResult {
  lastApplied: string;
  /** Keyed state hash after the last applied entry; null before the first. */
  stateHash: Hex | null;
  /** The runtime was set up (the token's init applied). */
  initialized: boolean;
  /** The runtime of the group this enclave is a member of; null before it created or joined one. */
  runtime: string | null;
  member: boolean;
  /** The contract epoch entries are made for now (MLS epoch + 1); null when not a member. */
  epoch: string | null;
  /** See MlsStatusResult.selfUpdateRequired: no entry is produced until the self-update is applied. */
  selfUpdateRequired: boolean;
  domain: { name: string; version: string; chainId: string; verifyingContract: Hex } | null;
  subscriptions: number;
  /** The chain clock: the newest block time of an applied entry (unix seconds), "0" before any. */
  chainTime: string;
}

export interface StateCheckpointResult {
  stateCounter: string;
  stateHash: Hex;
  /**
   * The log hash at stateCounter over the entries this enclave applied (16 bytes): L_0 = 0, L_n = first 16 bytes of
   * keccak256(L_{n-1} ‖ keccak256(entry_n)), as AnonifyGroup keeps it (audit F-8).
   */
  logHash: Hex;
  /** Enclave signature of Checkpoint(stateCounter, stateHash, logHash). */
  signature: Hex;
}

export interface EnclaveMethods {
  /** Checks a sealed user command and turns it into a signed log entry (changes nothing). */
  state_submit: { params: StateSubmitParams; result: StateSubmitResult };
  /** Applies the log entry at stateCounter = lastApplied + 1; seals before answering. */
  state_apply: { params: StateApplyParams; result: StateApplyResult };
  state_read: { params: StateSealedParams; result: StateReadResult };
  state_subscribe: { params: StateSealedParams; result: StateSubscribeResult };
  state_unsubscribe: { params: { subscriptionId: string }; result: StateUnsubscribeResult };
  state_status: { params: Record<string, never>; result: StateStatusResult };
  state_checkpoint: { params: { domain: StateDomainParams }; result: StateCheckpointResult };
  /** A snapshot entry of the whole state as of lastApplied, for members that joined later. */
  state_snapshot: { params: { domain: StateDomainParams }; result: StateSnapshotResult };
  /** CiphertextBatch signature over entries this enclave's state_submit produced in the current epoch. */
  state_sign_batch: { params: StateSignBatchParams; result: StateSignBatchResult };
}

export interface StateSnapshotResult {
  /** Log entry (version 0x02) for AnonifyGroup.postSnapshot at position stateCounter + 1 (the only one it takes). */
  entry: Hex;
  epoch: string;
  /** Enclave signature of Snapshot(epoch, stateCounter + 1, keccak256(entry)). */
  signature: Hex;
  /** The lastApplied the snapshot holds. */
  stateCounter: string;
}

export interface StateSignBatchParams {
  /**
   * 1..128 (AnonifyGroup.MAX_BATCH_SIZE) entries from this enclave's state_submit, in the order of their producer
   * sequences without a gap (the batch takes that range of the enclave's post numbers).
   */
  entries: Hex[];
  /** The contract epoch the entries were made for (must be the group's current one). */
  epoch: string;
  domain: StateDomainParams;
}

export interface StateSignBatchResult {
  /** Enclave signature of CiphertextBatch(epoch, firstSequence, payloadsHash) for AnonifyGroup.postCiphertextBatch. */
  signature: Hex;
  /** keccak256(keccak256(entries[0]) ‖ … ‖ keccak256(entries[n-1])). */
  payloadsHash: Hex;
  /** The producer sequence of entries[0]: the batch's first post number. */
  firstSequence: string;
}

// ---------------------------------------------------------------------------------------------
// Attestation (PROTOCOL.md "attestation_verify")

/** A measurement policy as `attestation_verify` takes it (the contract's defaults where absent). */
export interface AttestationPolicyParams {
  /** Default ["OK"]; compared byte for byte with isvEnclaveQuoteStatus. */
  allowedStatuses?: string[];
  /** Default false. */
  allowDebug?: boolean;
  /** When present, MRENCLAVE must be one of these (32 bytes each). */
  allowedMrenclaves?: Hex[];
  /** When present, MRSIGNER and ISVPRODID must match and ISVSVN be at least minIsvSvn. */
  signer?: { mrsigner: Hex; isvProdId: number; minIsvSvn: number };
  /** Seconds; 0 or absent = off. Needs `now`. Decimal string or number. */
  maxReportAge?: number | string;
}

/** The DCAP policy of `attestation_verify` kind "dcap" (the TypeScript `DcapPolicy`, same defaults). */
export interface DcapPolicyParams {
  /** Default ["UpToDate"]; platform and QE TCB statuses accepted. "Revoked" or an unknown name is invalid_params. */
  allowedTcbStatuses?: string[];
  /** Seconds a collateral item is still accepted after its nextUpdate. Default 0. Decimal string or number. */
  collateralGrace?: number | string;
  /** Minimum tcbEvaluationDataNumber of TCB Info and QE Identity (uint32). Default 0. */
  minTcbEvaluationDataNumber?: number;
  allowDebug?: boolean;
  allowedMrenclaves?: Hex[];
  signer?: { mrsigner: Hex; isvProdId: number; minIsvSvn: number };
}

/** `attestation_verify` kind "dcap": an SGX ECDSA quote (v3 or v4) with its PCS collateral. */
export interface DcapVerifyParams {
  kind: "dcap";
  /** The raw quote. */
  quote: Hex;
  /** The PCS `{"tcbInfo":…,"signature":…}` body, exact bytes (TCB Info v3). */
  tcbInfo: Hex;
  /** The PCS `{"enclaveIdentity":…,"signature":…}` body, exact bytes (QE Identity v2). */
  qeIdentity: Hex;
  /** The TCB Signing chain PEM (TCB Signing certificate, then the root), as the PCS issuer-chain header carries it. */
  tcbSigningChain: Hex;
  /** DER CRLs: the root CA CRL and/or the PCK CA CRL. */
  crls?: Hex[];
  /**
   * DER of the root to judge under instead of the compiled-in one (this stateless verdict only). Absent: the
   * development PCS's root in a simulation build, Intel's SGX Root CA in an sgx build.
   */
  rootCertificate?: Hex;
  /** Absent: steps 1-10 only (what the evidence establishes); present: steps 1-12. */
  policy?: DcapPolicyParams;
  /** Unix seconds the certificates and collateral are judged at (required). */
  now: number | string;
}

/** What a verified DCAP quote establishes beyond the identity (the TypeScript `VerifiedQuote`). */
export interface DcapVerifiedDetails {
  quoteVersion: number;
  qeTcbStatus: string;
  fmspc: Hex;
  pceId: Hex;
  revocationChecked: boolean;
  pckSerial: Hex;
  pckPublicKey: Hex;
  tcbEvaluationDataNumber: number;
  /** Unix seconds: the earliest nextUpdate among the collateral used (without grace). */
  collateralNextUpdate: number;
}

export type AttestationVerifyParams = IasVerifyParams | DcapVerifyParams;

export interface IasVerifyParams {
  kind: "ias";
  /** The exact report body bytes Intel (or the development IAS) signed. */
  report: Hex;
  /** RSA-2048 PKCS#1 v1.5 SHA-256 signature over `report` (256 bytes; any length is judged). */
  signature: Hex;
  /** DER of the report-signing certificate. */
  signingCertificate: Hex;
  /** DER of a CA to judge under instead of the compiled-in one: this stateless verdict only. */
  caCertificate?: Hex;
  /** Absent: steps 1-7 only (no policy). */
  policy?: AttestationPolicyParams;
  /** Unix seconds playing block.timestamp for `maxReportAge`. */
  now?: number | string;
}

/** What verified evidence attests (anonify::attestation::VerifiedIdentity). */
export interface AttestedIdentity {
  kind: "ias" | "dcap";
  mrenclave: Hex;
  mrsigner: Hex;
  isvProdId: number;
  isvSvn: number;
  debug: boolean;
  /** 64 bytes. */
  reportData: Hex;
  /** IAS: isvEnclaveQuoteStatus, its bytes decoded as UTF-8 (U+FFFD for invalid sequences); DCAP: the platform's TCB status. */
  status: string;
  /** IAS: unix seconds of the report's timestamp (fraction dropped); DCAP: `now`, the time the collateral was judged at. */
  timestamp: number;
  /** IAS: the string items of the report's advisoryIDs; DCAP: the platform TCB level's, then the QE level's not already listed. Reported, not judged. */
  advisoryIds: string[];
}

/**
 * The enclave's verdict. A refusal carries the Solidity custom error's name (`IasErrorCode` of
 * src/attestation/errors.ts) and its arguments as strings: unsigned integers in decimal, bytes32
 * as 0x-lowercase hex, strings as they are (UTF-8, U+FFFD for invalid sequences).
 */
export type AttestationVerifyResult =
  | { valid: true; identity: AttestedIdentity; dcap?: DcapVerifiedDetails }
  | { valid: false; error: { code: string; args: string[]; message: string } };

export interface EnclaveMethods {
  /** Verifies attestation evidence under the compiled-in (or given) CA and an optional policy; stateless. */
  attestation_verify: { params: AttestationVerifyParams; result: AttestationVerifyResult };
}
