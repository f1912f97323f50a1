import { scope, task, types } from "hardhat/config";
import type { ConfigurableTaskDefinition } from "hardhat/types";
import { ANONIFY_SCOPE } from "./verify-report";
import { pluginErrors } from "./pluginErrors";

/** `anonify:node` (and `anonify node`): runs a TEE node until Ctrl-C. */
export const NODE_TASK = "anonify:node";

const DESCRIPTION = "Run a TEE node (enclave process, chain sync, HTTP API) until Ctrl-C";
/** Seconds between two status lines while nothing else is printed. */
const STATUS_INTERVAL_MS = 10_000;

const shutdownRequests = new Set<() => void>();

/** Stops every `anonify:node` task running in this process, as Ctrl-C does (for scripts and tests). */
export function requestNodeShutdown(): void {
  for (const resolve of shutdownRequests) resolve();
}

export interface NodeTaskArgs {
  mode?: string;
  dataDir?: string;
  port: number;
  host: string;
  group?: string;
  confirmations?: number;
  account: number;
  keyEnv?: string;
  checkpointInterval?: number;
  issuedAtWindow?: number;
  maxBatchSize?: number;
  batchWindowMs?: number;
  reorgDepth?: number;
  syncOnNewBlocks?: boolean;
  pollOnly?: boolean;
  commandsPerMinute?: number;
  commandBurst?: number;
  requestsPerMinute?: number;
  requestBurst?: number;
}

/**
 * A rate limit from its two task params: unset = the default; a rate of 0 turns the limit off; a burst without a
 * rate keeps the default rate (validated by the node: invalid_options).
 */
function rateLimitArg(perMinute: number | undefined, burst: number | undefined, defaults: { perMinute: number; burst: number }) {
  if (perMinute === undefined && burst === undefined) return undefined;
  if (perMinute === 0) return false as const;
  return { perMinute: perMinute ?? defaults.perMinute, burst: burst ?? defaults.burst };
}

function define(t: ConfigurableTaskDefinition): void {
  t.addOptionalParam("mode", "simulation (development IAS) or sgx (Gramine + Intel IAS); default anonify.mode")
    .addOptionalParam("dataDir", "The node's directory (sealed enclave state, metadata); default <anonify.dataDir>/node-<account>")
    .addParam("port", "HTTP API port (0 = any free port)", 0, types.int)
    .addParam("host", "HTTP API address", "127.0.0.1")
    .addOptionalParam("group", "AnonifyGroup address (default: from deployment-<chainId>.json)")
    .addOptionalParam("confirmations", "Blocks to wait before applying log entries (default anonify.confirmations of the network, else 0)", undefined, types.int)
    .addParam("account", "Index of the network account that pays for the node's transactions", 0, types.int)
    .addOptionalParam("keyEnv", "Environment variable holding the paying account's private key (instead of --account; never a key in a file)")
    .addOptionalParam("checkpointInterval", "Applied entries between checkpoints (0 = off)", undefined, types.int)
    .addOptionalParam("issuedAtWindow", "Seconds a read's issuedAt may lie before the newest applied block time (60..3600, default 600)", undefined, types.int)
    .addOptionalParam("maxBatchSize", "Largest ciphertext batch posted at once (1..128)", undefined, types.int)
    .addOptionalParam("batchWindowMs", "How long the submitter gathers commands into one batch (ms)", undefined, types.int)
    .addFlag("syncOnNewBlocks", "Sync on every new block as well as on the poll loop (the default; kept for scripts)")
    .addFlag("pollOnly", "Sync on the poll loop only, not on every new block (higher latency, fewer RPC calls)")
    .addOptionalParam("reorgDepth", "Blocks of sealed restore points kept to roll back a reorg (confirmations 0)", undefined, types.int)
    .addOptionalParam("commandsPerMinute", "Commands the HTTP API accepts per sender per minute (0 = no limit; default 120)", undefined, types.int)
    .addOptionalParam("commandBurst", "Commands one sender may send at once after a quiet period (default 60)", undefined, types.int)
    .addOptionalParam("requestsPerMinute", "Enclave-bound requests per client IP per minute (0 = no limit; default 6000)", undefined, types.int)
    .addOptionalParam("requestBurst", "Enclave-bound requests one client IP may send at once (default 1000)", undefined, types.int)
    .setAction(pluginErrors(async (args: NodeTaskArgs, hre) => {
      if (args.pollOnly === true && args.syncOnNewBlocks === true) {
        const { AnonifyPluginError } = await import("../src/errors");
        throw new AnonifyPluginError("--poll-only and --sync-on-new-blocks contradict each other: give one of them (syncing on new blocks is the default)");
      }
      const { createNode } = await import("../src/node/fromHre");
      const { taskSigner } = await import("./signer");
      const { DEFAULT_COMMAND_RATE_LIMIT, DEFAULT_REQUEST_RATE_LIMIT } = await import("../src/node/rateLimit");
      const { ensureEnclaveBuilt } = await import("../src/enclave/build");
      await ensureEnclaveBuilt({ ...hre.config.anonify, mode: (args.mode as "simulation" | "sgx" | undefined) ?? hre.config.anonify.mode });
      const node = await createNode(hre, {
        mode: args.mode as "simulation" | "sgx" | undefined,
        dataDir: args.dataDir,
        port: args.port,
        host: args.host,
        group: args.group,
        confirmations: args.confirmations,
        account: args.keyEnv !== undefined ? await taskSigner(hre, args) : args.account,
        checkpointInterval: args.checkpointInterval,
        issuedAtWindow: args.issuedAtWindow,
        maxBatchSize: args.maxBatchSize,
        batchWindowMs: args.batchWindowMs,
        reorgDepth: args.reorgDepth,
        syncOnNewBlocks: args.pollOnly !== true,
        commandRateLimit: rateLimitArg(args.commandsPerMinute, args.commandBurst, DEFAULT_COMMAND_RATE_LIMIT),
        requestRateLimit: rateLimitArg(args.requestsPerMinute, args.requestBurst, DEFAULT_REQUEST_RATE_LIMIT),
        onFatal: (error) => fatal(error),
      });
      let fatal: (error: Error) => void = () => undefined;
      const died = new Promise<never>((_, reject) => (fatal = reject));
      died.catch(() => undefined);
      await node.start();
      let last = "";
      const status = setInterval(async () => {
        try {
          const h = await node.health();
          const why = h.reasons !== undefined && h.reasons.length > 0 ? ` (${h.reasons.join("; ")})` : "";
          const line = `${h.status}${why}: joined ${h.joined}, epoch ${h.epoch}, stateCounter ${h.stateCounter}, chain ${h.chainStateCounter}, lag ${h.lag}`;
          if (line !== last) node.logger.info(line);
          last = line;
        } catch (error) {
          node.logger.warn(`status: ${(error as Error).message}`);
        }
      }, STATUS_INTERVAL_MS);
      const stopped = new Promise<void>((resolve) => {
        const done = () => {
          process.off("SIGINT", done);
          process.off("SIGTERM", done);
          shutdownRequests.delete(done);
          resolve();
        };
        process.once("SIGINT", done);
        process.once("SIGTERM", done);
        shutdownRequests.add(done);
      });
      try {
        // Crash-only: when the enclave dies the node has stopped; the task fails so a supervisor restarts it.
        await Promise.race([stopped, died]);
      } finally {
        clearInterval(status);
      }
      await node.stop();
      return { address: node.address, dataDir: node.options.dataDir };
    }));
}

define(task(NODE_TASK, DESCRIPTION));
define(scope(ANONIFY_SCOPE).task("node", DESCRIPTION));
