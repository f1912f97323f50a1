/**
 * Where the tasks find the group: an explicit `--group`, else the deployment file `anonify:deploy` writes to
 * `<dataDir>/deployment-<chainId>.json`.
 */
import { getAddress, isAddress } from "ethers";
import { deploymentFile, readDeployment } from "../node/deployment";

/** Chain id of Hardhat's in-process network (and of `npx hardhat node`). */
export const IN_PROCESS_CHAIN_ID = 31337n;
/**
 * Appended to "nothing deployed here" errors on chain 31337: a task run without `--network` uses the in-process chain,
 * which starts empty every time, so a group deployed on `npx hardhat node` is not there.
 */
export const IN_PROCESS_HINT =
  ". Without --network, a task runs on Hardhat's in-process chain, which starts empty every time: if the group was " +
  "deployed on `npx hardhat node`, pass --network localhost";

export interface DeploymentRecord {
  group: string;
  verifier?: string;
  /** Block of the group's deployment (first block worth reading). */
  fromBlock?: number;
}

export function deploymentFilePath(dataDir: string, chainId: bigint | number | string): string {
  return deploymentFile(dataDir, chainId.toString());
}

/** The record `anonify:deploy` wrote, as the tasks need it; undefined when there is none. Throws on a bad file. */
export function readDeploymentFile(dataDir: string, chainId: bigint | number | string): DeploymentRecord | undefined {
  const record = readDeployment(dataDir, chainId.toString());
  if (record === undefined) return undefined;
  return {
    group: getAddress(record.group),
    verifier: typeof record.verifier === "string" && isAddress(record.verifier) ? getAddress(record.verifier) : undefined,
    fromBlock: Number.isSafeInteger(record.deploymentBlock) ? record.deploymentBlock : undefined,
  };
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
      throw new Error(
        `no --group given and no deployment file ${deploymentFilePath(dataDir, chainId)}; run anonify:deploy first or pass --group <address>` +
          (chainId === IN_PROCESS_CHAIN_ID ? IN_PROCESS_HINT : ""),
      );
    }
    record = fromFile;
  }
  if ((await provider.getCode(record.group)) === "0x") {
    throw new Error(`no contract at ${record.group} on chain ${chainId}` + (chainId === IN_PROCESS_CHAIN_ID ? IN_PROCESS_HINT : ""));
  }
  return record;
}
