/**
 * The signing account of a task: `--key-env VAR` (a private key in that environment variable; never a key in a
 * file) or `--account N` (an account of the network, default 0). Shared by every task that sends transactions.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Signer, Wallet } from "ethers";
import { AnonifyPluginError } from "../src/errors";

export interface SignerArgs {
  account?: string | number;
  keyEnv?: string;
}

/** The wallet of `--key-env VAR`, connected to the network's provider. */
export async function walletFromEnv(hre: HardhatRuntimeEnvironment, keyEnv: string): Promise<Wallet> {
  const { Wallet } = await import("ethers");
  const key = process.env[keyEnv];
  if (key === undefined || key === "") throw new AnonifyPluginError(`--key-env ${keyEnv}: the environment variable is not set`);
  try {
    return new Wallet(key.trim(), hre.ethers.provider);
  } catch {
    throw new AnonifyPluginError(`--key-env ${keyEnv}: the variable does not hold a secp256k1 private key (32 bytes hex)`);
  }
}

/** The task's signer: `--key-env VAR` or `--account N` (a Hardhat account, default 0). */
export async function taskSigner(hre: HardhatRuntimeEnvironment, args: SignerArgs): Promise<Signer> {
  if (args.keyEnv !== undefined) return walletFromEnv(hre, args.keyEnv);
  const signers = await hre.ethers.getSigners();
  const index = String(args.account ?? "0");
  if (!/^[0-9]+$/.test(index) || Number(index) >= signers.length) {
    throw new AnonifyPluginError(`--account must be an account index 0..${signers.length - 1} of this network (or use --key-env), got ${index}`);
  }
  return signers[Number(index)];
}

/**
 * Makes the key of `--key-env VAR` the network's only account, for tasks that send through the network's provider
 * (Ignition): set before anything creates the provider (it reads the network's `accounts` once). Refused on the
 * in-process network (its accounts are generated and funded at start) and when the provider already exists.
 */
export async function useKeyFromEnvForNetwork(hre: HardhatRuntimeEnvironment, keyEnv: string): Promise<string> {
  const wallet = await walletFromEnv(hre, keyEnv);
  if (hre.network.name === "hardhat" || !("url" in hre.network.config)) {
    throw new AnonifyPluginError(`--key-env deploys from a network with an RPC URL (--network <name>); the in-process network has its own funded accounts`);
  }
  (hre.network.config as { accounts: unknown }).accounts = [wallet.privateKey];
  const [first] = await hre.ethers.getSigners();
  if (first === undefined || (await first.getAddress()) !== wallet.address) {
    throw new AnonifyPluginError(`--key-env ${keyEnv}: the network's provider was created before the key could be installed; run the task alone`);
  }
  return wallet.address;
}
