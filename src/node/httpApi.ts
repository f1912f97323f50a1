/**
 * The node's HTTP JSON API (node:http, no framework): health, enclave keys, commands and their status, sealed
 * reads, and a notification stream (Server-Sent Events). Every refusal is `{error: {code, message}}` with a 4xx
 * (the request is wrong) or 5xx (the node or its enclave cannot serve it now) status. docs/node.md lists them.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { timingSafeEqual } from "node:crypto";
import type { CommandStatus, Hex, NodeEnclaveInfo, NodeErrorBody, NodeHealth } from "../client/wire";
import { EnclaveCrashedError, EnclaveError, EnclaveTimeoutError } from "../enclave/EnclaveProcess";
import type { MlsGroupPolicyParams } from "../enclave/protocol";
import { NodeError } from "./errors";
import {
  checkRateLimitOptions,
  DEFAULT_COMMAND_RATE_LIMIT,
  DEFAULT_REQUEST_RATE_LIMIT,
  RateLimitedNodeError,
  RateLimiter,
  type RateLimitOptions,
} from "./rateLimit";

/** Default largest request body (sealed commands and reads are a few hundred bytes). */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
/** Bodies are drained (to answer 413 cleanly) up to this many bytes past the limit, then the socket is closed. */
const DRAIN_SLACK_BYTES = 1024 * 1024;
const SSE_HEARTBEAT_MS = 15_000;
const COMMAND_ID = /^0x[0-9a-fA-F]{64}$/;
const HEX = /^0x(?:[0-9a-fA-F]{2})+$/;

/** What the API serves; AnonifyNode implements it. */
export interface NodeApiBackend {
  health(): Promise<NodeHealth>;
  enclaveInfo(): NodeEnclaveInfo;
  /**
   * state_submit and queue. `admit(sender)` is called once the enclave accepted a new command (its sender known),
   * before anything is queued; it throws to refuse the command (nothing is queued or posted).
   */
  submitCommand(payload: Hex, admit?: (sender: string) => void): Promise<CommandStatus>;
  commandStatus(id: string): CommandStatus | undefined;
  read(payload: Hex): Promise<{ reply: Hex }>;
  subscribe(payload: Hex, onNotification: (payload: Hex) => void): Promise<{ subscriptionId: string; close: () => Promise<void> }>;
  /** Operator actions, allowed with `Authorization: Bearer <adminToken>`. */
  admin?: {
    token: string;
    rotate(): Promise<{ epoch: string }>;
    remove(target: { leaf?: number; enclave?: string }): Promise<{ epoch: string; leaf: number; enclave?: string }>;
    /** Posts a snapshot entry of the enclave's state (for a late joiner the automatic handover missed). */
    snapshot(): Promise<{ stateCounter: string; epoch: string; txHash: string }>;
    /** Posts a governance-approved policy change (src/node/policyChange.ts); the enclave judges policy and approvals. */
    changePolicy(policy: MlsGroupPolicyParams, approvals: Hex[]): Promise<{ epoch: string }>;
  };
}

export interface HttpApiOptions {
  host?: string;
  /** 0 = any free port. */
  port?: number;
  maxBodyBytes?: number;
  /**
   * Commands accepted per command sender (token bucket), checked once the enclave named the sender and before the
   * command is queued; `false` turns it off. Default {@link DEFAULT_COMMAND_RATE_LIMIT}.
   */
  commandRateLimit?: RateLimitOptions | false;
  /**
   * Requests per client IP on the routes that call the enclave (POST /commands, POST /reads, GET /notifications),
   * checked before the enclave is called; `false` turns it off. Default {@link DEFAULT_REQUEST_RATE_LIMIT}.
   */
  requestRateLimit?: RateLimitOptions | false;
  /** The limiters' clock in ms (tests inject one). Default Date.now. */
  now?: () => number;
}

/** Throws NodeError("invalid_options") for a malformed rate limit (before the node starts anything). */
export function checkHttpApiOptions(options: HttpApiOptions): void {
  checkRateLimitOptions("commandRateLimit", options.commandRateLimit);
  checkRateLimitOptions("requestRateLimit", options.requestRateLimit);
}

/** Enclave error codes that mean "your request is wrong" (400) or "not now / conflicts with state" (409). */
const ENCLAVE_BAD_REQUEST = new Set([
  "hpke_open_failed",
  "malformed_command",
  "bad_user_signature",
  "malformed_read",
  "malformed_subscription",
  "invalid_params",
  "decode_error",
  "authentication_failed",
  "invalid_signature",
  "invalid_message",
  "invalid_argument",
  "policy_refused",
]);
/** The enclave's dry run: the runtime would reject the command (422: well-formed, but refused on its content). */
const ENCLAVE_UNPROCESSABLE = new Set(["command_refused"]);
const ENCLAVE_CONFLICT = new Set(["nonce_mismatch", "not_member", "invalid_state", "wrong_epoch", "epoch_mismatch", "counter_gap", "domain_mismatch"]);

/** Maps anything thrown while serving to an HTTP status and error body. */
export function errorResponse(error: unknown): { status: number; body: NodeErrorBody } {
  if (error instanceof NodeError) return { status: error.status, body: { error: { code: error.code, message: error.message } } };
  if (error instanceof EnclaveError) {
    const status = ENCLAVE_BAD_REQUEST.has(error.code)
      ? 400
      : ENCLAVE_UNPROCESSABLE.has(error.code)
        ? 422
        : ENCLAVE_CONFLICT.has(error.code)
          ? 409
          : 503;
    // command_refused: the message is the runtime's reason, exactly as the log would record it (clients show it).
    const message = error.code === "command_refused" ? error.enclaveMessage : error.message;
    return { status, body: { error: { code: error.code, message } } };
  }
  if (error instanceof EnclaveCrashedError || error instanceof EnclaveTimeoutError) {
    return { status: 503, body: { error: { code: "enclave_unavailable", message: error.message } } };
  }
  return { status: 500, body: { error: { code: "internal", message: (error as Error)?.message ?? String(error) } } };
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function fail(code: NodeError["code"], message: string, status: number): never {
  throw new NodeError(code, message, status);
}

/** Reads the body up to `limit` bytes; a larger body is drained (bounded) and refused with 413. */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > limit + DRAIN_SLACK_BYTES) req.destroy();
    });
    req.on("end", () => {
      if (size > limit) reject(new NodeError("body_too_large", `request body of ${size} bytes exceeds ${limit}`, 413));
      else resolve(Buffer.concat(chunks));
    });
    req.on("error", reject);
  });
}

/** `{"payload": "0x…"}` -> the payload, or the specific 4xx. */
export function parsePayloadBody(body: Buffer): Hex {
  if (body.length === 0) fail("bad_json", "request body is empty; expected {\"payload\": \"0x…\"}", 400);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch (error) {
    fail("bad_json", `request body is not JSON: ${(error as Error).message}`, 400);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) fail("bad_json", "request body must be a JSON object", 400);
  return checkPayload((parsed as { payload?: unknown }).payload);
}

function checkPayload(payload: unknown): Hex {
  if (payload === undefined || payload === null) fail("payload_missing", "payload is required (0x-prefixed hex of the sealed message)", 400);
  if (typeof payload !== "string") fail("payload_invalid", `payload must be a hex string, got ${typeof payload}`, 400);
  if (!HEX.test(payload)) fail("payload_invalid", "payload must be non-empty 0x-prefixed hex with an even number of digits", 400);
  return payload.toLowerCase() as Hex;
}

function methodNotAllowed(allowed: string): never {
  throw Object.assign(new NodeError("method_not_allowed", `use ${allowed}`, 405), { allow: allowed });
}

/** A listen failure as the operator's error: the port taken, not allowed, or an address not of this machine. */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  if (error.code === "EADDRINUSE") {
    return new NodeError(
      "port_in_use",
      `the HTTP API cannot listen on ${host}:${port}: the port is in use (another node or program listens there). ` +
        `Choose another --port (0 = any free port), or stop what holds it`,
      409,
    );
  }
  if (error.code === "EACCES") return new NodeError("invalid_options", `the HTTP API may not listen on ${host}:${port} (ports below 1024 need privileges): choose another --port`);
  if (error.code === "EADDRNOTAVAIL") return new NodeError("invalid_options", `the HTTP API cannot listen on ${host}: not an address of this machine (--host)`);
  return error;
}

export class NodeHttpApi {
  private readonly server: http.Server;
  private readonly streams = new Set<http.ServerResponse>();
  private readonly maxBodyBytes: number;
  private serving = true;
  private readonly commandLimiter: RateLimiter | undefined;
  private readonly requestLimiter: RateLimiter | undefined;

  constructor(
    private readonly backend: NodeApiBackend,
    private readonly options: HttpApiOptions = {},
  ) {
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    checkHttpApiOptions(options);
    const now = options.now ?? Date.now;
    const commandLimit = options.commandRateLimit ?? DEFAULT_COMMAND_RATE_LIMIT;
    const requestLimit = options.requestRateLimit ?? DEFAULT_REQUEST_RATE_LIMIT;
    this.commandLimiter = commandLimit === false ? undefined : new RateLimiter(commandLimit, now);
    this.requestLimiter = requestLimit === false ? undefined : new RateLimiter(requestLimit, now);
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        const { status, body } = errorResponse(error);
        const headers: Record<string, string> = {};
        const allow = (error as { allow?: string }).allow;
        if (allow !== undefined) headers.Allow = allow;
        if (error instanceof RateLimitedNodeError) headers["Retry-After"] = String(error.retryAfterSeconds);
        if (res.headersSent) res.end();
        else send(res, status, body, headers);
      });
    });
  }

  /**
   * Listens; resolves with the URL (http://host:port). With `serving: false` the port is bound but every request
   * answers 503 `node_not_started` until `serve()` (a starting node holds its port before it pays for its join).
   * A port in use is `port_in_use`.
   */
  async listen(options: { serving?: boolean } = {}): Promise<string> {
    const host = this.options.host ?? "127.0.0.1";
    const port = this.options.port ?? 0;
    this.serving = options.serving ?? true;
    await new Promise<void>((resolve, reject) => {
      const failed = (error: NodeJS.ErrnoException) => reject(listenError(error, host, port));
      this.server.once("error", failed);
      this.server.listen(port, host, () => {
        this.server.off("error", failed);
        resolve();
      });
    });
    return this.url;
  }

  /** Starts answering requests (after `listen({ serving: false })`). */
  serve(): void {
    this.serving = true;
  }

  get url(): string {
    const address = this.server.address() as AddressInfo;
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  async close(): Promise<void> {
    for (const stream of this.streams) stream.end();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!this.serving) fail("node_not_started", "the node is starting (joining the group and catching up with the log); it serves once started", 503);
    const url = new URL(req.url ?? "/", "http://node");
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const method = req.method ?? "GET";

    if (path === "/health") {
      if (method !== "GET") methodNotAllowed("GET");
      // 200 only when the node is "ok"; "degraded" and "down" answer 503 with the same report.
      const health = await this.backend.health();
      return send(res, health.status === "ok" ? 200 : 503, health);
    }
    if (path === "/enclave") {
      if (method !== "GET") methodNotAllowed("GET");
      return send(res, 200, this.backend.enclaveInfo());
    }
    if (path === "/commands") {
      if (method !== "POST") methodNotAllowed("POST");
      this.limitRequest(req);
      const payload = parsePayloadBody(await readBody(req, this.maxBodyBytes));
      const status = await this.backend.submitCommand(payload, (sender) => this.limitCommand(sender));
      return send(res, 202, { id: status.id });
    }
    if (path.startsWith("/commands/")) {
      if (method !== "GET") methodNotAllowed("GET");
      const id = decodeURIComponent(path.slice("/commands/".length));
      if (!COMMAND_ID.test(id)) fail("command_id_invalid", "a command id is 0x-prefixed hex of 32 bytes", 400);
      const status = this.backend.commandStatus(id);
      if (status === undefined) {
        fail(
          "unknown_command",
          `this node neither accepted command ${id} nor applied an entry carrying it (not on the log yet, or applied before this node's outcome index begins); ask the node it was submitted to, or another node`,
          404,
        );
      }
      return send(res, 200, status);
    }
    if (path === "/reads") {
      if (method !== "POST") methodNotAllowed("POST");
      this.limitRequest(req);
      const payload = parsePayloadBody(await readBody(req, this.maxBodyBytes));
      return send(res, 200, await this.backend.read(payload));
    }
    if (path === "/notifications") {
      if (method !== "GET") methodNotAllowed("GET");
      this.limitRequest(req);
      return this.notifications(url, req, res);
    }
    if (path === "/admin/rotate" || path === "/admin/remove" || path === "/admin/snapshot" || path === "/admin/policy-change") {
      if (method !== "POST") methodNotAllowed("POST");
      const admin = this.authorize(req);
      const body = await readBody(req, this.maxBodyBytes);
      if (path === "/admin/rotate") return send(res, 200, await admin.rotate());
      if (path === "/admin/snapshot") return send(res, 200, await admin.snapshot());
      if (path === "/admin/policy-change") {
        let change: { policy?: unknown; approvals?: unknown };
        try {
          change = JSON.parse(body.toString("utf8") || "null");
        } catch (error) {
          fail("bad_json", `request body is not JSON: ${(error as Error).message}`, 400);
        }
        if (typeof change !== "object" || change === null) fail("bad_json", 'expected {"policy": {…}, "approvals": ["0x…"]}', 400);
        const { policy, approvals } = change;
        if (typeof policy !== "object" || policy === null || Array.isArray(policy)) fail("payload_missing", '"policy" must be an object', 400);
        if (!Array.isArray(approvals) || !approvals.every((a) => typeof a === "string" && /^0x[0-9a-fA-F]{130}$/.test(a))) {
          fail("payload_invalid", '"approvals" must be an array of 65-byte 0x signatures', 400);
        }
        return send(res, 200, await admin.changePolicy(policy as MlsGroupPolicyParams, approvals as Hex[]));
      }
      let target: { leaf?: unknown; enclave?: unknown };
      try {
        target = JSON.parse(body.toString("utf8") || "null");
      } catch (error) {
        fail("bad_json", `request body is not JSON: ${(error as Error).message}`, 400);
      }
      if (typeof target !== "object" || target === null) fail("bad_json", 'expected {"leaf": n} or {"enclave": "0x…"}', 400);
      const { leaf, enclave } = target;
      if ((leaf === undefined) === (enclave === undefined)) fail("payload_missing", 'give exactly one of "leaf" and "enclave"', 400);
      if (leaf !== undefined && (!Number.isSafeInteger(leaf) || (leaf as number) < 0)) fail("payload_invalid", "leaf must be a non-negative integer", 400);
      if (enclave !== undefined && (typeof enclave !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(enclave))) {
        fail("payload_invalid", "enclave must be a 20-byte 0x address", 400);
      }
      return send(res, 200, await admin.remove({ leaf: leaf as number | undefined, enclave: enclave as string | undefined }));
    }
    fail("not_found", `no route ${path}`, 404);
  }

  /** The per-IP limit on requests that reach the enclave; a refused request is not read any further. */
  private limitRequest(req: http.IncomingMessage): void {
    if (this.requestLimiter === undefined) return;
    const ip = req.socket.remoteAddress ?? "unknown";
    const wait = this.requestLimiter.take(ip);
    if (wait > 0) {
      const { perMinute, burst } = this.requestLimiter.options;
      throw new RateLimitedNodeError(`too many requests from ${ip} (limit ${perMinute} per minute, burst ${burst}): retry in ${wait} s`, wait);
    }
  }

  /** The per-sender limit on accepted commands (called by the submitter once the enclave named the sender). */
  private limitCommand(sender: string): void {
    if (this.commandLimiter === undefined) return;
    const wait = this.commandLimiter.take(sender.toLowerCase());
    if (wait > 0) {
      const { perMinute, burst } = this.commandLimiter.options;
      throw new RateLimitedNodeError(
        `too many commands from ${sender} (limit ${perMinute} per minute, burst ${burst}): nothing was queued and the nonce is unused; retry in ${wait} s`,
        wait,
      );
    }
  }

  private authorize(req: http.IncomingMessage): NonNullable<NodeApiBackend["admin"]> {
    const admin = this.backend.admin;
    if (admin === undefined) fail("not_found", "operator endpoints are disabled on this node", 404);
    const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "");
    const expected = Buffer.from(admin.token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      fail("unauthorized", "operator endpoints need Authorization: Bearer <token from the node's data dir>", 401);
    }
    return admin;
  }

  /** SSE: subscribe with the sealed request, forward each notification, unsubscribe on close. */
  private async notifications(url: URL, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const payload = checkPayload(url.searchParams.get("payload") ?? undefined);
    let open = true;
    const subscription = await this.backend.subscribe(payload, (notification) => {
      if (open) res.write(`event: notification\ndata: ${JSON.stringify({ payload: notification })}\n\n`);
    });
    res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", Connection: "keep-alive" });
    res.write(`: subscribed ${subscription.subscriptionId}\n\n`);
    this.streams.add(res);
    const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), SSE_HEARTBEAT_MS);
    const close = () => {
      if (!open) return;
      open = false;
      clearInterval(heartbeat);
      this.streams.delete(res);
      subscription.close().catch(() => undefined);
    };
    req.on("close", close);
    res.on("close", close);
  }
}
