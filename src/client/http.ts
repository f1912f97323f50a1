/**
 * The node's HTTP JSON API as the client sees it: requests with timeouts, `{error:{code,message}}` bodies turned
 * into `NodeRequestError`, and the Server-Sent-Events notification stream over node:http.
 */
import http from "node:http";
import https from "node:https";
import { NodeRequestError, RateLimitedError } from "./errors";

/** Default time allowed for one HTTP request. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

export class NodeHttpClient {
  readonly baseUrl: URL;

  constructor(
    nodeUrl: string,
    private readonly timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
  ) {
    let url: URL;
    try {
      url = new URL(nodeUrl);
    } catch {
      throw new NodeRequestError("node_url_invalid", `not a URL: ${JSON.stringify(nodeUrl)}`, 0, "-", "-");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new NodeRequestError("node_url_invalid", `the node URL must be http(s), got ${url.protocol}`, 0, "-", "-");
    }
    this.baseUrl = url;
  }

  url(path: string): URL {
    return new URL(path.replace(/^\//, ""), this.baseUrl.href.endsWith("/") ? this.baseUrl.href : this.baseUrl.href + "/");
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  /**
   * `GET /health`: the report also when the node answers 503 with one (a degraded or down node reports why);
   * a 503 without a report (a node still starting) is a NodeRequestError as usual.
   */
  health<T extends { status: string }>(): Promise<T> {
    return this.request<T>("GET", "/health", undefined, (parsed) => typeof (parsed as { status?: unknown } | undefined)?.status === "string");
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("POST", path, body);
  }

  private async request<T>(method: string, path: string, body?: unknown, acceptError?: (parsed: unknown) => boolean): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.url(path), {
        method,
        headers: body === undefined ? { accept: "application/json" } : { accept: "application/json", "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new NodeRequestError("node_unreachable", `cannot reach ${this.baseUrl.origin}: ${cause}`, 0, method, path);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text.length === 0 ? undefined : JSON.parse(text);
    } catch {
      throw new NodeRequestError("bad_response", `the node answered non-JSON: ${text.slice(0, 120)}`, response.status, method, path);
    }
    if (!response.ok && !(response.status === 503 && acceptError?.(parsed) === true)) {
      const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      const code = typeof error?.code === "string" ? error.code : `http_${response.status}`;
      const message = typeof error?.message === "string" ? error.message : response.statusText;
      if (response.status === 429) throw new RateLimitedError(message, retryAfterSeconds(response.headers.get("retry-after")), method, path);
      throw new NodeRequestError(code, message, response.status, method, path);
    }
    if (parsed === undefined || parsed === null || typeof parsed !== "object") {
      throw new NodeRequestError("bad_response", "the node answered no JSON object", response.status, method, path);
    }
    return parsed as T;
  }

  /**
   * Opens an SSE stream (`text/event-stream`) and calls `onEvent` for each event. Resolves once the response
   * headers arrived (rejects with NodeRequestError on an HTTP error); `close()` ends the stream.
   */
  openEventStream(
    path: string,
    onEvent: (event: string, data: string) => void,
    onEnd: (error?: Error) => void,
  ): Promise<{ close(): void }> {
    const url = this.url(path);
    const transport = url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      let settled = false;
      const request = transport.get(url, { headers: { accept: "text/event-stream" } }, (response) => {
        const status = response.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (text += chunk));
          response.on("end", () => {
            let code = `http_${status}`;
            let message = response.statusMessage ?? "";
            try {
              const error = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
              if (typeof error?.code === "string") code = error.code;
              if (typeof error?.message === "string") message = error.message;
            } catch {
              /* not the API's JSON: keep the HTTP status as the code */
            }
            settled = true;
            reject(new NodeRequestError(code, message, status, "GET", url.pathname));
          });
          return;
        }
        settled = true;
        resolve({ close: () => request.destroy() });
        response.setEncoding("utf8");
        let buffer = "";
        response.on("data", (chunk: string) => {
          buffer += chunk;
          let boundary: number;
          while ((boundary = buffer.search(/\r?\n\r?\n/)) >= 0) {
            const block = buffer.slice(0, boundary);
            buffer = buffer.slice(boundary).replace(/^\r?\n\r?\n/, "");
            let event = "message";
            const data: string[] = [];
            for (const line of block.split(/\r?\n/)) {
              if (line.startsWith(":")) continue;
              const colon = line.indexOf(":");
              const field = colon < 0 ? line : line.slice(0, colon);
              const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
              if (field === "event") event = value;
              else if (field === "data") data.push(value);
            }
            if (data.length > 0) onEvent(event, data.join("\n"));
          }
        });
        response.on("end", () => onEnd());
        response.on("error", (error) => onEnd(error));
      });
      request.on("error", (error) => {
        if (!settled) {
          settled = true;
          reject(new NodeRequestError("node_unreachable", `cannot reach ${url.origin}: ${(error as NodeJS.ErrnoException).code ?? error.message}`, 0, "GET", url.pathname));
        } else if ((error as NodeJS.ErrnoException).code !== "ECONNRESET" || !request.destroyed) {
          onEnd(error);
        }
      });
    });
  }
}

/** Retry-After in seconds (the node sends whole seconds; an HTTP date is converted); 1 when absent or unreadable. */
export function retryAfterSeconds(header: string | null): number {
  if (header === null) return 1;
  if (/^[0-9]+$/.test(header.trim())) return Math.max(1, Number(header.trim()));
  const at = Date.parse(header);
  return Number.isNaN(at) ? 1 : Math.max(1, Math.ceil((at - Date.now()) / 1000));
}
