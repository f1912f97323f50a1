/**
 * The options of an AnonifyNode (src/node/AnonifyNode.ts) and their defaults; docs/node.md describes them.
 */
import type { Signer } from "ethers";
import type { EnclaveMode, MlsGroupPolicyParams } from "../enclave/protocol";
import type { Attester } from "./attester";
import type { HealthOptions } from "./health";
import type { HttpApiOptions } from "./httpApi";
import type { NodeLogger } from "./logger";
import type { RpcOptions } from "./rpc";

/** Default number of applied entries between two checkpoints. */
export const DEFAULT_CHECKPOINT_INTERVAL = 16;
export const DEFAULT_POLL_INTERVAL_MS = 500;

export interface AnonifyNodeOptions {
  /** The anonify-enclave binary. */
  binary: string;
  /** Default "simulation". */
  mode?: EnclaveMode;
  /** The node's directory: sealed enclave files (simulation), metadata, the operator token. */
  dataDir: string;
  /** The node's own account (pays for its posts); must be connected to a provider. */
  signer: Signer;
  /** The AnonifyGroup address. */
  group: string;
  /**
   * The chain id the group's deployment record names: start() refuses (`chain_mismatch`) an RPC serving another
   * chain. Unset: not checked (the node's metadata still pins the chain of its first start).
   */
  expectedChainId?: bigint | string;
  /** How errors name the chain RPC (e.g. "network localhost (http://127.0.0.1:8545)"); default its URL. */
  rpcName?: string;
  /** First block to read (default: the group's deployment block, found on chain and remembered). */
  fromBlock?: number;
  /**
   * Blocks to wait before applying an entry. Default 0: entries apply at once, and a reorg that drops or reorders
   * applied entries rolls the enclave back to a restore point and replays (docs/recovery.md).
   */
  confirmations?: number;
  /**
   * With confirmations: how often the node reports its wait for its own join to be `confirmations` deep (default
   * every 10 s, and whenever the depth changes), and after how long without a new block the line says the chain
   * has stopped producing blocks (default 30 s: an automine chain without other traffic never mines one).
   */
  joinWait?: { progressIntervalMs?: number; noBlockWarnMs?: number };
  /** How many blocks of restore points the node keeps: the deepest reorg it can roll back. Default 64. */
  reorgDepth?: number;
  pollIntervalMs?: number;
  /**
   * Also sync as soon as the provider reports a new block (ethers' "block" event: pushed by a WebSocket provider,
   * polled by HTTP providers at their own polling interval, every 50 ms by Hardhat's in-process provider), instead
   * of waiting up to `pollIntervalMs`; the poll loop stays as the fallback. Default true; false leaves the poll loop
   * alone (and nodes that sync only when told, as some tests need).
   */
  syncOnNewBlocks?: boolean;
  /**
   * The evidence kind the node expects its group to admit (`anonify.attestation`); start() refuses a group whose
   * verifier admits the other one. Unset: the group's verifier decides.
   */
  attestation?: "dcap" | "ias";
  /** IAS groups. Default: the development IAS in simulation; required in sgx mode (IntelIasAttester). */
  attester?: Attester;
  /**
   * DCAP groups: the PCS or PCCS the node fetches its platform's collateral from before its join (`anonify.dcap`).
   * Required in sgx mode; in simulation the node serves a development PCS itself and ignores this.
   */
  dcap?: { url: string; apiKey?: string };
  /**
   * The measurement policy of a group this node creates (it is fixed in the group at creation; nodes that join
   * ignore it). Default: from the group's IAS verifier, with the SGX-native upgrade rule (MRSIGNER + ISVPRODID +
   * minimum ISVSVN) and no MRENCLAVE list (src/node/evidence.ts genesisPolicy).
   */
  groupPolicy?: MlsGroupPolicyParams;
  /** HTTP API; `false` to run without one. Default: 127.0.0.1 on a free port. */
  http?: HttpApiOptions | false;
  /** Applied entries between checkpoints; 0 turns checkpoints off. */
  checkpointInterval?: number;
  /**
   * Seconds a read's or subscription's `issuedAt` may lie before the enclave's chain clock (the newest block time it
   * applied), 60..3600 (else invalid_options); the enclave's default (600) when unset.
   */
  issuedAtWindow?: number;
  /** Largest ciphertext batch, 1..the contract's MAX_BATCH_SIZE (else invalid_options). Default 32. */
  maxBatchSize?: number;
  /** How long the submitter gathers commands before posting (more make one batch). Default 20 ms. */
  batchWindowMs?: number;
  /**
   * After another enclave joins, this member posts the state snapshot the newcomer needs after (own leaf index x
   * this) ms, unless a member with a lower leaf posted one first. Default 5,000 ms (src/node/snapshots.ts).
   */
  snapshotStaggerMs?: number;
  logger?: NodeLogger;
  /**
   * Called once when the node stops by itself because its enclave process died (the node has shut down; restart
   * it to resume from the sealed state, the journal and the log). Default: only the log line.
   */
  onFatal?: (error: Error) => void;
  /** Chain RPC timeouts, backoff and retry cap (docs/node.md "RPC outages"). */
  rpc?: RpcOptions;
  /** When `/health` calls the node wedged or stalled (docs/node.md "Health"; src/node/health.ts). */
  health?: HealthOptions;
}
