import { HardhatPluginError } from "hardhat/plugins";

export const PLUGIN_NAME = "hardhat-anonify";

/**
 * Every error the plugin raises to a Hardhat user: actionable message, plugin name attached. `code` is the stable
 * code of the typed error it reports (NodeError, client, enclave, wire and verifier errors), when there is one.
 */
export class AnonifyPluginError extends HardhatPluginError {
  constructor(
    message: string,
    parent?: Error,
    readonly code?: string,
  ) {
    super(PLUGIN_NAME, message, parent);
    // HardhatPluginError resets the prototype to its own, which would make `instanceof AnonifyPluginError` false.
    Object.setPrototypeOf(this, new.target.prototype);
  }
}
