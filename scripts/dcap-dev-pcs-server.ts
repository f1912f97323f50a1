/**
 * Runs the development (SIMULATION) PCS on 127.0.0.1 until interrupted, serving collateral current from now
 * for `--days` days (default 30, as Intel's): point a PCS client (or `anonify.dcap.pcsUrl`, once the node reads
 * it) at the printed URL. Everything it serves verifies only under the development root.
 *
 *   npx ts-node --transpile-only scripts/dcap-dev-pcs-server.ts [--port 8081] [--days 30]
 */
import { DevelopmentPcs, DevelopmentPcsServer, developmentPcsContent } from "../src/attestation/dcap";

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} takes a non-negative integer`);
  return v;
}

async function main(): Promise<void> {
  const port = option("--port", 0);
  const days = option("--days", 30);
  const now = BigInt(Math.floor(Date.now() / 1000));
  const pcs = new DevelopmentPcs();
  const server = await DevelopmentPcsServer.start({ content: developmentPcsContent(pcs, now, now + BigInt(days) * 86_400n), port });
  console.log(`development PCS (SIMULATION) at ${server.url}/sgx/certification/v4/ — collateral current for ${days} days`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
