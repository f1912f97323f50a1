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
  /** The enclave committed another policy than the governance approvals name (src/node/policyChange.ts). */
  | "policy_mismatch"
  | "state_unavailable"
  | "invalid_options"
  | "leaf_unknown"
  // state handover to late joiners
  | "snapshot_in_progress"
  | "snapshot_refused"
  // the chain RPC did not answer within the retry cap (docs/node.md "RPC outages")
  | "chain_unreachable"
  /** Another process runs a node on this data dir (`<dataDir>/node.lock`; docs/node.md "Before a node starts"). */
  | "data_dir_locked";

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
