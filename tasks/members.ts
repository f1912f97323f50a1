import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { AnonifyPluginError } from "../src/errors";
import { both } from "./token";
import type { GroupRosterJson } from "../src/client/roster";

interface MembersArgs {
  group?: string;
  json: boolean;
}

/** What `anonify:members` returns: the roster with decimal strings for the counters (src/client/roster.ts). */
export type MembersTaskResult = GroupRosterJson;

async function members(args: MembersArgs, hre: HardhatRuntimeEnvironment): Promise<MembersTaskResult> {
  const [{ resolveGroupForTask }, { readRoster, rosterToJson, formatRoster }, { withPluginErrors }] = await Promise.all([
    import("../src/client/deployment"),
    import("../src/client/roster"),
    import("../src/taskErrors"),
  ]);
  return withPluginErrors(async () => {
    let record;
    try {
      record = await resolveGroupForTask(hre.ethers.provider, hre.config.anonify.dataDir, args.group);
    } catch (error) {
      throw new AnonifyPluginError((error as Error).message);
    }
    let roster;
    try {
      roster = await readRoster(hre.ethers.provider, record.group, { fromBlock: record.fromBlock });
    } catch (error) {
      throw new AnonifyPluginError((error as Error).message, error as Error);
    }
    const json = rosterToJson(roster);
    if (args.json) console.log(JSON.stringify(json, null, 2));
    else for (const line of formatRoster(roster)) console.log(line);
    return json;
  });
}

both("members", "List the group's enclaves from the chain: status, MRENCLAVE, join epoch, operator, latest checkpoint", (t) =>
  t
    .addOptionalParam("group", "AnonifyGroup address (default: the deployment file of anonify:deploy for this chain)")
    .addFlag("json", "Print the roster as JSON")
    .setAction((args: MembersArgs, hre) => members(args, hre)),
);
