/**
 * Searches an error and the errors nested in it. ethers and Hardhat wrap the cause of a failed call at different
 * depths depending on the path (`error`, `info`, `cause`, `data`, `parent`), so whatever looks for a revert's data
 * or a transport failure walks them all, breadth first, each object once.
 */
const NESTED_KEYS = ["error", "info", "cause", "data", "parent"] as const;

/** The first non-undefined result of `probe` over `error` and its nested errors. */
export function searchErrorChain<T>(error: unknown, probe: (e: Record<string, unknown>) => T | undefined): T | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const e = queue.shift();
    if (e === null || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const found = probe(e as Record<string, unknown>);
    if (found !== undefined) return found;
    for (const k of NESTED_KEYS) queue.push((e as Record<string, unknown>)[k]);
  }
  return undefined;
}
