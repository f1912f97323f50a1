/**
 * `anonify:status`: a node's `/health` fetched by URL or data dir (its URL is in `<dataDir>/node.url`) and printed
 * as a short block for an operator (tasks/status.ts).
 */
import type { NodeHealth } from "../client/wire";
import { NodeHttpClient } from "../client/http";
import { NodeError } from "./errors";
import { NODE_URL_FILE, resolveNodeArgument } from "./nodeFiles";

/** Timeout of the /health request: a health report answers within its own bounded RPC probes (2 s). */
const STATUS_TIMEOUT_MS = 10_000;

/** The node's URL for `node` (a URL, or a data dir with the running node's node.url). */
export function resolveNodeUrl(node: string): string {
  const { url } = resolveNodeArgument(node);
  if (url === undefined) {
    throw new NodeError(
      "node_not_started",
      `no node runs on ${node} (no ${NODE_URL_FILE}: the node is stopped, still starting, or runs without an HTTP API)`,
      503,
    );
  }
  return url;
}

/** `/health` of the node at `url`: the report also when the node is degraded or down (HTTP 503). */
export function fetchHealth(url: string): Promise<NodeHealth & { removed?: boolean }> {
  return new NodeHttpClient(url, STATUS_TIMEOUT_MS).health<NodeHealth & { removed?: boolean }>();
}

const yesNo = (value: boolean | undefined) => (value === undefined ? "?" : value ? "yes" : "no");

/** The short readable block `anonify:status` prints. */
export function formatHealth(url: string, h: NodeHealth & { removed?: boolean }): string {
  const lines = [`node ${url}: ${h.status.toUpperCase()}${h.reasons !== undefined && h.reasons.length > 0 ? ` (${h.reasons.join("; ")})` : ""}`];
  lines.push(`  serving ${yesNo(h.serving)}, wedged ${yesNo(h.wedged)}, stalled ${yesNo(h.stalled)}${h.behindSince !== undefined ? ` (behind since ${h.behindSince})` : ""}`);
  const blocks =
    h.blockLag !== undefined ? `, ${h.blockLag} block(s) (head ${h.headBlock}, read up to ${h.lastReadBlock})` : h.lastReadBlock !== undefined ? `, read up to block ${h.lastReadBlock}` : "";
  lines.push(`  applied ${h.stateCounter} of chain ${h.chainStateCounter}: lag ${h.lag} entr${h.lag === "1" ? "y" : "ies"}${blocks}`);
  const membership = h.removed === true ? "removed from the group" : h.joined ? "member" : "not a member";
  lines.push(`  epoch ${h.epoch} (${membership}), enclave ${h.address} (${h.mode})`);
  const rpc = h.rpc ?? { state: h.chain ?? "ok", since: h.chainUnreachableSince };
  lines.push(`  rpc ${rpc.state}${rpc.state === "unreachable" ? ` since ${rpc.since ?? "?"}${"lastError" in rpc && rpc.lastError !== undefined ? `: ${rpc.lastError}` : ""}` : ""}`);
  if (h.syncError !== undefined) lines.push(`  sync error (${h.syncError.count} step(s) in a row since ${h.syncError.since}): ${h.syncError.message}`);
  if (h.awaitingSnapshot !== undefined) lines.push(`  waiting for a snapshot entry: ${h.awaitingSnapshot}`);
  return lines.join("\n");
}
