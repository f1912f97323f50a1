/**
 * Pre-flight of a node's start: run after it took its data dir's lock (and bound its HTTP port), before it writes
 * its metadata, starts its enclave or pays for anything. The chain RPC answers; it serves the chain the deployment
 * record names; the group address holds an AnonifyGroup whose interface this node speaks; the node's account holds
 * ETH (and, before a join, enough for one; unless the chain charges no gas). Each failure is its own NodeError naming the value and what to do
 * (docs/node.md "Before a node starts").
 */
import { IN_PROCESS_CHAIN_ID, IN_PROCESS_HINT } from "../client/deployment";
import { formatEther, formatUnits, getAddress, Interface, type Provider } from "ethers";
import { NodeError } from "./errors";
import { transportFailure } from "./rpc";

/**
 * ERC-165 id of contracts/group/IAnonifyGroup.sol (XOR of its function selectors) that this node speaks; the
 * group answers `supportsInterface` with it. Changes with the interface: test/node/preflight.test.ts recomputes it.
 */
export const ANONIFY_GROUP_INTERFACE_ID = "0x16e2dbaa";
/** The EIP-712 domain (name, version) the node and its enclave sign in (AnonifyGroup.DOMAIN_NAME / DOMAIN_VERSION). */
export const ANONIFY_EIP712 = { name: "Anonify", version: "1" } as const;
/**
 * Gas a join is budgeted at for the funds check before joining: bench/RESULTS.md measures 199k-265k for the first
 * two joins; larger groups post larger handshakes.
 */
export const JOIN_GAS_ESTIMATE = 400_000n;
/** How long the pre-flight waits for an RPC that does not answer (a chain just starting) before refusing. */
export const PREFLIGHT_RPC_WAIT_MS = 10_000;
const PREFLIGHT_RETRY_MS = 500;

const PROBE_ABI = new Interface([
  "function supportsInterface(bytes4 interfaceId) view returns (bool)",
  "function eip712Domain() view returns (bytes1 fields, string name, string version, uint256 chainId, address verifyingContract, bytes32 salt, uint256[] extensions)",
  "function currentEpoch() view returns (uint64)",
]);

export interface PreflightTarget {
  /** The node's provider, unguarded: the pre-flight bounds its own calls. */
  provider: Provider;
  group: string;
  /** The node's paying account. */
  account: string;
  /** The chain id the deployment record names, when the group came from one. */
  expectedChainId?: bigint;
  /** How errors name the RPC (describeRpc). */
  rpcName: string;
  /** One call's timeout. */
  callTimeoutMs: number;
  /** How long to wait for the RPC to answer at all. Default PREFLIGHT_RPC_WAIT_MS. */
  waitMs?: number;
}

/** A name for the provider's endpoint in messages: its URL when it has one, else Hardhat's network name. */
export function describeRpc(provider: Provider): string {
  const p = provider as unknown as { _getConnection?: () => { url?: string }; _networkName?: string };
  const url = typeof p._getConnection === "function" ? p._getConnection().url : undefined;
  if (url !== undefined) return `the chain RPC ${url}`;
  if (typeof p._networkName === "string") return `the chain RPC of network ${p._networkName}`;
  return "the chain RPC";
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error(`${what}: no answer within ${ms} ms`), { code: "TIMEOUT" })), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/** Every check; resolves with the chain id. */
export async function preflightChain(t: PreflightTarget): Promise<bigint> {
  await checkReachable(t);
  const chainId = await checkChainId(t);
  await checkGroup(t, chainId);
  await checkFunded(t, chainId);
  return chainId;
}

async function checkReachable(t: PreflightTarget): Promise<void> {
  const deadline = Date.now() + (t.waitMs ?? PREFLIGHT_RPC_WAIT_MS);
  for (;;) {
    let failure: string;
    try {
      await withTimeout(t.provider.getBlockNumber(), t.callTimeoutMs, "eth_blockNumber");
      return;
    } catch (error) {
      const transport = transportFailure(error);
      if (transport === undefined) {
        throw new NodeError(
          "chain_unreachable",
          `${t.rpcName} answers, but not as an Ethereum JSON-RPC (eth_blockNumber: ${(error as Error).message}): check the network's url in hardhat.config.ts`,
          503,
        );
      }
      failure = transport;
    }
    if (Date.now() + PREFLIGHT_RETRY_MS > deadline) {
      throw new NodeError(
        "chain_unreachable",
        `${t.rpcName} does not answer (${failure}, for ${t.waitMs ?? PREFLIGHT_RPC_WAIT_MS} ms): start the chain (e.g. \`npx hardhat node\`) ` +
          `or fix the network's url in hardhat.config.ts, and pass --network <name>. The node did not start; nothing was paid for`,
        503,
      );
    }
    await new Promise((r) => setTimeout(r, PREFLIGHT_RETRY_MS));
  }
}

async function checkChainId(t: PreflightTarget): Promise<bigint> {
  const { chainId } = await withTimeout(t.provider.getNetwork(), t.callTimeoutMs, "eth_chainId");
  if (t.expectedChainId !== undefined && chainId !== t.expectedChainId) {
    throw new NodeError(
      "chain_mismatch",
      `${t.rpcName} serves chain ${chainId}, but the deployment record of group ${t.group} names chain ${t.expectedChainId}: ` +
        `run the node with --network <the network of chain ${t.expectedChainId}>, or use the deployment record of chain ${chainId} ` +
        `(anonify:deploy on that network)`,
      409,
    );
  }
  return chainId;
}

/** A view of the group: its decoded result, or undefined when the contract has no such function or reverts. */
async function view(t: PreflightTarget, fn: "supportsInterface" | "eip712Domain" | "currentEpoch", args: unknown[] = []) {
  try {
    const data = await withTimeout(t.provider.call({ to: t.group, data: PROBE_ABI.encodeFunctionData(fn, args) }), t.callTimeoutMs, fn);
    return PROBE_ABI.decodeFunctionResult(fn, data);
  } catch (error) {
    if (transportFailure(error) !== undefined) throw error; // the RPC, not the contract
    return undefined; // "function selector was not recognized", a revert, or an answer that does not decode
  }
}

async function checkGroup(t: PreflightTarget, chainId: bigint): Promise<void> {
  const where = `${t.group} on chain ${chainId}`;
  const fix = `check --group (or the "group" of the deployment record) and --network`;
  if ((await withTimeout(t.provider.getCode(t.group), t.callTimeoutMs, "eth_getCode")) === "0x") {
    throw new NodeError(
      "invalid_options",
      `no contract at ${where} (an account, or nothing deployed there on this chain): ${fix}` + (chainId === IN_PROCESS_CHAIN_ID ? IN_PROCESS_HINT : ""),
    );
  }
  const supported = (await view(t, "supportsInterface", [ANONIFY_GROUP_INTERFACE_ID]))?.[0] as boolean | undefined;
  if (supported !== true) {
    if ((await view(t, "currentEpoch")) !== undefined) {
      throw new NodeError(
        "group_incompatible",
        `${where} looks like an AnonifyGroup but does not implement the IAnonifyGroup interface this node speaks ` +
          `(ERC-165 id ${ANONIFY_GROUP_INTERFACE_ID}): it is another contract version. Run the hardhat-anonify version that ` +
          `deployed it, or deploy a new group with anonify:deploy`,
        409,
      );
    }
    throw new NodeError(
      "not_a_group",
      `${where} is a contract but not an AnonifyGroup (${supported === false ? "its supportsInterface denies" : "it answers no supportsInterface for"} ` +
        `IAnonifyGroup ${ANONIFY_GROUP_INTERFACE_ID}; e.g. a token, or the group's verifier): ${fix}`,
      409,
    );
  }
  const domain = await view(t, "eip712Domain");
  const [name, version, verifying] = domain === undefined ? [] : [domain.name as string, domain.version as string, domain.verifyingContract as string];
  if (name !== ANONIFY_EIP712.name || version !== ANONIFY_EIP712.version || getAddress(verifying ?? t.group) !== getAddress(t.group)) {
    throw new NodeError(
      "group_incompatible",
      `${where} signs in EIP-712 domain ${domain === undefined ? "(none: no eip712Domain())" : `"${name}" version "${version}"`}, ` +
        `but this node signs in "${ANONIFY_EIP712.name}" version "${ANONIFY_EIP712.version}": run the hardhat-anonify version that deployed it`,
      409,
    );
  }
}

async function checkFunded(t: PreflightTarget, chainId: bigint): Promise<void> {
  const balance = await withTimeout(t.provider.getBalance(t.account), t.callTimeoutMs, "eth_getBalance");
  if (balance === 0n && (await feePerGas(t.provider, t.callTimeoutMs)) !== 0n) {
    throw new NodeError(
      "account_unfunded",
      `the node's account ${t.account} holds no ETH on chain ${chainId}: it pays for the node's join and every post ` +
        `(commands, commits, checkpoints). Send it ETH (at least ${formatEther(JOIN_GAS_ESTIMATE * 10n ** 9n)} ETH at 1 gwei for a join), ` +
        `or pay with another account (--account)`,
      409,
    );
  }
}

/** What a unit of gas costs now at most (EIP-1559 maxFeePerGas, else gasPrice); undefined when the RPC names none. */
async function feePerGas(provider: Provider, timeoutMs?: number): Promise<bigint | undefined> {
  const request = provider.getFeeData();
  const fees = timeoutMs === undefined ? await request : await withTimeout(request, timeoutMs, "fee data");
  return fees.maxFeePerGas ?? fees.gasPrice ?? undefined;
}

/**
 * Before a join (nothing is attested or posted yet): the account can pay for one at the current fees. A chain
 * without fees (gas price 0, some private networks) needs no funds.
 */
export async function checkJoinFunds(provider: Provider, account: string): Promise<void> {
  const [balance, price] = await Promise.all([provider.getBalance(account), feePerGas(provider)]);
  if (price === undefined) return;
  const cost = JOIN_GAS_ESTIMATE * price;
  if (balance < cost) {
    throw new NodeError(
      "account_unfunded",
      `the node's account ${account} holds ${formatEther(balance)} ETH, less than a join costs at the current fees ` +
        `(about ${JOIN_GAS_ESTIMATE} gas at ${formatUnits(price, "gwei")} gwei = ${formatEther(cost)} ETH): send it ETH, or pay with another account (--account)`,
      409,
    );
  }
}
