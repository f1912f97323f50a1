/**
 * The host-side files of a node's data dir next to the enclave's sealed directory (public data only):
 * `node.json` (metadata), `admin.token` (the operator token), `node.url` (the HTTP API's URL while it serves).
 * The lock `node.lock` is src/node/dataDirLock.ts's.
 */
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { getAddress } from "ethers";
import { NodeError } from "./errors";

/** Host-side metadata (public data only) next to the enclave's sealed directory. */
export const NODE_METADATA_FILE = "node.json";
export const ADMIN_TOKEN_FILE = "admin.token";
/** The URL of the node's HTTP API while it runs (operator tasks find it here). */
export const NODE_URL_FILE = "node.url";
/** Sub-directory of the data dir holding the enclave's sealed files (simulation). */
export const ENCLAVE_SUBDIR = "enclave";

export interface NodeMetadata {
  group: string;
  chainId: string;
  fromBlock: number;
  /** leaf index -> enclave address, as seen in the handshake log. */
  leaves: Record<string, string>;
}

/** The metadata of an earlier start, or undefined on a first start; a data dir of another group is refused. */
export function loadNodeMetadata(dataDir: string, group: string, chainId: bigint): NodeMetadata | undefined {
  const file = path.join(dataDir, NODE_METADATA_FILE);
  if (!fs.existsSync(file)) return undefined;
  const metadata = JSON.parse(fs.readFileSync(file, "utf8")) as NodeMetadata;
  if (getAddress(metadata.group) !== group || metadata.chainId !== chainId.toString()) {
    throw new NodeError(
      "group_mismatch",
      `data dir ${dataDir} belongs to group ${metadata.group} on chain ${metadata.chainId}, not ${group} on ${chainId}`,
      409,
    );
  }
  return metadata;
}

/** The metadata start() saved. */
export function readNodeMetadata(dataDir: string): NodeMetadata {
  return JSON.parse(fs.readFileSync(path.join(dataDir, NODE_METADATA_FILE), "utf8")) as NodeMetadata;
}

/** Replaces the metadata atomically (write, then rename). */
export function writeNodeMetadata(dataDir: string, metadata: NodeMetadata): void {
  const file = path.join(dataDir, NODE_METADATA_FILE);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(metadata, null, 2));
  fs.renameSync(`${file}.tmp`, file);
}

/** The operator token for /admin/* (created once, 0600). */
export function loadAdminToken(dataDir: string): string {
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytes(32).toString("hex"), { mode: 0o600, flag: "wx" });
  return fs.readFileSync(file, "utf8").trim();
}

/** Removes node.url when it still names `url` (the caller holds the data dir's lock). */
export function removeNodeUrlIfOwn(dataDir: string, url: string): void {
  const file = path.join(dataDir, NODE_URL_FILE);
  try {
    if (fs.readFileSync(file, "utf8").trim() === url) fs.rmSync(file, { force: true });
  } catch {
    // already gone
  }
}

/**
 * A `--node` argument of the operator tasks: a node URL (trailing slashes dropped), or a data dir with the URL its
 * running node wrote to node.url (`url` undefined when there is none). Anything else is refused (invalid_options).
 */
export function resolveNodeArgument(node: string): { dataDir: undefined; url: string } | { dataDir: string; url: string | undefined } {
  if (/^https?:\/\//.test(node)) return { dataDir: undefined, url: node.replace(/\/+$/, "") };
  if (!fs.existsSync(node) || !fs.statSync(node).isDirectory()) {
    throw new NodeError("invalid_options", `--node ${node} is neither a URL (http://host:port) nor a node's data dir`);
  }
  const urlFile = path.join(node, NODE_URL_FILE);
  return { dataDir: node, url: fs.existsSync(urlFile) ? fs.readFileSync(urlFile, "utf8").trim() : undefined };
}
