import fs from "node:fs";
import path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const SHARED = path.resolve(REPO_ROOT, "..", "shared", "vectors");
const COMMITTED = path.resolve(REPO_ROOT, "test", "vectors");

/**
 * Absolute path of a test-vector folder (e.g. "ias", "mls", "hpke"): `$ANONIFY_VECTORS`, then
 * `../shared/vectors` beside the checkout (what CI provides), then the copies committed under
 * `test/vectors/`. Throws when none holds it, so a missing vector is never a silently empty test.
 */
export function vectorDir(kind: string): string {
  const candidates = [process.env.ANONIFY_VECTORS, SHARED, COMMITTED]
    .filter((d): d is string => typeof d === "string" && d.length > 0)
    .map((d) => path.join(d, kind));
  const found = candidates.find((d) => fs.existsSync(d));
  if (found === undefined) {
    throw new Error(`test vectors "${kind}" not found; looked in: ${candidates.join(", ")}`);
  }
  return found;
}
