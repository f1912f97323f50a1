import { scope, task } from "hardhat/config";
import type { ConfigurableTaskDefinition, HardhatRuntimeEnvironment } from "hardhat/types";
import { getAddress, type Signer } from "ethers";
import {
  AnonifyClient,
  type AnonifyClientOptions,
  type CommandOutcome,
  type CommandSettlement,
  type CommandSubmission,
  type FreshRead,
  type TokenCommand,
} from "../src/client";
import { resolveGroupForTask } from "../src/client/deployment";
import { AnonifyPluginError } from "../src/errors";
import { REPEATABLE_STRING, repeatedValues } from "./repeatable";
import { taskSigner } from "./signer";
import { addressArgument } from "../src/addressArgument";

/** Environment variable the tasks read the node URL from when --node is absent. */
export const NODE_URL_ENV = "ANONIFY_NODE_URL";

export interface CommonArgs {
  node?: string;
  group?: string;
  account?: string;
  keyEnv?: string;
}

export interface CommandArgs extends CommonArgs {
  noWait: boolean;
  fallbackNode?: string | string[];
}

export interface ReadArgs extends CommonArgs {
  maxLag?: string;
  wait: boolean;
}

export interface TokenTaskResult {
  sender: string;
  command?: TokenCommand;
  id?: string;
  nonce?: string;
  outcome?: CommandOutcome;
}

/** The user's signer: `--key-env VAR` (a private key in that variable) or `--account N` (a Hardhat account, default 0). */
function userSigner(hre: HardhatRuntimeEnvironment, args: CommonArgs): Promise<Signer> {
  return taskSigner(hre, args);
}

/** An address, or the index of one of the network's accounts. */
async function addressArg(hre: HardhatRuntimeEnvironment, name: string, value: string | undefined): Promise<string> {
  if (value === undefined || value === "") throw new AnonifyPluginError(`--${name} is required (an address or an account index)`);
  const address = addressArgument(name, value);
  if (address !== undefined) return address;
  if (/^[0-9]+$/.test(value)) {
    const signers = await hre.ethers.getSigners();
    if (Number(value) < signers.length) return signers[Number(value)].getAddress();
  }
  throw new AnonifyPluginError(`--${name} is neither an address nor an account index of this network: ${value}`);
}

function amountArg(name: string, value: string | undefined): bigint {
  if (value === undefined || !/^[0-9]+$/.test(value)) throw new AnonifyPluginError(`--${name} must be a non-negative integer, got ${String(value)}`);
  return BigInt(value);
}

/** A node URL must be http(s) with a host; `localhost:8601` parses as a URL of scheme "localhost:", so say what was meant. */
function requireHttpUrl(value: string, source: string): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url !== undefined && (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "") return;
  const hostAndPort = /^[A-Za-z0-9.-]+:[0-9]{1,5}\/?$/.test(value) || /^\[[0-9a-fA-F:]+\]:[0-9]{1,5}\/?$/.test(value);
  throw new AnonifyPluginError(
    `${source} ${value} is not an http(s) URL: ${hostAndPort ? `did you mean http://${value}?` : "give the URL anonify:node prints, e.g. http://127.0.0.1:8601"}`,
  );
}

/** `--max-lag` and `--wait` of the read tasks as client options. */
export function readOptions(args: ReadArgs): Partial<AnonifyClientOptions> {
  if (args.maxLag !== undefined && !/^[0-9]+$/.test(args.maxLag)) {
    throw new AnonifyPluginError(`--max-lag must be a non-negative integer (log entries the node may lag behind the chain), got ${args.maxLag}`);
  }
  return { maxReadLag: args.maxLag === undefined ? 0n : BigInt(args.maxLag), readLagPolicy: args.wait ? "wait" : "refuse" };
}

/** `--fallback-node` URLs (repeatable). */
export function fallbackNodes(value: string | string[] | undefined): string[] {
  const urls = repeatedValues(value);
  for (const url of urls) requireHttpUrl(url, "--fallback-node");
  return urls;
}

/** What a read task prints after its value: the log position the answer reflects and the chain's. */
export function freshnessNote(read: Pick<FreshRead<unknown>, "stateCounter" | "chainCounter">): string {
  return `as of state counter ${read.stateCounter} (chain at ${read.chainCounter})`;
}

export async function tokenClient(hre: HardhatRuntimeEnvironment, args: CommonArgs, extra: Partial<AnonifyClientOptions> = {}): Promise<AnonifyClient> {
  const options = await taskClientOptions(hre, args, extra);
  try {
    return new AnonifyClient(options);
  } catch (error) {
    throw new AnonifyPluginError((error as Error).message, error as Error);
  }
}

/** A client's options from the common task arguments: --node (or $ANONIFY_NODE_URL), --group or the deployment file, the signer. */
export async function taskClientOptions(hre: HardhatRuntimeEnvironment, args: CommonArgs, extra: Partial<AnonifyClientOptions> = {}): Promise<AnonifyClientOptions> {
  const nodeUrl = args.node ?? process.env[NODE_URL_ENV];
  if (nodeUrl === undefined || nodeUrl === "") {
    throw new AnonifyPluginError(`--node <url> is required (the URL anonify:node prints), or set ${NODE_URL_ENV}`);
  }
  requireHttpUrl(nodeUrl, args.node !== undefined ? "--node" : NODE_URL_ENV);
  let group: string;
  try {
    group = (await resolveGroupForTask(hre.ethers.provider, hre.config.anonify.dataDir, args.group)).group;
  } catch (error) {
    throw new AnonifyPluginError((error as Error).message);
  }
  const signer = await userSigner(hre, args);
  return { nodeUrl, signer, group, provider: hre.ethers.provider, ...extra };
}

/** The work of a task, with the plugin's typed errors shown as one-line plugin errors that keep the typed error as parent (src/taskErrors.ts). */
export async function asTaskError<T>(work: () => Promise<T>): Promise<T> {
  const { withPluginErrors } = await import("../src/taskErrors");
  return withPluginErrors(work);
}

async function runCommand(hre: HardhatRuntimeEnvironment, args: CommandArgs, build: () => Promise<TokenCommand>): Promise<TokenTaskResult> {
  return asTaskError(async () => {
    const command = await build();
    const client = await tokenClient(hre, args, { fallbackNodes: fallbackNodes(args.fallbackNode) });
    return reportSubmission(client.node.baseUrl.origin, await client.send(command), !args.noWait);
  });
}

/** What a command task prints and returns: the submission, and with `wait` its outcome (any runtime's command). */
export async function reportSubmission<C extends { op: string }>(
  nodeOrigin: string,
  submission: CommandSubmission<C>,
  wait: boolean,
): Promise<{ sender: string; command: C; id: string; nonce: string; outcome?: CommandOutcome }> {
  const { command } = submission;
  console.log(`${command.op}: submitted as ${submission.id} (sender ${submission.sender}, nonce ${submission.nonce})`);
  const result = { sender: submission.sender, command, id: submission.id, nonce: submission.nonce.toString() };
  if (!wait) return result;
  const outcome = await submission.wait();
  const via = outcome.node !== undefined && outcome.node !== nodeOrigin ? ` (reported by ${outcome.node})` : "";
  console.log(`${command.op}: ${outcome.status} at stateCounter ${outcome.stateCounter}${outcome.txHash ? ` (tx ${outcome.txHash})` : ""}${via}`);
  return { ...result, outcome };
}

const SCOPE = "anonify";
const SCOPE_DESCRIPTION = "Anonify: confidential state over a public chain with SGX enclaves";

export function common(t: ConfigurableTaskDefinition): ConfigurableTaskDefinition {
  return t
    .addOptionalParam("node", `TEE node URL (default: $${NODE_URL_ENV})`)
    .addOptionalParam("group", "AnonifyGroup address (default: the deployment file of anonify:deploy for this chain)")
    .addOptionalParam("account", "Index of the network account that signs (default 0)")
    .addOptionalParam("keyEnv", "Name of an environment variable holding the user's private key (instead of --account)");
}

function commandTask(t: ConfigurableTaskDefinition): ConfigurableTaskDefinition {
  return common(t)
    .addFlag("noWait", "Return once the node accepted the command, without waiting for the log")
    .addOptionalParam(
      "fallbackNode",
      "Another node of the group asked for the command's outcome when --node is unreachable or does not know it; repeat for more",
      undefined,
      REPEATABLE_STRING,
    );
}

export function readTask(t: ConfigurableTaskDefinition): ConfigurableTaskDefinition {
  return common(t)
    .addOptionalParam("maxLag", "Log entries the node's answer may lag behind the chain's log (default 0: refuse a node that lags)")
    .addFlag("wait", "When the node lags, wait (up to 30 s) for it to catch up instead of refusing");
}

/** Registers one task under both names: `anonify:<name>` and `anonify <name>`. */
export function both(name: string, description: string, define: (t: ConfigurableTaskDefinition) => void): void {
  define(task(`anonify:${name}`, description));
  define(scope(SCOPE, SCOPE_DESCRIPTION).task(name, description));
}

both("init-token", "Initialise the confidential token (once): name, symbol, initial supply to the sender", (t) =>
  commandTask(t)
    .addParam("name", "Token name")
    .addParam("symbol", "Token symbol")
    .addParam("supply", "Initial supply (integer, to the sender)")
    .setAction((args: CommandArgs & { name: string; symbol: string; supply: string }, hre) =>
      runCommand(hre, args, async () => ({ op: "init", name: args.name, symbol: args.symbol, initialSupply: amountArg("supply", args.supply) })),
    ),
);

both("mint", "Mint confidential tokens (token owner only)", (t) =>
  commandTask(t)
    .addParam("to", "Recipient address or account index")
    .addParam("amount", "Amount (integer)")
    .setAction((args: CommandArgs & { to: string; amount: string }, hre) =>
      runCommand(hre, args, async () => ({ op: "mint", to: await addressArg(hre, "to", args.to), amount: amountArg("amount", args.amount) })),
    ),
);

both("transfer", "Transfer confidential tokens", (t) =>
  commandTask(t)
    .addParam("to", "Recipient address or account index")
    .addParam("amount", "Amount (integer)")
    .setAction((args: CommandArgs & { to: string; amount: string }, hre) =>
      runCommand(hre, args, async () => ({ op: "transfer", to: await addressArg(hre, "to", args.to), amount: amountArg("amount", args.amount) })),
    ),
);

both("approve", "Allow a spender to transfer the sender's confidential tokens", (t) =>
  commandTask(t)
    .addParam("spender", "Spender address or account index")
    .addParam("amount", "Allowance (integer)")
    .setAction((args: CommandArgs & { spender: string; amount: string }, hre) =>
      runCommand(hre, args, async () => ({ op: "approve", spender: await addressArg(hre, "spender", args.spender), amount: amountArg("amount", args.amount) })),
    ),
);

both("burn", "Burn the sender's own confidential tokens", (t) =>
  commandTask(t)
    .addParam("amount", "Amount (integer)")
    .setAction((args: CommandArgs & { amount: string }, hre) => runCommand(hre, args, async () => ({ op: "burn", amount: amountArg("amount", args.amount) }))),
);

both("transfer-from", "Transfer confidential tokens from an owner who approved the sender", (t) =>
  commandTask(t)
    .addParam("from", "Owner address or account index")
    .addParam("to", "Recipient address or account index")
    .addParam("amount", "Amount (integer)")
    .setAction((args: CommandArgs & { from: string; to: string; amount: string }, hre) =>
      runCommand(hre, args, async () => ({
        op: "transferFrom",
        from: await addressArg(hre, "from", args.from),
        to: await addressArg(hre, "to", args.to),
        amount: amountArg("amount", args.amount),
      })),
    ),
);

export interface BalanceTaskResult {
  account: string;
  balance: string;
  /** The log position the answer reflects and the chain's counter when the read was sent. */
  stateCounter: string;
  chainCounter: string;
}

both("balance", "Print the signer's confidential balance (decrypted for the signer only)", (t) =>
  readTask(t)
    .addOptionalParam("of", "Account to read (default the signer; the enclave answers only an account's own signer)")
    .setAction(async (args: ReadArgs & { of?: string }, hre): Promise<BalanceTaskResult> => {
      return asTaskError(async () => {
        const client = await tokenClient(hre, args, readOptions(args));
        const account = args.of === undefined ? await client.address() : await addressArg(hre, "of", args.of);
        const read = await client.readBalance(account);
        console.log(`balance of ${getAddress(account)}: ${read.value}, ${freshnessNote(read)}`);
        return { account: getAddress(account), balance: read.value.toString(), ...counters(read) };
      });
    }),
);

export function counters(read: FreshRead<unknown>): { stateCounter: string; chainCounter: string } {
  return { stateCounter: read.stateCounter.toString(), chainCounter: read.chainCounter.toString() };
}

export interface AllowanceTaskResult {
  owner: string;
  spender: string;
  allowance: string;
  stateCounter: string;
  chainCounter: string;
}

both("allowance", "Print what a spender may still transfer from an owner (the enclave answers only the owner or the spender)", (t) =>
  readTask(t)
    .addOptionalParam("owner", "Owner address or account index (default the signer)")
    .addOptionalParam("spender", "Spender address or account index")
    .setAction(async (args: ReadArgs & { owner?: string; spender?: string }, hre): Promise<AllowanceTaskResult> => {
      return asTaskError(async () => {
        const spender = await addressArg(hre, "spender", args.spender);
        const explicitOwner = args.owner === undefined ? undefined : await addressArg(hre, "owner", args.owner);
        const client = await tokenClient(hre, args, readOptions(args));
        const owner = getAddress(explicitOwner ?? (await client.address()));
        const read = await client.readAllowance(owner, spender);
        console.log(`allowance of ${spender} from ${owner}: ${read.value}, ${freshnessNote(read)}`);
        return { owner, spender, allowance: read.value.toString(), ...counters(read) };
      });
    }),
);

export interface TotalSupplyTaskResult {
  totalSupply: string;
  stateCounter: string;
  chainCounter: string;
}

both("total-supply", "Print the confidential token's total supply", (t) =>
  readTask(t).setAction(async (args: ReadArgs, hre): Promise<TotalSupplyTaskResult> => {
    return asTaskError(async () => {
      const read = await (await tokenClient(hre, args, readOptions(args))).readTotalSupply();
      console.log(`total supply: ${read.value}, ${freshnessNote(read)}`);
      return { totalSupply: read.value.toString(), ...counters(read) };
    });
  }),
);

export interface InfoTaskResult {
  name: string;
  symbol: string;
  owner: string | null;
  initialized: boolean;
  stateCounter: string;
  chainCounter: string;
}

both("info", "Print the confidential token's name, symbol, owner and whether it is initialised", (t) =>
  readTask(t).setAction(async (args: ReadArgs, hre): Promise<InfoTaskResult> => {
    return asTaskError(async () => {
      const read = await (await tokenClient(hre, args, readOptions(args))).readTokenInfo();
      const info = read.value;
      const result: InfoTaskResult = {
        name: info.name,
        symbol: info.symbol,
        owner: info.owner === null ? null : getAddress(info.owner),
        initialized: info.initialized,
        ...counters(read),
      };
      console.log(
        (result.initialized
          ? `token: ${result.name} (${result.symbol}), owner ${result.owner ?? "none"}, initialized`
          : "token: not initialized (run anonify:init-token)") + `, ${freshnessNote(read)}`,
      );
      return result;
    });
  }),
);

export interface NonceTaskResult {
  account: string;
  nonce: string;
  stateCounter: string;
  chainCounter: string;
}

both("nonce", "Print the signer's next command nonce according to the node's enclave", (t) =>
  readTask(t).setAction(async (args: ReadArgs, hre): Promise<NonceTaskResult> => {
    return asTaskError(async () => {
      const client = await tokenClient(hre, args, readOptions(args));
      const read = await client.readNonce();
      const account = getAddress(await client.address());
      console.log(`next nonce of ${account}: ${read.value}, ${freshnessNote(read)}`);
      return { account, nonce: read.value.toString(), ...counters(read) };
    });
  }),
);

export interface CommandTaskResult {
  settlement: CommandSettlement;
}

both("command", "Settle a command's status through its node and other nodes (applied/rejected from any node's log)", (t) =>
  common(t)
    .addParam("id", "Command id (0x… 32 bytes, printed when the command was submitted)")
    .addOptionalParam("fallbackNode", "Another node of the group to ask; repeat for more", undefined, REPEATABLE_STRING)
    .setAction(async (args: CommonArgs & { id: string; fallbackNode?: string | string[] }, hre): Promise<CommandTaskResult> => {
      return asTaskError(async () => {
        if (!/^0x[0-9a-fA-F]{64}$/.test(args.id)) throw new AnonifyPluginError(`--id must be a command id, 0x-prefixed hex of 32 bytes, got ${args.id}`);
        const client = await tokenClient(hre, args, { fallbackNodes: fallbackNodes(args.fallbackNode) });
        const settlement = await client.settle(args.id);
        for (const a of settlement.answers) {
          const said = a.status === undefined ? `no answer (${a.error})` : `${a.status.status}${a.status.submittedHere === false ? " (from its log index)" : ""}`;
          console.log(`  ${a.node}: ${said}`);
        }
        const where = settlement.stateCounter !== undefined ? ` at stateCounter ${settlement.stateCounter}` : "";
        const why = settlement.reason !== undefined ? `: ${settlement.reason}` : "";
        console.log(
          settlement.status === "unknown"
            ? `command ${settlement.id}: unknown to every node asked (not on the log yet, or submitted elsewhere)`
            : `command ${settlement.id}: ${settlement.status}${where}${why} (reported by ${settlement.node}; a node's word, see docs/client.md)`,
        );
        return { settlement };
      });
    }),
);
