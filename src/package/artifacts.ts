/**
 * The contracts `anonify:deploy` (and `hre.anonify`) deploy, as Hardhat artifacts. An installed package ships
 * them prebuilt (`dist/artifacts/`, written by `npm run build` from this repository's own compile), so a user's
 * project never compiles our contracts and its `solidity` settings (version, EVM target) never matter to us.
 * In the package's own checkout the project's fresh compile is used instead, as before.
 */
import fs from "node:fs";
import path from "node:path";
import type { Artifact, HardhatRuntimeEnvironment } from "hardhat/types";
import { AnonifyPluginError } from "../errors";
import { isPackageCheckout, prebuiltArtifactsDir } from "./paths";

/**
 * Every contract the plugin deploys, by name, with its source in `contracts/`: the IAS verifier, the group, and a DCAP
 * group's stores and verifier with the libraries they link (deploy/modules/anonifyDcapModule.ts).
 */
export const SHIPPED_CONTRACTS = {
  IasVerifier: "contracts/attestation/IasVerifier.sol",
  AnonifyGroup: "contracts/AnonifyGroup.sol",
  DcapCollateral: "contracts/attestation/dcap/DcapCollateral.sol",
  DcapCrls: "contracts/attestation/dcap/DcapCrls.sol",
  DcapVerifier: "contracts/attestation/dcap/DcapVerifier.sol",
  TcbInfo: "contracts/attestation/dcap/TcbInfo.sol",
  QeIdentity: "contracts/attestation/dcap/QeIdentity.sol",
  PckChainVerification: "contracts/attestation/dcap/PckChainVerification.sol",
} as const;

export type ShippedContract = keyof typeof SHIPPED_CONTRACTS;

/**
 * The libraries a shipped contract links (Ignition links them from the module's `libraries:`), each itself a shipped
 * contract. A prebuilt artifact with any other link reference is refused.
 */
export const LINKED_LIBRARIES: Partial<Record<ShippedContract, readonly ShippedContract[]>> = {
  DcapCollateral: ["TcbInfo", "QeIdentity"],
  DcapVerifier: ["PckChainVerification"],
};

export const PREBUILT_FORMAT = "hardhat-anonify-prebuilt-1";
export const PREBUILT_MANIFEST = "manifest.json";

/** `dist/artifacts/manifest.json`: how the prebuilt artifacts were compiled (for auditors and reproducibility). */
export interface PrebuiltManifest {
  format: typeof PREBUILT_FORMAT;
  solcLongVersion: string;
  /** The compiler settings of the build (optimizer, evmVersion, viaIR, ...), as Hardhat passed them to solc. */
  settings: Record<string, unknown>;
  /** Per contract: its file and the settings it was compiled with (an override, e.g. IasVerifier's viaIR, shows here). */
  contracts: Record<ShippedContract, { sourceName: string; file: string; settings: Record<string, unknown> }>;
}

function fullyQualifiedName(name: ShippedContract): string {
  return `${SHIPPED_CONTRACTS[name]}:${name}`;
}

const HEX = /^0x(?:[0-9a-fA-F]{2})*$/;

/**
 * Why the link references of `name`'s artifact are not acceptable, or undefined: each must be one of the libraries
 * {@link LINKED_LIBRARIES} names for it, under its own source.
 */
function linkProblem(name: ShippedContract, references: unknown): string | undefined {
  if (typeof references !== "object" || references === null || Array.isArray(references)) return "has no link references";
  const allowed = LINKED_LIBRARIES[name] ?? [];
  for (const [sourceName, libraries] of Object.entries(references as Record<string, unknown>)) {
    if (typeof libraries !== "object" || libraries === null) return `has malformed link references for ${sourceName}`;
    for (const library of Object.keys(libraries)) {
      const known = (allowed as readonly string[]).includes(library) && SHIPPED_CONTRACTS[library as ShippedContract] === sourceName;
      if (!known) {
        return allowed.length === 0
          ? `needs libraries linked (${sourceName}:${library}; ${name} links none)`
          : `needs libraries linked that the deployment does not provide (${sourceName}:${library}; ${name} links only ${allowed.join(", ")})`;
      }
    }
  }
  return undefined;
}

const PLACEHOLDER = /^__\$[0-9a-fA-F]{34}\$__$/;

/**
 * `bytecode` with solc's library placeholders (`__$<34 hex>$__`) zeroed where `references` puts a library address,
 * as a linker would fill them: hex exactly when every placeholder is one the references name.
 */
function linkedBytecode(bytecode: string, references: Artifact["linkReferences"]): string {
  let code = bytecode;
  for (const libraries of Object.values(references)) {
    for (const positions of Object.values(libraries)) {
      for (const { start, length } of positions) {
        const at = 2 + start * 2;
        if (length === 20 && PLACEHOLDER.test(code.slice(at, at + 40))) code = code.slice(0, at) + "0".repeat(40) + code.slice(at + 40);
      }
    }
  }
  return code;
}

/**
 * Reads and checks one prebuilt artifact: the right contract, an ABI, creation bytecode, and nothing to link but the
 * libraries the DCAP module links ({@link LINKED_LIBRARIES}).
 */
export function readPrebuiltArtifact(dir: string, name: ShippedContract): Artifact {
  const file = path.join(dir, `${name}.json`);
  if (!fs.existsSync(file)) {
    throw new AnonifyPluginError(
      `the prebuilt artifact ${file} is missing: reinstall hardhat-anonify (in a checkout of the package, run \`npm run build\`)`,
    );
  }
  let artifact: Artifact;
  try {
    artifact = JSON.parse(fs.readFileSync(file, "utf8")) as Artifact;
  } catch (error) {
    throw new AnonifyPluginError(`the prebuilt artifact ${file} is not JSON: ${(error as Error).message}`);
  }
  const problem =
    typeof artifact !== "object" || artifact === null
      ? "is not an object"
      : artifact.contractName !== name
        ? `names contract ${JSON.stringify(artifact.contractName)}, expected ${name}`
        : artifact.sourceName !== SHIPPED_CONTRACTS[name]
          ? `has source ${JSON.stringify(artifact.sourceName)}, expected ${SHIPPED_CONTRACTS[name]}`
          : !Array.isArray(artifact.abi) || artifact.abi.length === 0
            ? "has no ABI"
            : (linkProblem(name, artifact.linkReferences) ??
              linkProblem(name, artifact.deployedLinkReferences) ??
              (typeof artifact.bytecode !== "string" || !HEX.test(linkedBytecode(artifact.bytecode, artifact.linkReferences)) || artifact.bytecode.length <= 2
                ? "has no creation bytecode"
                : undefined));
  if (problem !== undefined) throw new AnonifyPluginError(`the prebuilt artifact ${file} ${problem}: reinstall hardhat-anonify`);
  return artifact;
}

/**
 * The artifact the plugin deploys for `name`: the shipped prebuilt one, or in the package's own checkout the
 * project's compile output (run `npx hardhat compile` first; `hardhat test` does).
 */
export function anonifyArtifact(hre: HardhatRuntimeEnvironment, name: ShippedContract): Artifact {
  if (!isPackageCheckout(hre.config.paths.root)) return readPrebuiltArtifact(prebuiltArtifactsDir(), name);
  const fqn = fullyQualifiedName(name);
  try {
    return hre.artifacts.readArtifactSync(fqn);
  } catch (error) {
    throw new AnonifyPluginError(`${fqn} is not compiled in this checkout: run \`npx hardhat compile\``, error as Error);
  }
}

/** Every shipped contract's artifact (see {@link anonifyArtifact}): what the IAS and the DCAP module deploy. */
export function anonifyArtifacts(hre: HardhatRuntimeEnvironment): Record<ShippedContract, Artifact> {
  const artifacts = {} as Record<ShippedContract, Artifact>;
  for (const name of Object.keys(SHIPPED_CONTRACTS) as ShippedContract[]) artifacts[name] = anonifyArtifact(hre, name);
  return artifacts;
}

/**
 * Writes the shipped contracts' artifacts (ABI, bytecode, link references) and a manifest of the compiler and
 * settings (the project's default ones, AnonifyGroup's, and each contract's own) into `dir`, from the project's
 * compile output. `npm run build` calls it through
 * `scripts/export-artifacts.ts` after `hardhat compile`.
 */
export async function exportPrebuiltArtifacts(hre: HardhatRuntimeEnvironment, dir: string): Promise<PrebuiltManifest> {
  fs.mkdirSync(dir, { recursive: true });
  const contracts = {} as PrebuiltManifest["contracts"];
  let solcLongVersion: string | undefined;
  let settings: Record<string, unknown> | undefined;
  for (const name of Object.keys(SHIPPED_CONTRACTS) as ShippedContract[]) {
    const fqn = fullyQualifiedName(name);
    const artifact = await hre.artifacts.readArtifact(fqn);
    const buildInfo = await hre.artifacts.getBuildInfo(fqn);
    if (buildInfo === undefined) throw new AnonifyPluginError(`no build info for ${fqn}: run \`npx hardhat compile\``);
    if (solcLongVersion !== undefined && solcLongVersion !== buildInfo.solcLongVersion) {
      throw new AnonifyPluginError(`the shipped contracts were compiled by different solc versions (${solcLongVersion}, ${buildInfo.solcLongVersion})`);
    }
    solcLongVersion = buildInfo.solcLongVersion;
    const { outputSelection: _outputSelection, ...compilerSettings } = buildInfo.input.settings as unknown as Record<string, unknown>;
    if (name === "AnonifyGroup") settings = compilerSettings;
    const file = `${name}.json`;
    const shipped: Artifact = {
      _format: artifact._format,
      contractName: artifact.contractName,
      sourceName: artifact.sourceName,
      abi: artifact.abi,
      bytecode: artifact.bytecode,
      deployedBytecode: artifact.deployedBytecode,
      linkReferences: artifact.linkReferences,
      deployedLinkReferences: artifact.deployedLinkReferences,
    };
    fs.writeFileSync(path.join(dir, file), JSON.stringify(shipped, null, 2) + "\n");
    contracts[name] = { sourceName: artifact.sourceName, file, settings: compilerSettings };
  }
  const manifest: PrebuiltManifest = { format: PREBUILT_FORMAT, solcLongVersion: solcLongVersion!, settings: settings!, contracts };
  fs.writeFileSync(path.join(dir, PREBUILT_MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
  for (const name of Object.keys(SHIPPED_CONTRACTS) as ShippedContract[]) readPrebuiltArtifact(dir, name);
  return manifest;
}
