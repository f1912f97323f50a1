/**
 * The enclave's state runtime methods as the node calls them (`state_submit`, `state_apply`, `state_read`,
 * `state_subscribe`, `state_unsubscribe`, `state_status`, `state_checkpoint`, `state_snapshot`, `state_sign_batch`;
 * enclave/PROTOCOL.md, "State runtime methods"). Their parameter and result types are the protocol's
 * (`src/enclave/protocol.ts`), defined once; this module names the subset and re-exports the result types the node
 * API hands out. uint64 values travel as decimal strings.
 */
import type { EnclaveProcess } from "../enclave/EnclaveProcess";
import type { EnclaveMethods, StateNotification } from "../enclave/protocol";

export type {
  StateApplyResult,
  StateCheckpointResult,
  StateSignBatchResult,
  StateSnapshotResult,
  StateStatusResult,
  StateSubmitResult,
} from "../enclave/protocol";

/** A subscription's notification produced by `state_apply`. */
export type StateApplyNotification = StateNotification;

/** The state runtime's methods. */
export type StateMethod =
  | "state_submit"
  | "state_apply"
  | "state_read"
  | "state_subscribe"
  | "state_unsubscribe"
  | "state_status"
  | "state_checkpoint"
  | "state_snapshot"
  | "state_sign_batch";
export type StateMethods = Pick<EnclaveMethods, StateMethod>;

/** Calls a state runtime method. */
export function callState<M extends StateMethod>(
  enclave: EnclaveProcess,
  method: M,
  params: EnclaveMethods[M]["params"],
): Promise<EnclaveMethods[M]["result"]> {
  return enclave.call(method, params);
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
