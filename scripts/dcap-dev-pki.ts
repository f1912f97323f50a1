/**
 * Regenerates the development (SIMULATION) DCAP PKI in src/attestation/simulation/dcap/ byte for byte:
 * every key is derived from a public label and every signature is RFC 6979, so a re-run writes the same
 * files (`--check` compares instead of writing and exits 1 on a difference).
 *
 *   npx ts-node --transpile-only scripts/dcap-dev-pki.ts [--check]
 */
import fs from "node:fs";
import path from "node:path";
import { buildDevelopmentPkiFiles } from "../src/attestation/dcap/devPki";

const dir = path.resolve(__dirname, "..", "src", "attestation", "simulation", "dcap");
const check = process.argv.includes("--check");
let differences = 0;
fs.mkdirSync(dir, { recursive: true });
for (const [name, bytes] of buildDevelopmentPkiFiles()) {
  const file = path.join(dir, name);
  if (check) {
    const same = fs.existsSync(file) && fs.readFileSync(file).equals(bytes);
    if (!same) differences++;
    console.log(`${same ? "same" : "DIFFERENT"} ${name}`);
  } else {
    fs.writeFileSync(file, bytes);
    console.log(`wrote ${name} (${bytes.length} bytes)`);
  }
}
if (differences > 0) process.exitCode = 1;
