/**
 * Typed errors of the client SDK. Every one carries a stable `code`; callers branch on the class or the code,
 * never on the message.
 */

/** Base class: `code` is stable and machine-readable. */
export class AnonifyClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Why a node's enclave was not trusted (nothing was encrypted to it). */
export type EnclaveDistrustReason =
  /** The node serves another AnonifyGroup than the client was configured with. */
  | "group_mismatch"
  /** The address is not in the group's roster (never joined). */
  | "not_registered"
  /** The enclave was revoked or evicted. */
  | "revoked"
  /** The node's HPKE key is not the one the enclave registered (bound to REPORTDATA at join). */
  | "hpke_key_mismatch"
  /** The node's MLS signature key is not the registered one. */
  | "mls_key_mismatch"
  /** The node claims another MRENCLAVE than the attested one. */
  | "mrenclave_mismatch"
  /** The attested MRENCLAVE is no longer on the verifier's allowlist (the enclave may be evicted). */
  | "mrenclave_disallowed"
  /** The node's answer is not an enclave description. */
  | "malformed_enclave_info"
  /** The join's attested REPORTDATA does not name this address or does not bind these keys. */
  | "report_data_mismatch"
  /** The enclave's join transaction (with its report) cannot be found or decoded. */
  | "join_report_unavailable"
  /** Another active enclave signed a different state hash at the counter of this enclave's latest checkpoint. */
  | "checkpoint_divergence"
  /** Fewer other active enclaves than the configured quorum checkpointed the same state. */
  | "checkpoint_quorum";

/** The node's enclave does not match the chain: the client refuses to encrypt anything to it. */
export class EnclaveNotTrustedError extends AnonifyClientError {
  constructor(
    readonly reason: EnclaveDistrustReason,
    message: string,
    readonly enclaveAddress?: string,
  ) {
    super("enclave_not_trusted", `enclave not trusted (${reason}): ${message}`);
  }
}

/**
 * The node answered with an HTTP error (`code` = the node's `error.code`, `status` = the HTTP status), or could
 * not be reached (`code` "node_unreachable", status 0), or answered something that is not the API's JSON
 * (`code` "bad_response").
 */
export class NodeRequestError extends AnonifyClientError {
  /** The node's own `error.message` (without the method, path and status). */
  readonly nodeMessage: string;

  constructor(
    code: string,
    message: string,
    readonly status: number,
    readonly method: string,
    readonly path: string,
  ) {
    super(code, `${method} ${path}: ${message}${status ? ` (HTTP ${status})` : ""}`);
    this.nodeMessage = message;
  }
}

/**
 * The node's enclave refused the command before anything was posted: its runtime would reject it against the state
 * the enclave has applied (`reason` exactly as the log would record it: "insufficient balance", "zero address", …).
 * Nothing reached the chain and the nonce is unused: fix the command and submit it again (same nonce).
 */
export class CommandRefusedError extends AnonifyClientError {
  constructor(
    readonly reason: string,
    /** The nonce the command carried; still the sender's next. */
    readonly nonce: bigint,
  ) {
    super("command_refused", `command refused before posting: ${reason}`);
  }
}

/**
 * The node rate-limited the request (HTTP 429 `rate_limited`): too many commands from this sender or requests from
 * this address. Nothing was accepted; retry after `retryAfterSeconds`.
 */
export class RateLimitedError extends NodeRequestError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    method: string,
    path: string,
  ) {
    super("rate_limited", message, 429, method, path);
  }
}

/** The command reached the log and every enclave rejected it deterministically (insufficient balance, …). */
export class CommandRejectedError extends AnonifyClientError {
  constructor(
    readonly commandId: string,
    readonly reason: string,
    readonly stateCounter?: bigint,
  ) {
    super("command_rejected", `command ${commandId} rejected: ${reason}`);
  }
}

/**
 * The command did not reach the log and will not: its node gave up on it (status "failed"), no node asked has seen
 * it applied or rejected, and a fresh read of the user's nonce through a trusted enclave shows the command's nonce
 * unused (see `CommandSubmission.wait`).
 */
export class CommandFailedError extends AnonifyClientError {
  constructor(
    readonly commandId: string,
    readonly reason: string,
  ) {
    super("command_failed", `command ${commandId} failed: ${reason}`);
  }
}

/**
 * The node's enclave answered a read as of `stateCounter`, but the group's log on chain already held `chainCounter`
 * entries when the read was sent: the node lags by `lag` entries, more than the client allows (`maxReadLag`).
 * Both counters are ones the client checked itself: `stateCounter` comes from inside the reply sealed to the
 * client's fresh key (the host cannot change it), `chainCounter` from the group contract through the client's own
 * provider.
 */
export class StaleReadError extends AnonifyClientError {
  constructor(
    readonly stateCounter: bigint,
    readonly chainCounter: bigint,
    readonly lag: bigint,
    readonly maxLag: bigint,
    readonly nodeUrl: string,
    waitedMs?: number,
  ) {
    super(
      "stale_read",
      `stale read: the node ${nodeUrl} answered as of state counter ${stateCounter}, but the chain's log held ${chainCounter} entries ` +
        `when the read was sent (${lag} behind, at most ${maxLag} allowed)` +
        (waitedMs !== undefined ? ` and did not catch up within ${waitedMs} ms` : "") +
        `. The node lags behind the chain (check its /health): read through another node, retry later, wait for it ` +
        `(readLagPolicy "wait", CLI --wait), or accept an older answer (maxReadLag, CLI --max-lag)`,
    );
  }
}

/** The enclave refused a read (`code` = the enclave's code, e.g. "not_authorized"). */
export class ReadRefusedError extends AnonifyClientError {
  constructor(code: string, message: string) {
    super(code, `read refused (${code}): ${message}`);
  }
}

/**
 * The enclave answered from another runtime than the one the group contract names (`AnonifyGroup.runtime()`). The
 * enclave cannot read the chain, so its group policy's runtime is what its host gave it at group creation: this check
 * is what ties an answer to the contract's runtime. The answer is discarded; the node is not serving this group's
 * application.
 */
export class RuntimeMismatchError extends AnonifyClientError {
  constructor(
    readonly expected: string,
    readonly actual: string | null,
    readonly nodeUrl: string,
  ) {
    super(
      "runtime_mismatch",
      `the node ${nodeUrl} answered from the runtime ${JSON.stringify(actual)}, but the group contract runs "${expected}": ` +
        "its answer is discarded. Read through another node of the group, and tell the node's operator",
    );
  }
}

/** Waiting for a command or a notification took longer than allowed. */
export class ClientTimeoutError extends AnonifyClientError {
  constructor(message: string) {
    super("timeout", message);
  }
}

/** Bad argument to an SDK call (before anything is sent). */
export class ClientArgumentError extends AnonifyClientError {
  constructor(message: string) {
    super("invalid_argument", message);
  }
}
