import fs from "node:fs";
import path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const COMMITTED = path.resolve(REPO_ROOT, "test", "vectors");

/**
 * Absolute path of a test-vector folder (e.g. "ias", "mls", "hpke", "dcap"): `$ANONIFY_VECTORS`
 * when set, else the copies committed under `test/vectors/` (a clone needs nothing beside it).
 * Throws when none holds it, so a missing vector is never a silently empty test.
 */
export function vectorDir(kind: string): string {
  const candidates = [process.env.ANONIFY_VECTORS, COMMITTED]
    .filter((d): d is string => typeof d === "string" && d.length > 0)
    .map((d) => path.join(d, kind));
  const found = candidates.find((d) => fs.existsSync(d));
  if (found === undefined) {
    throw new Error(`test vectors "${kind}" not found; looked in: ${candidates.join(", ")}`);
  }
  return found;
}
