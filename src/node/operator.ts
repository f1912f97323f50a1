/**
 * Operator actions on a node, by URL (a running node's /admin endpoints with the token from its data dir) or by
 * data dir (the running node's URL is in `<dataDir>/node.url`; when none is running, a node is started on the
 * data dir for the action and stopped afterwards: that start takes the data dir's lock like any other, and a
 * running node that serves no admin API is refused here with `data_dir_locked`).
 */
import fs from "node:fs";
import path from "node:path";
import { ADMIN_TOKEN_FILE, NODE_URL_FILE } from "./AnonifyNode";
import { resolveNodeArgument } from "./nodeFiles";
import { inspectLock } from "./dataDirLock";
import { NodeError } from "./errors";

export interface AdminTarget {
  url: string;
  token: string;
}

/** A running node for `node` (URL or data dir), or undefined when `node` is a data dir with no live node. */
export async function resolveRunningNode(node: string, token?: string): Promise<AdminTarget | undefined> {
  const { dataDir, url } = resolveNodeArgument(node);
  if (dataDir === undefined) {
    if (token === undefined) throw new NodeError("unauthorized", "a node URL needs --token (the content of <dataDir>/admin.token)", 401);
    return { url, token };
  }
  let answer: string | undefined;
  if (url !== undefined) {
    try {
      const health = await fetch(`${url}/health`);
      // A degraded or down node answers 503 with its health report: it runs and serves its admin API.
      const report = (await health.json().catch(() => undefined)) as { status?: unknown } | undefined;
      if (health.ok || typeof report?.status === "string") return { url, token: token ?? fs.readFileSync(path.join(node, ADMIN_TOKEN_FILE), "utf8").trim() };
      answer = `HTTP ${health.status}`;
    } catch (error) {
      answer = (error as Error).message; // a stale file of a node that did not shut down cleanly, or one stopping
    }
  }
  // No serving node: the caller would start one on the data dir, which must not be held by a running process.
  const lock = inspectLock(node);
  if (lock.state === "held" || lock.state === "foreign") {
    const api = url === undefined ? `it serves no admin API (no ${NODE_URL_FILE}: started without HTTP, or still starting)` : `its admin API at ${url} does not serve (${answer})`;
    throw new NodeError(
      "data_dir_locked",
      `a node runs on ${node} (${lock.holder.pid === 0 ? "starting now" : `PID ${lock.holder.pid}`}${lock.state === "foreign" ? ` on host ${lock.holder.hostname}` : ""}) but ${api}; ` +
        `this action will not start a second instance on its data dir. Wait until it serves and retry, ` +
        `give its URL with --node <url> --token <${ADMIN_TOKEN_FILE}>, or stop it and retry`,
      409,
    );
  }
  return undefined;
}

/** POST to an operator endpoint; refusals become NodeError with the node's code. */
export async function callAdmin<T>(target: AdminTarget, route: "/admin/rotate" | "/admin/remove" | "/admin/policy-change", body: unknown = {}): Promise<T> {
  const response = await fetch(`${target.url}${route}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${target.token}` },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as T & { error?: { code: string; message: string } };
  if (!response.ok) {
    throw new NodeError((json.error?.code ?? "enclave_rejected") as NodeError["code"], json.error?.message ?? `HTTP ${response.status}`, response.status);
  }
  return json;
}
