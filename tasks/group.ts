import { scope, task, types } from "hardhat/config";
import type { ConfigurableTaskDefinition, HardhatRuntimeEnvironment } from "hardhat/types";
import { ANONIFY_SCOPE } from "./verify-report";
import { pluginErrors } from "./pluginErrors";

/** `anonify:rotate` / `anonify:remove` (and `anonify rotate|remove`): member commits posted as handshakes. */
export const ROTATE_TASK = "anonify:rotate";
export const REMOVE_TASK = "anonify:remove";
export const POLICY_CHANGE_TASK = "anonify:policy-change";

const ROTATE_DESCRIPTION = "Rotate a node's group keys: an MLS self-update commit posted as the next handshake";
const REMOVE_DESCRIPTION =
  "Remove a member: an MLS remove commit by a member node, then revokeEnclave when the caller holds GOVERNOR_ROLE";

const POLICY_CHANGE_DESCRIPTION =
  "Change the group policy (e.g. an MRENCLAVE upgrade): a commit carrying k governance approvals, posted as the next handshake";

export interface PolicyChangeTaskArgs extends GroupTaskArgs {
  /** JSON file with the new policy (mls_create_group's policy format). */
  policy: string;
  /** Comma-separated 65-byte 0x signatures of policyChangeTypedData(domain, mlsEpoch, policy). */
  approvals: string;
}

export interface GroupTaskArgs {
  node: string;
  token?: string;
  account: number;
  /** Environment variable holding the paying account's private key (instead of --account). */
  keyEnv?: string;
}

const KEY_ENV_HELP = "Environment variable holding the paying account's private key (instead of --account; never a key in a file)";

export interface RemoveTaskArgs extends GroupTaskArgs {
  leaf?: number;
  enclave?: string;
  revoke: boolean;
}

/**
 * Runs `action` on the node: through its operator endpoint when it runs (URL, or data dir with node.url), else on
 * a node started on the data dir for this action only.
 */
async function onNode<T>(
  hre: HardhatRuntimeEnvironment,
  args: GroupTaskArgs,
  viaHttp: (target: import("../src/node/operator").AdminTarget) => Promise<T>,
  inProcess: (node: import("../src/node/AnonifyNode").AnonifyNode) => Promise<T>,
): Promise<T> {
  const { resolveRunningNode } = await import("../src/node/operator");
  const { createNode } = await import("../src/node/fromHre");
  const running = await resolveRunningNode(args.node, args.token);
  if (running !== undefined) return viaHttp(running);
  const { taskSigner } = await import("./signer");
  const account = args.keyEnv !== undefined ? await taskSigner(hre, args) : args.account;
  const node = await createNode(hre, { dataDir: args.node, account, port: false });
  await node.start();
  try {
    return await inProcess(node);
  } finally {
    await node.stop();
  }
}

function defineRotate(t: ConfigurableTaskDefinition): void {
  t.addParam("node", "The node: its HTTP URL (with --token) or its data dir")
    .addOptionalParam("token", "Operator token (<dataDir>/admin.token) when --node is a URL")
    .addParam("account", "Network account paying when the node is started for this action", 0, types.int)
    .addOptionalParam("keyEnv", KEY_ENV_HELP)
    .setAction(pluginErrors(async (args: GroupTaskArgs, hre) => {
      const { callAdmin } = await import("../src/node/operator");
      const epoch = await onNode(
        hre,
        args,
        async (target) => (await callAdmin<{ epoch: string }>(target, "/admin/rotate")).epoch,
        async (node) => (await node.rotate()).toString(),
      );
      console.log(`key rotation committed as the handshake of epoch ${epoch}`);
      return { epoch };
    }));
}

function defineRemove(t: ConfigurableTaskDefinition): void {
  t.addParam("node", "A member node doing the remove commit: its HTTP URL (with --token) or its data dir")
    .addOptionalParam("token", "Operator token (<dataDir>/admin.token) when --node is a URL")
    .addOptionalParam("leaf", "Leaf index of the member to remove", undefined, types.int)
    .addOptionalParam("enclave", "Enclave address of the member to remove")
    .addParam("account", "Network account: pays when the node is started here, and revokes if it holds GOVERNOR_ROLE", 0, types.int)
    .addOptionalParam("keyEnv", KEY_ENV_HELP)
    .addFlag("noRevoke", "Skip the governance revocation even when the account holds GOVERNOR_ROLE")
    .setAction(pluginErrors(async (args: RemoveTaskArgs & { noRevoke: boolean }, hre) => {
      const { callAdmin } = await import("../src/node/operator");
      const { NodeError } = await import("../src/node/errors");
      const { groupContract } = await import("../src/node/groupContract");
      const { TxSender } = await import("../src/node/txSender");
      if ((args.leaf === undefined) === (args.enclave === undefined)) {
        throw new NodeError("invalid_options", "give exactly one of --leaf and --enclave");
      }
      const target = args.leaf !== undefined ? { leaf: args.leaf } : { enclave: args.enclave };
      let groupAddress = "";
      const removed = await onNode(
        hre,
        args,
        async (admin) => {
          const enclaveInfo = (await (await fetch(`${admin.url}/enclave`)).json()) as { group: string };
          groupAddress = enclaveInfo.group;
          return callAdmin<{ epoch: string; leaf: number; enclave?: string }>(admin, "/admin/remove", target);
        },
        async (node) => {
          groupAddress = node.options.group;
          const r = await node.remove(target);
          return { ...r, epoch: r.epoch.toString() };
        },
      );
      console.log(`leaf ${removed.leaf}${removed.enclave ? ` (enclave ${removed.enclave})` : ""} removed by the commit of epoch ${removed.epoch}`);

      let revoked: string | undefined;
      const { taskSigner } = await import("./signer");
      const signer = await taskSigner(hre, args);
      const group = groupContract(groupAddress, signer);
      const isGovernor = (await group.hasRole(await group.GOVERNOR_ROLE(), await signer.getAddress())) as boolean;
      if (removed.enclave === undefined) {
        console.log("governance: the removed leaf's enclave address is unknown to the node; revoke it with revokeEnclave by address");
      } else if (args.noRevoke) {
        console.log("governance: revocation skipped (--no-revoke)");
      } else if (!isGovernor) {
        console.log(`governance: ${await signer.getAddress()} lacks GOVERNOR_ROLE; the enclave stays on the roster until a governor revokes it`);
      } else {
        const outcome = await new TxSender(signer).send(group, "revokeEnclave", [removed.enclave]);
        if (!outcome.ok) throw new NodeError("enclave_rejected", `revokeEnclave refused: ${outcome.revert.name}(${outcome.revert.args.join(", ")})`, 409);
        revoked = outcome.receipt.hash;
        console.log(`governance: enclave ${removed.enclave} revoked (tx ${revoked})`);
      }
      return { ...removed, revokedTx: revoked };
    }));
}

function definePolicyChange(t: ConfigurableTaskDefinition): void {
  t.addParam("node", "A member node doing the commit: its HTTP URL (with --token) or its data dir")
    .addOptionalParam("token", "Operator token (<dataDir>/admin.token) when --node is a URL")
    .addParam("policy", "JSON file with the new policy (mls_create_group's `policy` format)")
    .addParam("approvals", "Comma-separated governance signatures of policyChangeTypedData(domain, mlsEpoch, policy)")
    .addParam("account", "Network account paying when the node is started for this action", 0, types.int)
    .addOptionalParam("keyEnv", KEY_ENV_HELP)
    .setAction(pluginErrors(async (args: PolicyChangeTaskArgs, hre) => {
      const fs = await import("node:fs");
      const { callAdmin } = await import("../src/node/operator");
      const { NodeError } = await import("../src/node/errors");
      let policy: import("../src/enclave/protocol").MlsGroupPolicyParams;
      try {
        policy = JSON.parse(fs.readFileSync(args.policy, "utf8"));
      } catch (error) {
        throw new NodeError("invalid_options", `--policy ${args.policy}: ${(error as Error).message}`);
      }
      const approvals = args.approvals.split(",").map((a) => a.trim()).filter((a) => a !== "");
      if (!approvals.every((a) => /^0x[0-9a-fA-F]{130}$/.test(a))) {
        throw new NodeError("invalid_options", "--approvals: comma-separated 65-byte 0x signatures");
      }
      const epoch = await onNode(
        hre,
        args,
        async (target) => (await callAdmin<{ epoch: string }>(target, "/admin/policy-change", { policy, approvals })).epoch,
        async (node) => (await node.changePolicy(policy, approvals as `0x${string}`[])).toString(),
      );
      console.log(`policy change committed as the handshake of epoch ${epoch}`);
      return { epoch };
    }));
}

defineRotate(task(ROTATE_TASK, ROTATE_DESCRIPTION));
defineRotate(scope(ANONIFY_SCOPE).task("rotate", ROTATE_DESCRIPTION));
defineRemove(task(REMOVE_TASK, REMOVE_DESCRIPTION));
defineRemove(scope(ANONIFY_SCOPE).task("remove", REMOVE_DESCRIPTION));
definePolicyChange(task(POLICY_CHANGE_TASK, POLICY_CHANGE_DESCRIPTION));
definePolicyChange(scope(ANONIFY_SCOPE).task("policy-change", POLICY_CHANGE_DESCRIPTION));
