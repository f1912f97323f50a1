/**
 * What a task's user sees when the work fails. The plugin's own typed errors (a refusal by the node, the enclave, the
 * client, the verifier or the wire format, each with a stable `code` and a message that says what to do) are user
 * mistakes or refusals, not bugs: they reach the user as an `AnonifyPluginError`, which Hardhat prints as one line
 * without a stack trace, keeping the original as `parent` and its `code`. Anything else is a bug and keeps its stack.
 * The error modules are imported only when something failed, so a task's start stays fast.
 */
import { HardhatPluginError } from "hardhat/plugins";
import { AnonifyPluginError } from "./errors";

/** Runs a task's work; typed plugin errors become `AnonifyPluginError` (see the module comment). */
export async function withPluginErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw await asPluginError(error);
  }
}

/** `error` as the user should see it: an `AnonifyPluginError` for the plugin's typed errors, else unchanged. */
export async function asPluginError(error: unknown): Promise<unknown> {
  if (!(error instanceof Error) || error instanceof HardhatPluginError) return error;
  const [{ NodeError }, client, { WireFormatError }, enclave, { IasVerificationError }] = await Promise.all([
    import("./node/errors"),
    import("./client/errors"),
    import("./client/wire"),
    import("./enclave/EnclaveProcess"),
    import("./attestation/errors"),
  ]);
  if (error instanceof client.CommandRejectedError) {
    return new AnonifyPluginError(`the enclaves rejected the command: ${error.reason}`, error, error.code);
  }
  if (error instanceof client.CommandRefusedError) {
    return new AnonifyPluginError(
      `the node's enclave refused the command before posting it: ${error.reason}. Nothing was posted and nonce ${error.nonce} is ` +
        `still unused: fix the command (or wait for pending commands that change the state) and run the task again`,
      error,
      error.code,
    );
  }
  if (error instanceof client.RateLimitedError) {
    return new AnonifyPluginError(
      `the node is rate limiting: ${error.nodeMessage}. Nothing was accepted; run the task again in ${error.retryAfterSeconds} s`,
      error,
      error.code,
    );
  }
  const typed =
    error instanceof NodeError ||
    error instanceof client.AnonifyClientError ||
    error instanceof WireFormatError ||
    error instanceof enclave.EnclaveError ||
    error instanceof enclave.EnclaveTimeoutError ||
    error instanceof enclave.EnclaveCrashedError ||
    error instanceof enclave.EnclaveOptionsError ||
    error instanceof IasVerificationError;
  if (!typed) return error;
  const code = String((error as Error & { code: unknown }).code);
  return new AnonifyPluginError(`${error.message} [${code}]`, error, code);
}
