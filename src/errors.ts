import { HardhatPluginError } from "hardhat/plugins";

export const PLUGIN_NAME = "hardhat-anonify";

/** Every error the plugin raises to a Hardhat user: actionable message, plugin name attached. */
export class AnonifyPluginError extends HardhatPluginError {
  constructor(message: string, parent?: Error) {
    super(PLUGIN_NAME, message, parent);
  }
}
