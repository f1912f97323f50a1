/**
 * Where the installed `hardhat-anonify` package lives, whether it runs from its sources (a checkout, under
 * ts-node) or from its compiled `dist/` (installed from the registry or a tarball): the enclave sources, the
 * prebuilt contract artifacts and the attestation assets are found relative to it, never relative to the
 * user's project.
 */
import fs from "node:fs";
import path from "node:path";
import { AnonifyPluginError, PLUGIN_NAME } from "../errors";

let cachedRoot: string | undefined;

/** The directory holding the package's own `package.json` (name `hardhat-anonify`). */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: unknown }).name === PLUGIN_NAME) {
          cachedRoot = dir;
          return dir;
        }
      } catch {
        // not JSON: keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new AnonifyPluginError(`cannot find the ${PLUGIN_NAME} package.json above ${__dirname}`);
    dir = parent;
  }
}

/**
 * True when the Hardhat project is the package's own checkout (this repository): it compiles the contracts and
 * builds the enclave itself, so its own build outputs are used instead of the shipped ones.
 */
export function isPackageCheckout(projectRoot: string): boolean {
  return path.resolve(projectRoot) === packageRoot();
}

/** The package's enclave CMake project. */
export function packageEnclaveDir(): string {
  return path.join(packageRoot(), "enclave");
}

/** The prebuilt artifacts (`npm run build` writes them; the package ships them). */
export function prebuiltArtifactsDir(): string {
  return path.join(packageRoot(), "dist", "artifacts");
}
