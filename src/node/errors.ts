/**
 * Typed errors of the TEE node. `code` is stable (HTTP API `error.code`, task output); `status` is the HTTP
 * status the API answers with when the error reaches a client.
 */
export type NodeErrorCode =
  // HTTP API input
  | "bad_json"
  | "body_too_large"
  | "payload_missing"
  | "payload_invalid"
  | "unknown_command"
  | "not_found"
  | "method_not_allowed"
  | "command_id_invalid"
  | "unauthorized"
  // enclave refusals passed on to the client
  | "enclave_rejected"
  | "nonce_mismatch"
  | "not_member"
  | "enclave_unavailable"
  /** Too many requests from one client IP, or commands from one sender (429 with Retry-After; src/node/rateLimit.ts). */
  | "rate_limited"
  // node lifecycle
  | "node_not_started"
  | "node_already_started"
  | "enclave_revoked"
  | "enclave_removed"
  | "group_mismatch"
  | "join_failed"
  /** The node's account may not submit joins: it lacks the group's OPERATOR_ROLE or is at its cap (audit F-2). */
  | "not_operator"
  | "handshake_refused"
  | "attestation_failed"
  /** The group's verifier policy cannot make a group policy (e.g. no quote status allowed). */
  | "invalid_policy"
  /** The enclave binary does not carry the state runtime the group contract names (`AnonifyGroup.runtime()`). */
  | "runtime_unavailable"
  /** The enclave committed another policy than the governance approvals name (src/node/policyChange.ts). */
  | "policy_mismatch"
  | "state_unavailable"
  | "invalid_options"
  | "leaf_unknown"
  // state handover to late joiners
  | "snapshot_in_progress"
  | "snapshot_refused"
  // the chain RPC did not answer within the retry cap (docs/node.md "RPC outages"), or at start (pre-flight)
  | "chain_unreachable"
  // pre-flight of a start, before anything is written or paid for (docs/node.md "Before a node starts")
  /** Another process runs a node on this data dir (`<dataDir>/node.lock`). */
  | "data_dir_locked"
  /** The HTTP API's port is taken. */
  | "port_in_use"
  /** The RPC serves another chain than the deployment record names. */
  | "chain_mismatch"
  /** The group address holds a contract that is not an AnonifyGroup. */
  | "not_a_group"
  /** The group address holds an AnonifyGroup of another interface version than this node speaks. */
  | "group_incompatible"
  /** The node's account cannot pay for its join and posts. */
  | "account_unfunded"
  /** The chain no longer holds the group this data dir followed (reset, e.g. a restarted `hardhat node`). */
  | "chain_reset"
  /** anonify:deploy would overwrite the record of a group that still exists (pass --force). */
  | "deployment_exists";

export class NodeError extends Error {
  constructor(
    readonly code: NodeErrorCode,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = "NodeError";
  }
}
