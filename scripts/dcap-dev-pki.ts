/**
 * Regenerates the development (SIMULATION) DCAP PKI in src/attestation/simulation/dcap/ byte for byte:
 * every key is derived from a public label and every signature is RFC 6979, so a re-run writes the same
 * files (`--check` compares instead of writing and exits 1 on a difference).
 *
 *   npx ts-node --transpile-only scripts/dcap-dev-pki.ts [--check]
 */
import path from "node:path";
import { buildDevelopmentPkiFiles } from "../src/attestation/dcap/devPki";
import { writeOrCheckGeneratedFiles } from "./lib/generatedFiles";

writeOrCheckGeneratedFiles(path.resolve(__dirname, "..", "src", "attestation", "simulation", "dcap"), buildDevelopmentPkiFiles());
