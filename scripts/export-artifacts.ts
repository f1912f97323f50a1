/**
 * `npm run build` step: writes the prebuilt artifacts the package ships (`dist/artifacts/`) from this
 * repository's compile. Run through `hardhat run` so the project's compiler settings apply.
 */
import hre from "hardhat";
import { exportPrebuiltArtifacts } from "../src/package/artifacts";
import { prebuiltArtifactsDir } from "../src/package/paths";

async function main(): Promise<void> {
  await hre.run("compile", { quiet: true });
  const dir = prebuiltArtifactsDir();
  const manifest = await exportPrebuiltArtifacts(hre, dir);
  console.log(`prebuilt artifacts (solc ${manifest.solcLongVersion}, evm ${String(manifest.settings.evmVersion)}): ${Object.keys(manifest.contracts).join(", ")} -> ${dir}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
