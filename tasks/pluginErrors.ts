import type { ActionType, TaskArguments } from "hardhat/types";

/**
 * Wraps a task action so that the plugin's typed errors (NodeError, client, enclave, wire and verifier errors) reach
 * the user as one-line `AnonifyPluginError`s naming their code, instead of Hardhat's "An unexpected error occurred"
 * and a stack trace (src/taskErrors.ts). Nothing is imported until the action runs.
 */
export function pluginErrors<Args extends TaskArguments>(action: ActionType<Args>): ActionType<Args> {
  return async (args, hre, runSuper) => {
    const { withPluginErrors } = await import("../src/taskErrors");
    return withPluginErrors(() => action(args, hre, runSuper));
  };
}
