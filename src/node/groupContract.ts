/**
 * The slice of `AnonifyGroup` (contracts/group/IAnonifyGroup.sol, docs/contracts.md) a node uses: entry points,
 * views, events and custom errors as a human-readable ABI, and the decoding of its logs into log entries in chain
 * order.
 */
import { Contract, Interface, type ContractRunner, type Log } from "ethers";
import { searchErrorChain } from "../errorChain";

export const ANONIFY_GROUP_ABI = [
  "function join(bytes evidence, bytes32 hpkePublicKey, bytes32 mlsSignatureKey, bytes handshake, bytes handshakeSignature)",
  "function postHandshake(uint64 epoch, bytes handshake, bytes signature)",
  "function postRemovalCommit(uint64 epoch, bytes handshake, address[] removed, bytes signature)",
  "function postCiphertext(uint64 epoch, uint64 sequence, bytes ciphertext, bytes signature)",
  "function postCiphertextBatch(uint64 epoch, uint64 firstSequence, bytes[] ciphertexts, bytes signature)",
  "function postSnapshot(uint64 epoch, uint64 stateCounter, bytes snapshot, bytes signature)",
  "function nextPostSequence(address enclave, uint64 epoch) view returns (uint64)",
  "function postCheckpoint(uint64 stateCounter, bytes32 stateHash, bytes16 logHash, bytes32[] laterEntryHashes, bytes signature)",
  "function revokeEnclave(address enclave)",
  "function currentEpoch() view returns (uint64)",
  "function stateCounter() view returns (uint64)",
  "function logHash() view returns (bytes16)",
  "function activeEnclaveCount() view returns (uint32)",
  "function pendingRemovalCount() view returns (uint32)",
  "function removalPending(address enclave) view returns (bool)",
  "function enclave(address account) view returns ((uint8 status, uint64 joinedAtEpoch, uint64 checkpointStateCounter, bytes32 mrenclave, bytes32 hpkePublicKey, bytes32 mlsSignatureKey, bytes32 checkpointStateHash))",
  "function verifier() view returns (address)",
  "function runtime() view returns (string)",
  "function MAX_BATCH_SIZE() view returns (uint256)",
  "function GOVERNOR_ROLE() view returns (bytes32)",
  "function OPERATOR_ROLE() view returns (bytes32)",
  "function operatorInfo(address operator) view returns (bool approved, uint32 activeEnclaves, uint32 cap)",
  "function openAdmission() view returns (bool open, uint32 maxJoinsPerBlock)",
  "function hasRole(bytes32 role, address account) view returns (bool)",
  "event EnclaveJoined(address indexed enclave, bytes32 indexed mrenclave, uint64 joinedAtEpoch, bytes32 hpkePublicKey, bytes32 mlsSignatureKey)",
  "event EnclaveRevoked(address indexed enclave, bytes32 indexed mrenclave, uint8 reason, address by)",
  "event EnclaveRemoved(address indexed enclave, uint64 indexed epoch, address indexed committer)",
  "event HandshakePosted(uint64 indexed epoch, address indexed sender, bytes handshake)",
  "event CiphertextPosted(uint64 indexed stateCounter, uint64 indexed epoch, address indexed sender, bytes ciphertext)",
  "event CiphertextBatchPosted(uint64 indexed firstStateCounter, uint64 indexed epoch, address indexed sender, bytes[] ciphertexts)",
  "event CheckpointPosted(address indexed enclave, uint64 indexed stateCounter, bytes32 stateHash, bytes16 logHash)",
  "error ReportDataKeyHashMismatch(bytes32 expected, bytes32 actual)",
  "error ReportDataReservedNotZero(bytes12 reserved)",
  "error MrenclaveNotAllowed(bytes32 mrenclave)",
  "error EnclaveAlreadyRegistered(address enclave)",
  "error EnclaveWasRevoked(address enclave)",
  "error EnclaveNotRegistered(address enclave)",
  "error HandshakeSignerMismatch(address expected, address actual)",
  "error EpochMismatch(uint64 expected, uint64 actual)",
  "error HandshakeEmpty()",
  "error CiphertextEmpty(uint256 index)",
  "error BatchEmpty()",
  "error BatchTooLarge(uint256 size, uint256 maximum)",
  "error PostSequenceMismatch(address enclave, uint64 expected, uint64 actual)",
  "error SnapshotPositionMismatch(uint64 expected, uint64 actual)",
  "error CheckpointAheadOfLog(uint64 logStateCounter, uint64 stateCounter)",
  "error CheckpointNotAfterPrevious(uint64 previous, uint64 stateCounter)",
  "error CheckpointTailMismatch(uint256 expected, uint256 actual)",
  "error CheckpointLogMismatch(bytes16 expected, bytes16 actual)",
  "error SigningKeyNotRegistered(bytes32 keyId)",
  "error ReportSignatureInvalid()",
  "error ReportTooOld(uint64 timestamp, uint64 maxAge, uint64 now)",
  "error QuoteStatusNotAllowed(string status)",
  "error DebugEnclaveNotAllowed(bytes32 mrenclave)",
  "error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)",
  "error NotAnOperator(address account)",
  "error OperatorCapReached(address operator, uint32 cap)",
  "error JoinRateLimited(uint256 blockNumber, uint32 max)",
  "error RemovalCommitPending(uint256 pending)",
  "error RemovedEnclavesNotAscending(address previous, address enclave)",
  "error RemovalNotPending(address enclave, uint8 status)",
  "error EnclaveNotRevoked(address enclave)",
] as const;

export const GROUP_INTERFACE = new Interface(ANONIFY_GROUP_ABI);

/** Mirrors IAnonifyGroup.EnclaveStatus. */
export const ENCLAVE_STATUS = { None: 0, Active: 1, Revoked: 2 } as const;

/** The contract's MAX_BATCH_SIZE (a constant of the deployed code; checked against the chain at start). */
export const MAX_BATCH_SIZE = 128;

export function groupContract(address: string, runner: ContractRunner): Contract {
  return new Contract(address, ANONIFY_GROUP_ABI, runner);
}

/** Position of a log in the chain: entries are applied in (blockNumber, logIndex) order. */
export interface ChainPosition {
  blockNumber: number;
  logIndex: number;
  transactionHash: string;
  /** Unix time of the block (ChainReader fills it in; the enclave's chain clock is fed from it). */
  blockTimestamp?: number;
}

/** A handshake-log entry: `epoch` is the chain epoch it was posted for (= the MLS epoch it creates). */
export interface HandshakeLogEntry extends ChainPosition {
  kind: "handshake";
  epoch: bigint;
  sender: string;
  handshake: string;
}

/** One ciphertext-log entry (a batch event is expanded: entry i has stateCounter first + i). */
export interface CiphertextLogEntry extends ChainPosition {
  kind: "ciphertext";
  stateCounter: bigint;
  /** Chain epoch the entry was posted in (= MLS epoch + 1, see docs/node.md). */
  epoch: bigint;
  sender: string;
  ciphertext: string;
}

export interface RosterLogEntry extends ChainPosition {
  kind: "joined" | "revoked";
  enclave: string;
}

export interface CheckpointLogEntry extends ChainPosition {
  kind: "checkpoint";
  enclave: string;
  stateCounter: bigint;
  stateHash: string;
  /** The log hash the enclave signed: L at `stateCounter` (audit F-8). */
  logHash: string;
}

export type GroupLogEntry = HandshakeLogEntry | CiphertextLogEntry | RosterLogEntry | CheckpointLogEntry;

/** Topic0 of every event a node reads. */
export const GROUP_EVENT_TOPICS = [
  "EnclaveJoined",
  "EnclaveRevoked",
  "HandshakePosted",
  "CiphertextPosted",
  "CiphertextBatchPosted",
  "CheckpointPosted",
].map((name) => GROUP_INTERFACE.getEvent(name)!.topicHash);

/** Decodes one log of the group into entries (several for a batch); logs of other events give none. */
export function decodeGroupLog(log: Log): GroupLogEntry[] {
  const parsed = GROUP_INTERFACE.parseLog({ topics: [...log.topics], data: log.data });
  if (parsed === null) return [];
  const position: ChainPosition = { blockNumber: log.blockNumber, logIndex: log.index, transactionHash: log.transactionHash };
  const a = parsed.args;
  switch (parsed.name) {
    case "HandshakePosted":
      return [{ ...position, kind: "handshake", epoch: a.epoch as bigint, sender: a.sender as string, handshake: a.handshake as string }];
    case "CiphertextPosted":
      return [
        {
          ...position,
          kind: "ciphertext",
          stateCounter: a.stateCounter as bigint,
          epoch: a.epoch as bigint,
          sender: a.sender as string,
          ciphertext: a.ciphertext as string,
        },
      ];
    case "CiphertextBatchPosted":
      return (a.ciphertexts as string[]).map((ciphertext, i) => ({
        ...position,
        kind: "ciphertext" as const,
        stateCounter: (a.firstStateCounter as bigint) + BigInt(i),
        epoch: a.epoch as bigint,
        sender: a.sender as string,
        ciphertext,
      }));
    case "EnclaveJoined":
      return [{ ...position, kind: "joined", enclave: a.enclave as string }];
    case "EnclaveRevoked":
      return [{ ...position, kind: "revoked", enclave: a.enclave as string }];
    case "CheckpointPosted":
      return [
        {
          ...position,
          kind: "checkpoint",
          enclave: a.enclave as string,
          stateCounter: a.stateCounter as bigint,
          stateHash: a.stateHash as string,
          logHash: a.logHash as string,
        },
      ];
    default:
      return [];
  }
}

/** The custom error a revert carries, decoded with the group's ABI (`undefined` if none is found). */
export function groupRevert(error: unknown): { name: string; args: unknown[] } | undefined {
  return searchErrorChain(error, (e) => {
    const data = e.data;
    if (typeof data === "string" && /^0x[0-9a-fA-F]{8,}$/.test(data)) {
      const parsed = GROUP_INTERFACE.parseError(data);
      if (parsed !== null) return { name: parsed.name, args: [...parsed.args] };
    }
    const revert = e.revert as { name?: string; args?: unknown[] } | undefined;
    if (revert?.name !== undefined) return { name: revert.name, args: [...(revert.args ?? [])] };
    return undefined;
  });
}
