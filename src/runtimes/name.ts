/**
 * State runtime names: the application a group runs, recorded in its contract (`AnonifyGroup.runtime()`) and in
 * its MLS group policy, and compiled into the enclave binary (`status().runtimes`). The rule is the enclave's and
 * the contract's (`valid_runtime_name`, `RuntimeName.isValid`): 1 to 64 bytes of `[a-z0-9._/-]`, starting with a
 * letter or digit.
 */

/** The confidential token, the runtime a group runs unless configured otherwise. */
export const TOKEN_RUNTIME = "anonify-token/v1";

/** Longest runtime name. */
export const MAX_RUNTIME_NAME_LENGTH = 64;

const RUNTIME_NAME = /^[a-z0-9][a-z0-9._/-]{0,63}$/;

/** Whether `name` is a runtime name the enclave and the contract accept. */
export function isValidRuntimeName(name: unknown): name is string {
  return typeof name === "string" && RUNTIME_NAME.test(name);
}

/** Why `name` is not a runtime name, for error messages. */
export function runtimeNameProblem(name: unknown): string | undefined {
  if (isValidRuntimeName(name)) return undefined;
  return `${JSON.stringify(name)} is not a runtime name (1..${MAX_RUNTIME_NAME_LENGTH} characters of a-z 0-9 . _ / -, starting with a letter or digit, e.g. "${TOKEN_RUNTIME}")`;
}
