/**
 * The enclave's state runtime methods as the node calls them (brief: `state_submit`, `state_apply`,
 * `state_read`, `state_subscribe`, `state_unsubscribe`, `state_status`, `state_checkpoint`, `state_snapshot`, `state_sign_batch`; documented in
 * enclave/PROTOCOL.md, "State runtime methods"). uint64 values travel as decimal strings.
 */
import type { EnclaveProcess } from "../enclave/EnclaveProcess";
import type { Eip712DomainParams, Hex, StateSnapshotResult } from "../enclave/protocol";

export interface StateSubmitResult {
  /** The log entry to post (version ‖ nonce ‖ AES-128-GCM). */
  entry: Hex;
  /** Chain epoch the entry is encrypted and signed for. */
  epoch: string;
  /** EIP-712 `Ciphertext{epoch, keccak256(entry)}` by the enclave. */
  signature: Hex;
  commandId: Hex;
  sender: Hex;
  nonce: string;
  /** The producing enclave and its sequence number of the entry in the epoch (PROTOCOL.md "Log entries"). */
  producer: Hex;
  producerSequence: string;
}

export interface StateApplyNotification {
  subscriptionId: string;
  payload: Hex;
}

export type StateApplyResult =
  | { duplicate: true; stateCounter?: string }
  | {
      duplicate?: false;
      stateCounter: string;
      outcome: "applied" | "rejected";
      reason?: string;
      /** Snapshot entries: "adopted" (this enclave took over the state from it) or "checked" (equal to its own). */
      snapshot?: "adopted" | "checked";
      commandId?: Hex;
      sender?: Hex;
      producer?: Hex;
      producerSequence?: string;
      /** With reason "out of sequence": the number the producer's next entry must carry. */
      expectedSequence?: string;
      stateHash: Hex;
      notifications: StateApplyNotification[];
    };

export interface StateStatusResult {
  lastApplied: string;
  stateHash: Hex;
  initialized: boolean;
  epoch: string | number | null;
}

export interface StateCheckpointResult {
  stateCounter: string;
  stateHash: Hex;
  signature: Hex;
}

export interface StateSignBatchResult {
  /** EIP-712 `CiphertextBatch{epoch, payloadsHash}` by the enclave. */
  signature: Hex;
  /** keccak256(keccak256(entries[0]) ‖ … ‖ keccak256(entries[n-1])). */
  payloadsHash: Hex;
}

export interface StateMethods {
  /** `pending`: this node's entries of `epoch` that may still reach the log, by highest sequence (PROTOCOL.md). */
  state_submit: { params: { payload: Hex; domain: Eip712DomainParams; pending?: { epoch: string; highestSequence?: string } }; result: StateSubmitResult };
  /** `blockTimestamp`: unix time of the entry's block (moves the enclave's chain clock). */
  state_apply: { params: { stateCounter: string; epoch: string; entry: Hex; blockTimestamp: string }; result: StateApplyResult };
  /** `domain` is required until the log holds a command (reads and subscriptions carry none themselves). */
  /** `issuedAtWindow`: seconds issuedAt may lie before the chain clock, 60..3600 (default 600). */
  state_read: { params: { payload: Hex; domain?: Eip712DomainParams; issuedAtWindow?: string }; result: { reply: Hex } };
  state_subscribe: { params: { payload: Hex; domain?: Eip712DomainParams; issuedAtWindow?: string }; result: { subscriptionId: string } };
  state_unsubscribe: { params: { subscriptionId: string }; result: unknown };
  state_status: { params: Record<string, never>; result: StateStatusResult };
  state_checkpoint: { params: { domain: Eip712DomainParams }; result: StateCheckpointResult };
  /** The whole state as a snapshot entry (0x02) for late joiners; it must become entry stateCounter + 1. */
  state_snapshot: { params: { domain: Eip712DomainParams }; result: StateSnapshotResult };
  /** Only for entries this enclave's state_submit produced in the current epoch (else `unknown_entry`). */
  state_sign_batch: { params: { entries: Hex[]; epoch: string; domain: Eip712DomainParams }; result: StateSignBatchResult };
}
export type StateMethod = keyof StateMethods;

/** Calls a state runtime method (typed here so the node does not depend on when protocol.ts gains them). */
export function callState<M extends StateMethod>(
  enclave: EnclaveProcess,
  method: M,
  params: StateMethods[M]["params"],
): Promise<StateMethods[M]["result"]> {
  const call = enclave.call.bind(enclave) as unknown as (m: string, p: unknown) => Promise<StateMethods[M]["result"]>;
  return call(method, params);
}

/** True when the running enclave binary registers `method` (its `status().methods`). */
export async function hasStateMethod(enclave: EnclaveProcess, method: StateMethod): Promise<boolean> {
  return (await enclave.status()).methods.includes(method);
}

/** True when the running enclave binary registers the state runtime (its `status().methods`). */
export async function hasStateRuntime(enclave: EnclaveProcess): Promise<boolean> {
  const status = await enclave.status();
  return status.methods.includes("state_submit") && status.methods.includes("state_apply");
}
