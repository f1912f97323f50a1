import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import {
  ENCLAVE_ERROR_CODES,
  encodeFrame,
  FrameDecoder,
  PROTOCOL_VERSION,
  type EnclaveErrorCode,
  type EnclaveMethod,
  type EnclaveMethods,
  type EnclaveMode,
  type EnclaveResponse,
} from "./protocol";

/** How much of the enclave's stderr is kept for crash reports. */
const STDERR_TAIL_BYTES = 8 * 1024;
const DEFAULT_CALL_TIMEOUT_MS = 30_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
/** The manifest Gramine runs (built by `npm run enclave:sgx` next to the binary). */
export const SGX_MANIFEST_NAME = "anonify-enclave";

/** The enclave answered a call with an error response. `code` is the enclave's error code. */
export class EnclaveError extends Error {
  /** The enclave's own message (without the method and code). */
  readonly enclaveMessage: string;

  constructor(
    readonly code: EnclaveErrorCode,
    message: string,
    readonly method: string,
  ) {
    super(`enclave ${method}: ${code}: ${message}`);
    this.name = "EnclaveError";
    this.enclaveMessage = message;
  }
}

/** A call got no response within its timeout. The process keeps running; a late response is dropped. */
export class EnclaveTimeoutError extends Error {
  readonly code = "ENCLAVE_TIMEOUT";
  constructor(
    readonly method: string,
    readonly timeoutMs: number,
  ) {
    super(`enclave ${method}: no response within ${timeoutMs} ms`);
    this.name = "EnclaveTimeoutError";
  }
}

/** The enclave process exited (or could not start) while calls were pending or a call was made. */
export class EnclaveCrashedError extends Error {
  readonly code = "ENCLAVE_CRASHED";
  constructor(
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderrTail: string,
    reason?: string,
  ) {
    const how = reason ?? (signal !== null ? `killed by ${signal}` : `exited with code ${exitCode}`);
    super(`enclave process ${how}${stderrTail ? `; last stderr:\n${stderrTail}` : ""}`);
    this.name = "EnclaveCrashedError";
  }
}

/** The enclave wrote something that is not a protocol response; the process is killed. */
export class EnclaveProtocolError extends Error {
  readonly code = "ENCLAVE_PROTOCOL_VIOLATION";
  constructor(message: string) {
    super(`enclave protocol violation: ${message}`);
    this.name = "EnclaveProtocolError";
  }
}

/** Options that cannot work together (checked before anything is spawned). */
export class EnclaveOptionsError extends Error {
  readonly code = "ENCLAVE_OPTIONS_INVALID";
  constructor(message: string) {
    super(message);
    this.name = "EnclaveOptionsError";
  }
}

export interface EnclaveProcessOptions {
  /** Path of the `anonify-enclave` binary (`hre.config.anonify.enclave.binary`). */
  binary: string;
  /** Default "simulation". In "sgx" mode the binary's directory must hold the signed Gramine manifest. */
  mode?: EnclaveMode;
  /** Passed as `--data-dir` in simulation. Refused in SGX mode, where the manifest fixes the sealed mount. */
  dataDir?: string;
  /** Default per-call timeout; 30 s unless given. */
  callTimeoutMs?: number;
  /** Gramine's SGX loader (default "gramine-sgx" from PATH). */
  gramineSgx?: string;
  /** Receives each stderr line of the enclave (diagnostics only; never secrets). */
  onStderrLine?: (line: string) => void;
}

interface PendingCall {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One running enclave: spawns the binary (natively in simulation, through `gramine-sgx` in SGX mode),
 * sends typed requests over the framed stdin/stdout protocol and matches responses by id.
 */
export class EnclaveProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly decoder = new FrameDecoder();
  private readonly pending = new Map<number, PendingCall>();
  /**
   * Requests written to the enclave and not answered yet, including those whose call timed out: the enclave may
   * still be running them (and writing its sealed files), so they count until their late response arrives.
   */
  private readonly unanswered = new Set<number>();
  /** While {@link whenQuiet} waits or runs: frames of new calls, sent in order when it is done. */
  private held: Array<{ id: number; frame: Buffer }> | undefined;
  private quietWaiters: Array<() => void> = [];
  private quietChain: Promise<unknown> = Promise.resolve();
  /** {@link whenQuiet} calls waiting or running; new calls are held while it is above 0. */
  private gates = 0;
  private nextId = 1;
  private stderrTail = "";
  private stderrLine = "";
  private exitError: Error | undefined;
  private readonly exited: Promise<void>;
  private readonly callTimeoutMs: number;

  private constructor(private readonly options: EnclaveProcessOptions) {
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    const mode = options.mode ?? "simulation";
    let command: string;
    let args: string[];
    let cwd: string;
    if (mode === "sgx") {
      // Gramine takes the manifest name; the manifest pins the binary, its arguments and the data mount.
      command = options.gramineSgx ?? "gramine-sgx";
      args = [SGX_MANIFEST_NAME];
      cwd = path.dirname(options.binary);
    } else {
      command = options.binary;
      args = ["--mode", "simulation", ...(options.dataDir !== undefined ? ["--data-dir", options.dataDir] : [])];
      cwd = process.cwd();
    }
    this.child = spawn(command, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => {
      this.child.once("error", (err) => {
        this.fail(new EnclaveCrashedError(null, null, this.stderrTail, `could not be started (${command}): ${err.message}`));
        resolve();
      });
      this.child.once("exit", (code, signal) => {
        this.fail(new EnclaveCrashedError(code, signal, this.stderrTail));
        resolve();
      });
    });
    this.child.stdout.on("data", (chunk: Buffer) => this.onStdout(chunk));
    this.child.stderr.on("data", (chunk: Buffer) => this.onStderr(chunk));
    // Writes after the enclave died surface through the exit handler, not as unhandled errors.
    this.child.stdin.on("error", () => undefined);
  }

  /**
   * Starts the enclave and checks it speaks this protocol version (a `status` call).
   * Throws EnclaveCrashedError if it does not start.
   */
  static async start(options: EnclaveProcessOptions): Promise<EnclaveProcess> {
    if (options.mode === "sgx" && options.dataDir !== undefined) {
      throw new EnclaveOptionsError(
        "dataDir cannot be chosen in sgx mode: the signed manifest mounts the sealed directory (see docs/enclave.md)",
      );
    }
    if ((options.mode ?? "simulation") === "simulation" && !fs.existsSync(options.binary)) {
      throw new EnclaveCrashedError(null, null, "", `binary ${options.binary} does not exist (run \`npm run enclave:build\`)`);
    }
    const enclave = new EnclaveProcess(options);
    try {
      const status = await enclave.call("status", {});
      if (status.protocolVersion !== PROTOCOL_VERSION) {
        throw new EnclaveProtocolError(
          `enclave speaks protocol v${status.protocolVersion}, this host v${PROTOCOL_VERSION}`,
        );
      }
      if (status.mode !== (options.mode ?? "simulation")) {
        throw new EnclaveProtocolError(`enclave runs in ${status.mode} mode, expected ${options.mode ?? "simulation"}`);
      }
    } catch (err) {
      enclave.kill();
      throw err;
    }
    return enclave;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True once the process has exited. */
  get hasExited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Sends one request and resolves with its result; rejects with EnclaveError / EnclaveTimeoutError / EnclaveCrashedError. */
  call<M extends EnclaveMethod>(
    method: M,
    params: EnclaveMethods[M]["params"],
    options: { timeoutMs?: number } = {},
  ): Promise<EnclaveMethods[M]["result"]> {
    if (this.exitError !== undefined) return Promise.reject(this.exitError);
    const id = this.nextId++;
    let frame: Buffer;
    try {
      frame = encodeFrame(Buffer.from(JSON.stringify({ id, method, params }), "utf8"));
    } catch (err) {
      return Promise.reject(err); // e.g. RangeError: request above MAX_FRAME_SIZE, never sent
    }
    const timeoutMs = options.timeoutMs ?? this.callTimeoutMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new EnclaveTimeoutError(method, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { method, resolve: resolve as (value: unknown) => void, reject, timer });
      if (this.held !== undefined) {
        this.held.push({ id, frame });
        return;
      }
      this.unanswered.add(id);
      this.child.stdin.write(frame);
    });
  }

  /** Requests the enclave has been sent and has not answered (timed-out calls included until their answer). */
  get unansweredCalls(): number {
    return this.unanswered.size;
  }

  /**
   * Runs `fn` at a moment when the enclave is idle: it waits until every request already sent has been answered (the
   * enclave answers one request at a time, after its sealed writes for it are complete) and holds the requests of
   * new calls until `fn` has returned, then sends them in order. So a synchronous `fn` sees the sealed directory
   * as one request left it, never half-way through another (e.g. a state file of one generation beside the
   * manifest of the next). Resolves with `fn`'s result, or with `undefined` without running it when the enclave
   * did not become idle within `timeoutMs` (a call that hangs must not stop the node's other work) or has exited.
   * Calls of `whenQuiet` run one after another.
   */
  whenQuiet<T>(fn: () => T, timeoutMs = this.callTimeoutMs): Promise<T | undefined> {
    // The gate closes now, not when this turn of the chain starts: a call made right after whenQuiet() is held.
    this.gates += 1;
    this.held ??= [];
    const run = this.quietChain.then(async () => {
      if (this.exitError !== undefined) return undefined;
      const idle = await this.waitForIdle(timeoutMs);
      return idle && this.exitError === undefined ? fn() : undefined;
    });
    const done = run.finally(() => {
      this.gates -= 1;
      if (this.gates > 0) return; // a later whenQuiet keeps holding
      const frames = this.held ?? [];
      this.held = undefined;
      for (const { id, frame } of frames) this.sendHeld(id, frame);
    });
    this.quietChain = done.catch(() => undefined);
    return done;
  }

  private waitForIdle(timeoutMs: number): Promise<boolean> {
    if (this.unanswered.size === 0 || this.exitError !== undefined) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.quietWaiters = this.quietWaiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.quietWaiters.push(waiter);
    });
  }

  /**
   * Sends a frame {@link whenQuiet} held, unless its call has already ended (timed out while held, or rejected by
   * the process's exit): a request never sent is better left unsent than run for a caller that gave up on it.
   */
  private sendHeld(id: number, frame: Buffer): void {
    if (!this.pending.has(id)) return;
    this.unanswered.add(id);
    this.child.stdin.write(frame);
  }

  private noteAnswered(id: number): void {
    this.unanswered.delete(id);
    if (this.unanswered.size === 0) this.releaseQuietWaiters();
  }

  private releaseQuietWaiters(): void {
    const waiters = this.quietWaiters;
    this.quietWaiters = [];
    for (const waiter of waiters) waiter();
  }

  status() {
    return this.call("status", {});
  }
  init(params: EnclaveMethods["init"]["params"] = {}) {
    return this.call("init", params);
  }
  evidence() {
    return this.call("evidence", {});
  }
  seal() {
    return this.call("seal", {});
  }
  eip712Hash(params: EnclaveMethods["eip712_hash"]["params"]) {
    return this.call("eip712_hash", params);
  }
  secureEcho(params: EnclaveMethods["secure_echo"]["params"]) {
    return this.call("secure_echo", params);
  }

  /**
   * Ends stdin so the enclave exits at the next frame boundary; kills it if it has not exited within
   * `timeoutMs`. Resolves with the exit code (null when killed by a signal).
   */
  async close(timeoutMs = DEFAULT_CLOSE_TIMEOUT_MS): Promise<number | null> {
    if (this.exitError === undefined) {
      this.child.stdin.end();
      const timer = setTimeout(() => this.kill(), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    return this.child.exitCode;
  }

  /** Kills the process (SIGKILL). Pending calls reject with EnclaveCrashedError. */
  kill(): void {
    if (this.exitError === undefined) this.child.kill("SIGKILL");
  }

  /** Resolves when the process has exited. */
  waitForExit(): Promise<void> {
    return this.exited;
  }

  /** The last bytes the enclave wrote to stderr. */
  get stderr(): string {
    return this.stderrTail;
  }

  private onStdout(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.violation((err as Error).message);
      return;
    }
    for (const frame of frames) {
      let response: EnclaveResponse;
      try {
        response = JSON.parse(frame.toString("utf8")) as EnclaveResponse;
      } catch {
        this.violation("a response frame is not JSON");
        return;
      }
      if (typeof response !== "object" || response === null || typeof response.id !== "number") {
        // Responses with id null answer frames the enclave could not parse; this host never sends those.
        this.violation(`unexpected response ${JSON.stringify(response).slice(0, 200)}`);
        return;
      }
      const call = this.pending.get(response.id);
      if (call === undefined) {
        this.noteAnswered(response.id); // the call already timed out
        continue;
      }
      this.pending.delete(response.id);
      clearTimeout(call.timer);
      if ("error" in response) {
        const code = (ENCLAVE_ERROR_CODES as readonly string[]).includes(response.error?.code)
          ? response.error.code
          : "internal";
        call.reject(new EnclaveError(code, String(response.error?.message), call.method));
      } else {
        call.resolve(response.result);
      }
      this.noteAnswered(response.id); // after the caller's settlement, so its reactions come first
    }
  }

  private onStderr(chunk: Buffer): void {
    const text = chunk.toString("utf8");
    this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_BYTES);
    if (this.options.onStderrLine !== undefined) {
      const lines = (this.stderrLine + text).split("\n");
      this.stderrLine = lines.pop() ?? "";
      for (const line of lines) this.options.onStderrLine(line);
    }
  }

  private violation(message: string): void {
    this.fail(new EnclaveProtocolError(message));
    this.kill();
  }

  /** The first failure sticks: a protocol violation stays the reason even though an exit follows it. */
  private fail(error: Error): void {
    this.exitError ??= error;
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      call.reject(this.exitError);
      this.pending.delete(id);
    }
    this.unanswered.clear();
    this.releaseQuietWaiters();
  }
}
