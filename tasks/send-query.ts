/**
 * The tasks of any runtime: `anonify:send --command '<json>'` and `anonify:query --query '<json>'`, beside the
 * token's (tasks/token.ts, same arguments and conventions). The JSON is checked and encoded as `RuntimeClient` does
 * (src/client/wire.ts `encodeRuntimeCommand` / `encodeRuntimeQuery`) before a node, group or key is looked at.
 */
import type { ConfigurableTaskDefinition } from "hardhat/types";
import { REPEATABLE_STRING } from "./repeatable";
import { asTaskError, both, common, counters, fallbackNodes, freshnessNote, readOptions, readTask, reportSubmission, taskClientOptions } from "./token";
import type { CommandArgs, CommonArgs, ReadArgs } from "./token";
import { packageRuntimeCodec } from "../src/runtimes";
import { RuntimeClient, WireFormatError, encodeRuntimeCommand, encodeRuntimeQuery, type AnonifyClientOptions, type CommandOutcome, type UntypedRuntime } from "../src/client";
import { AnonifyPluginError } from "../src/errors";

export interface SendTaskResult {
  sender: string;
  /** The command as parsed from --command. */
  command: UntypedRuntime["command"];
  id: string;
  nonce: string;
  /** With --wait: the command's outcome. */
  outcome?: CommandOutcome;
}

export interface QueryTaskResult {
  /** The query as parsed from --query. */
  query: { op: string; [member: string]: unknown };
  /** The enclave's answer, as JSON. */
  result: unknown;
  /** The log position the answer reflects and the chain's counter when the read was sent. */
  stateCounter: string;
  chainCounter: string;
}

type SendArgs = Omit<CommandArgs, "noWait"> & { command?: string; wait: boolean };

/**
 * `--<name>` as a command or query object: JSON, an object with an "op" string, within the enclave's limit. The
 * object is encoded here, as the client will encode it, so every refusal comes before anything is signed or sent.
 */
function messageArg(name: "command" | "query", value: string | undefined): { op: string; [member: string]: unknown } {
  const example = name === "command" ? `'{"op":"transfer","to":"0x…","amount":"5"}'` : `'{"op":"balanceOf","account":"0x…"}'`;
  if (value === undefined || value.trim() === "") throw new AnonifyPluginError(`--${name} is required: the ${name} as one JSON object, e.g. --${name} ${example}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new AnonifyPluginError(`--${name} is not JSON (${(error as Error).message}): give one JSON object, e.g. --${name} ${example}`);
  }
  try {
    if (name === "command") encodeRuntimeCommand(parsed as object);
    else encodeRuntimeQuery(parsed as object);
  } catch (error) {
    if (!(error instanceof WireFormatError)) throw error;
    const hint = error.code === "command_invalid" || error.code === "query_invalid" ? `, e.g. --${name} ${example}` : "";
    throw new AnonifyPluginError(`--${name}: ${error.message}${hint}`, error, error.code);
  }
  return parsed as { op: string; [member: string]: unknown };
}

/**
 * An untyped client of the group's runtime, with the token tasks' argument errors. Its codec is JSON, or the one a
 * package runtime wants (the auction pads its bids: `packageRuntimeCodec`), chosen by the contract's `runtime()`.
 */
async function runtimeClient(options: AnonifyClientOptions): Promise<RuntimeClient<UntypedRuntime>> {
  let client: RuntimeClient<UntypedRuntime>;
  try {
    client = new RuntimeClient<UntypedRuntime>(options);
  } catch (error) {
    throw new AnonifyPluginError((error as Error).message, error as Error);
  }
  const codec = packageRuntimeCodec(await client.groupRuntime());
  return codec === undefined ? client : new RuntimeClient<UntypedRuntime>({ ...options, codec });
}

both("send", "Send a command to the group's runtime, any runtime: --command '<json object with an \"op\">'", (t: ConfigurableTaskDefinition) =>
  common(t)
    .addOptionalParam("command", `The command as one JSON object, e.g. '{"op":"transfer","to":"0x…","amount":"5"}'`)
    .addFlag("wait", "Wait until the command is applied (or rejected) in the log, and print its outcome")
    .addOptionalParam(
      "fallbackNode",
      "Another node of the group asked for the command's outcome when --node is unreachable or does not know it; repeat for more",
      undefined,
      REPEATABLE_STRING,
    )
    .setAction(async (args: SendArgs, hre): Promise<SendTaskResult> => {
      return asTaskError(async () => {
        const command = messageArg("command", args.command);
        const client = await runtimeClient(await taskClientOptions(hre, args, { fallbackNodes: fallbackNodes(args.fallbackNode) }));
        return reportSubmission(client.node.baseUrl.origin, await client.send(command), args.wait);
      });
    }),
);

both("query", "Query the group's runtime, any runtime: --query '<json object with an \"op\">'; prints the JSON answer", (t: ConfigurableTaskDefinition) =>
  readTask(t)
    .addOptionalParam("query", `The query as one JSON object, e.g. '{"op":"balanceOf","account":"0x…"}'`)
    .setAction(async (args: ReadArgs & CommonArgs & { query?: string }, hre): Promise<QueryTaskResult> => {
      return asTaskError(async () => {
        const query = messageArg("query", args.query);
        const client = await runtimeClient(await taskClientOptions(hre, args, readOptions(args)));
        const read = await client.readQuery(query);
        console.log(JSON.stringify(read.value));
        console.log(freshnessNote(read));
        return { query, result: read.value, ...counters(read) };
      });
    }),
);
