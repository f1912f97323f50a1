/**
 * The group's roster as the chain has it: every enclave that ever joined (`EnclaveJoined` events), with its current
 * record (`enclave(address)`: status, MRENCLAVE, join epoch, latest checkpoint) and its operator
 * (`enclaveOperator(address)`), plus the group's epoch, log counter and active count. Read-only, needs no node and
 * no key (behind `anonify:members`).
 */
import { Contract, getAddress, type BlockTag, type Provider } from "ethers";
import { lowerHex, type Hex } from "./wire";

/** The views and events of AnonifyGroup the roster reader uses. */
export const ROSTER_GROUP_ABI = [
  "function enclave(address account) view returns ((uint8 status, uint64 joinedAtEpoch, uint64 checkpointStateCounter, bytes32 mrenclave, bytes32 hpkePublicKey, bytes32 mlsSignatureKey, bytes32 checkpointStateHash))",
  "function enclaveOperator(address account) view returns (address)",
  "function currentEpoch() view returns (uint64)",
  "function stateCounter() view returns (uint64)",
  "function activeEnclaveCount() view returns (uint32)",
  "event EnclaveJoined(address indexed enclave, bytes32 indexed mrenclave, uint64 joinedAtEpoch, bytes32 hpkePublicKey, bytes32 mlsSignatureKey)",
  "event EnclaveRevoked(address indexed enclave, bytes32 indexed mrenclave, uint8 reason, address by)",
] as const;

export type RosterStatus = "active" | "revoked";

export interface RosterMember {
  /** The enclave's address (checksummed). */
  address: string;
  status: RosterStatus;
  mrenclave: Hex;
  joinedAtEpoch: bigint;
  /** Block of the `EnclaveJoined` event. */
  joinedAtBlock: number;
  /** The operator account that admitted it; null when the contract records none (zero address). */
  operator: string | null;
  /** Counter of its latest checkpoint on chain (0: none yet). */
  checkpointStateCounter: bigint;
  /** Block of the `EnclaveRevoked` event, when revoked. */
  revokedAtBlock?: number;
}

export interface GroupRoster {
  group: string;
  /** Block the views were read at. */
  blockNumber: number;
  epoch: bigint;
  stateCounter: bigint;
  activeEnclaveCount: number;
  /** In join order. */
  members: RosterMember[];
}

export interface ReadRosterOptions {
  /** First block to read events from (the deployment record's block). Default 0. */
  fromBlock?: number;
  /** Block to read at. Default the latest block. */
  blockNumber?: number;
}

const STATUS: Record<string, RosterStatus | undefined> = { "1": "active", "2": "revoked" };
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/**
 * Reads the roster of `group` at one block. Throws an Error naming the address when it holds no AnonifyGroup (its
 * views do not answer).
 */
export async function readRoster(provider: Provider, group: string, options: ReadRosterOptions = {}): Promise<GroupRoster> {
  const address = getAddress(group);
  const contract = new Contract(address, ROSTER_GROUP_ABI, provider);
  const blockNumber = options.blockNumber ?? (await provider.getBlockNumber());
  const at: { blockTag: BlockTag } = { blockTag: blockNumber };
  let epoch: bigint, stateCounter: bigint, active: bigint;
  try {
    [epoch, stateCounter, active] = (await Promise.all([
      contract.currentEpoch(at),
      contract.stateCounter(at),
      contract.activeEnclaveCount(at),
    ])) as [bigint, bigint, bigint];
  } catch (error) {
    throw new Error(`${address} does not answer AnonifyGroup's views (currentEpoch, stateCounter, activeEnclaveCount): is it the group's address? (${shortError(error)})`);
  }
  const fromBlock = options.fromBlock ?? 0;
  const [joins, revocations] = await Promise.all([
    contract.queryFilter(contract.filters.EnclaveJoined(), fromBlock, blockNumber),
    contract.queryFilter(contract.filters.EnclaveRevoked(), fromBlock, blockNumber),
  ]);
  const revokedAt = new Map<string, number>();
  for (const log of revocations) revokedAt.set(getAddress((log as unknown as { args: { enclave: string } }).args.enclave), log.blockNumber);
  const seen = new Set<string>();
  const members: RosterMember[] = [];
  for (const log of [...joins].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index)) {
    const enclave = getAddress((log as unknown as { args: { enclave: string } }).args.enclave);
    if (seen.has(enclave)) continue;
    seen.add(enclave);
    const [record, operator] = (await Promise.all([contract.enclave(enclave, at), contract.enclaveOperator(enclave, at)])) as [
      { status: bigint; joinedAtEpoch: bigint; checkpointStateCounter: bigint; mrenclave: string },
      string,
    ];
    const status = STATUS[record.status.toString()];
    if (status === undefined) continue; // status None: not (or no longer) registered at this block
    members.push({
      address: enclave,
      status,
      mrenclave: lowerHex(record.mrenclave),
      joinedAtEpoch: BigInt(record.joinedAtEpoch),
      joinedAtBlock: log.blockNumber,
      operator: operator === ZERO_ADDRESS ? null : getAddress(operator),
      checkpointStateCounter: BigInt(record.checkpointStateCounter),
      ...(status === "revoked" && revokedAt.has(enclave) ? { revokedAtBlock: revokedAt.get(enclave) } : {}),
    });
  }
  return { group: address, blockNumber, epoch: BigInt(epoch), stateCounter: BigInt(stateCounter), activeEnclaveCount: Number(active), members };
}

/** The roster with every bigint as a decimal string (for `--json` and task results). */
export interface GroupRosterJson {
  group: string;
  blockNumber: number;
  epoch: string;
  stateCounter: string;
  activeEnclaveCount: number;
  members: Array<Omit<RosterMember, "joinedAtEpoch" | "checkpointStateCounter"> & { joinedAtEpoch: string; checkpointStateCounter: string }>;
}

export function rosterToJson(roster: GroupRoster): GroupRosterJson {
  return {
    ...roster,
    epoch: roster.epoch.toString(),
    stateCounter: roster.stateCounter.toString(),
    members: roster.members.map((m) => ({ ...m, joinedAtEpoch: m.joinedAtEpoch.toString(), checkpointStateCounter: m.checkpointStateCounter.toString() })),
  };
}

/** Human-readable lines: one for the group, one per enclave. */
export function formatRoster(roster: GroupRoster): string[] {
  const lines = [
    `group ${roster.group} at block ${roster.blockNumber}: epoch ${roster.epoch}, stateCounter ${roster.stateCounter}, ` +
      `${roster.activeEnclaveCount} active of ${roster.members.length} enclaves`,
  ];
  for (const m of roster.members) {
    lines.push(
      `  ${m.address} ${m.status.padEnd(7)} mrenclave ${m.mrenclave} joined at epoch ${m.joinedAtEpoch} ` +
        `operator ${m.operator ?? "none"} checkpoint ${m.checkpointStateCounter === 0n ? "none" : m.checkpointStateCounter}`,
    );
  }
  return lines;
}

function shortError(error: unknown): string {
  const e = error as { shortMessage?: string; message?: string };
  return e.shortMessage ?? e.message ?? String(error);
}
