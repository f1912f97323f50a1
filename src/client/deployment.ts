/**
 * Where the tasks find the group: an explicit `--group`, else the deployment file `anonify:deploy` writes to
 * `<dataDir>/deployment-<chainId>.json`.
 */
import fs from "node:fs";
import path from "node:path";
import { getAddress, isAddress } from "ethers";

export interface DeploymentRecord {
  group: string;
  verifier?: string;
  /** Block of the group's deployment (first block worth reading). */
  fromBlock?: number;
}

export function deploymentFilePath(dataDir: string, chainId: bigint | number | string): string {
  return path.join(dataDir, `deployment-${chainId.toString()}.json`);
}

/** Reads the deployment file; undefined when there is none. Throws on a file that names no valid group. */
export function readDeploymentFile(dataDir: string, chainId: bigint | number | string): DeploymentRecord | undefined {
  const file = deploymentFilePath(dataDir, chainId);
  if (!fs.existsSync(file)) return undefined;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${file} is not JSON: ${(error as Error).message}`);
  }
  const contracts = (raw.contracts ?? {}) as Record<string, unknown>;
  const group = [raw.group, raw.groupAddress, contracts.group, contracts.AnonifyGroup].find((v) => typeof v === "string" && isAddress(v)) as string | undefined;
  if (group === undefined) throw new Error(`${file} names no AnonifyGroup address (expected a "group" field)`);
  const verifier = [raw.verifier, raw.verifierAddress, contracts.verifier, contracts.IasVerifier].find((v) => typeof v === "string" && isAddress(v)) as
    | string
    | undefined;
  const block = [raw.fromBlock, raw.deploymentBlock, raw.deployBlock, raw.blockNumber].find((v) => typeof v === "number" || (typeof v === "string" && /^[0-9]+$/.test(v)));
  return { group: getAddress(group), verifier: verifier && getAddress(verifier), fromBlock: block === undefined ? undefined : Number(block) };
}

/**
 * The group a task works on: `explicit` if given (must be an address with code), else the deployment file of
 * the connected chain. Errors name what to pass.
 */
export async function resolveGroupForTask(
  provider: { getNetwork(): Promise<{ chainId: bigint }>; getCode(address: string): Promise<string> },
  dataDir: string,
  explicit: string | undefined,
): Promise<DeploymentRecord> {
  const { chainId } = await provider.getNetwork();
  let record: DeploymentRecord;
  if (explicit !== undefined && explicit !== "") {
    if (!isAddress(explicit)) throw new Error(`--group is not an address: ${explicit}`);
    const fromFile = readDeploymentFile(dataDir, chainId);
    record = fromFile && getAddress(fromFile.group) === getAddress(explicit) ? fromFile : { group: getAddress(explicit) };
  } else {
    const fromFile = readDeploymentFile(dataDir, chainId);
    if (!fromFile) {
      throw new Error(`no --group given and no deployment file ${deploymentFilePath(dataDir, chainId)}; run anonify:deploy first or pass --group <address>`);
    }
    record = fromFile;
  }
  if ((await provider.getCode(record.group)) === "0x") throw new Error(`no contract at ${record.group} on chain ${chainId}`);
  return record;
}
