import { scope, task } from "hardhat/config";
import type { ConfigurableTaskDefinition } from "hardhat/types";
import { ANONIFY_SCOPE } from "./verify-report";
import { pluginErrors } from "./pluginErrors";

/** `anonify:status` (and `anonify status`): a running node's health, readable or as JSON. */
export const STATUS_TASK = "anonify:status";

const DESCRIPTION = "Show a running node's health (serving, wedged, stalled, counters, lag, epoch, RPC); exit code 1 unless ok";

export interface StatusTaskArgs {
  node: string;
  json: boolean;
}

function define(t: ConfigurableTaskDefinition): void {
  t.addParam("node", "The node: its URL (http://host:port) or its data dir (the URL is read from <dataDir>/node.url)")
    .addFlag("json", "Print the node's /health report as JSON")
    .setAction(pluginErrors(async (args: StatusTaskArgs) => {
      const { resolveNodeUrl, fetchHealth, formatHealth } = await import("../src/node/status");
      const url = resolveNodeUrl(args.node);
      const health = await fetchHealth(url);
      console.log(args.json ? JSON.stringify(health, null, 2) : formatHealth(url, health));
      if (health.status !== "ok") process.exitCode = 1;
      return health;
    }));
}

define(task(STATUS_TASK, DESCRIPTION));
define(scope(ANONIFY_SCOPE).task("status", DESCRIPTION));
