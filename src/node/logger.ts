/** Operator progress output: one line per event that matters (joined, epoch, stateCounter, lag). Injectable. */
export interface NodeLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Writes `[anonify-node <tag>] message` lines to stdout/stderr. */
export function consoleLogger(tag: string): NodeLogger {
  const prefix = `[anonify-node ${tag}]`;
  return {
    info: (m) => console.log(`${prefix} ${m}`),
    warn: (m) => console.warn(`${prefix} warning: ${m}`),
    error: (m) => console.error(`${prefix} error: ${m}`),
  };
}

/** Collects lines (tests, embedding). */
export class MemoryLogger implements NodeLogger {
  readonly lines: string[] = [];
  info(m: string): void {
    this.lines.push(`info ${m}`);
  }
  warn(m: string): void {
    this.lines.push(`warn ${m}`);
  }
  error(m: string): void {
    this.lines.push(`error ${m}`);
  }
}

export const silentLogger: NodeLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
