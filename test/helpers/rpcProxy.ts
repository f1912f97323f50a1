/**
 * A TCP proxy in front of a JSON-RPC chain, for outage tests: `stop()` closes the listener and resets every
 * connection (clients then get "connection refused"), `start()` listens on the same port again; `responseDelayMs`
 * slows every answer down; `armOnce` acts on the next request naming a JSON-RPC method (run a hook before it is
 * forwarded, delay its answer, or forward it and drop the answer while going down: "sent, but no receipt").
 */
import net from "node:net";

export interface ArmedAction {
  /** Runs before the request is forwarded (e.g. SIGSTOP the chain). */
  beforeForward?: () => void;
  /** Forward the request, then drop its answer and stop the proxy (the chain did it; the client never hears). */
  dropAnswerAndStop?: boolean;
  /** Hold the answer this long (beyond the client's timeout: the client retries while the first one lands). */
  answerDelayMs?: number;
}

export class RpcProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private armed: { method: string; action: ArmedAction } | undefined;
  /** Added to every answer chunk (slow RPC). */
  responseDelayMs = 0;
  /** Requests naming each armed method that were seen (tests wait on it). */
  fired = 0;

  constructor(
    private readonly target: { host: string; port: number },
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get running(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<void> {
    if (this.server !== undefined) return;
    const server = net.createServer((client) => this.connect(client));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.server = server;
  }

  /** Refuses new connections and resets the open ones. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The next request whose body names `method` gets `action`. */
  armOnce(method: string, action: ArmedAction): void {
    this.armed = { method, action };
  }

  private connect(client: net.Socket): void {
    const upstream = net.connect(this.target.port, this.target.host);
    this.sockets.add(client).add(upstream);
    let answers: Promise<void> = Promise.resolve();
    let pending: ArmedAction | undefined; // the action of the request whose answer comes next
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
    client.on("data", (chunk: Buffer) => {
      const armed = this.armed;
      if (armed !== undefined && chunk.includes(`"${armed.method}"`)) {
        this.armed = undefined;
        this.fired++;
        pending = armed.action;
        armed.action.beforeForward?.();
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      const action = pending;
      pending = undefined;
      if (action?.dropAnswerAndStop === true) {
        void this.stop();
        return;
      }
      const delay = this.responseDelayMs + (action?.answerDelayMs ?? 0);
      answers = answers.then(async () => {
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        if (!client.destroyed) client.write(chunk);
      });
    });
  }
}
