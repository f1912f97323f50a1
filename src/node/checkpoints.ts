/**
 * The node's state checkpoints (docs/node.md "Checkpoints", audit F-8). Every `checkpointInterval` applied entries
 * the enclave signs `Checkpoint(stateCounter, stateHash, logHash)` over the log it applied (`state_checkpoint`;
 * `logHash` is L at that counter, src/logHash.ts). The contract accepts it only with the hashes of the entries after
 * that counter up to its head, folded onto `logHash` to give its own log hash: the node reads them from the chain
 * when the transaction's turn comes. A checkpoint whose log is not the chain's (a reorg the sync has not met yet) is
 * not sent; one overtaken by new entries before it is mined reverts. Both are warnings: the next interval's
 * checkpoint is posted as usual. While the node is far behind the head (catching up), checkpoints are skipped: each
 * later entry costs the checkpoint ~700 gas (32 bytes of calldata and a hash).
 */
import { Contract, keccak256, type Provider } from "ethers";
import type { EnclaveProcess } from "../enclave/EnclaveProcess";
import type { Eip712DomainParams, StateCheckpointResult } from "../enclave/protocol";
import { foldLogHash } from "../logHash";
import { LOG_QUERY_BLOCK_RANGE } from "./chainReader";
import type { CiphertextLogEntry } from "./groupContract";
import { GROUP_INTERFACE, decodeGroupLog } from "./groupContract";
import type { NodeLogger } from "./logger";
import { callState } from "./stateMethods";
import type { TxSender } from "./txSender";

/** Most later entries a checkpoint carries; further behind the head, the node skips it (~180,000 gas at the bound). */
export const MAX_CHECKPOINT_TAIL = 256;

/** Topic0 of the two events that carry ciphertext-log entries. */
const ENTRY_TOPICS = ["CiphertextPosted", "CiphertextBatchPosted"].map((name) => GROUP_INTERFACE.getEvent(name)!.topicHash);

export interface CheckpointContext {
  enclave: () => EnclaveProcess;
  group: Contract;
  provider: Provider;
  sender: TxSender;
  domain: Eip712DomainParams;
  logger: NodeLogger;
}

/** The chain's log after a counter, at one block: the entries' hashes up to the head and the head's log hash. */
export interface LogTail {
  block: number;
  headStateCounter: bigint;
  headLogHash: string;
  laterEntryHashes: string[];
}

/** Refuses to post: the enclave's log is not the chain's (its log hash does not fold to the chain's head). */
export class CheckpointLogDiffersError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointLogDiffersError";
  }
}

/** Skips a checkpoint: more than `maxLater` entries follow it on chain (the node is catching up). */
export class CheckpointBehindHeadError extends Error {
  constructor(
    readonly head: bigint,
    readonly later: bigint,
  ) {
    super(`the chain's head is #${head}, ${later} entries later`);
    this.name = "CheckpointBehindHeadError";
  }
}

/**
 * keccak256 of entries `after + 1` … head of the group's log at the latest block, from the CiphertextPosted and
 * CiphertextBatchPosted events from `fromBlock` (the block of entry `after`: later entries are never in earlier
 * blocks) on. Throws CheckpointLogDiffersError when the events do not hold every one of them (the chain reorganised
 * under the caller), CheckpointBehindHeadError when more than `maxLater` follow.
 */
export async function readLogTail(
  provider: Provider,
  group: Contract,
  after: bigint,
  fromBlock: number,
  maxLater = MAX_CHECKPOINT_TAIL,
): Promise<LogTail> {
  const block = await provider.getBlockNumber();
  const [head, headLogHash] = (await Promise.all([group.stateCounter({ blockTag: block }), group.logHash({ blockTag: block })])) as [bigint, string];
  if (head - after > BigInt(maxLater)) throw new CheckpointBehindHeadError(head, head - after);
  const hashes = new Map<bigint, string>();
  if (head > after) {
    const address = await group.getAddress();
    for (let start = fromBlock; start <= block; start += LOG_QUERY_BLOCK_RANGE) {
      const logs = await provider.getLogs({ address, topics: [ENTRY_TOPICS], fromBlock: start, toBlock: Math.min(block, start + LOG_QUERY_BLOCK_RANGE - 1) });
      for (const log of logs) {
        for (const entry of decodeGroupLog(log)) {
          const e = entry as CiphertextLogEntry;
          if (e.stateCounter > after && e.stateCounter <= head) hashes.set(e.stateCounter, keccak256(e.ciphertext));
        }
      }
    }
  }
  if (head < after) throw new CheckpointLogDiffersError(`the chain's log ends at #${head} (block ${block}), before #${after}`);
  const laterEntryHashes: string[] = [];
  for (let counter = after + 1n; counter <= head; counter++) {
    const hash = hashes.get(counter);
    if (hash === undefined) throw new CheckpointLogDiffersError(`entry #${counter} is not in the group's events from block ${fromBlock} to ${block}`);
    laterEntryHashes.push(hash);
  }
  return { block, headStateCounter: head, headLogHash: String(headLogHash).toLowerCase(), laterEntryHashes };
}

export class CheckpointPoster {
  private lastCheckpoint = 0n;

  constructor(
    private readonly ctx: CheckpointContext,
    /** Applied entries between checkpoints; 0: none. */
    private readonly interval: bigint,
  ) {}

  /** Starts from the enclave's latest checkpoint on chain: counters at or below it are not posted again. */
  async load(address: string): Promise<void> {
    const record = (await this.ctx.group.enclave(address)) as { checkpointStateCounter: bigint };
    this.lastCheckpoint = record.checkpointStateCounter;
  }

  /** After `entry` was applied: every `interval` entries, the enclave signs its checkpoint and the node posts it. */
  onApplied(entry: CiphertextLogEntry): void {
    const counter = entry.stateCounter;
    if (this.interval === 0n || counter % this.interval !== 0n || counter <= this.lastCheckpoint) return;
    this.lastCheckpoint = counter;
    // Issued before the next state_apply (the enclave answers in order), so it covers exactly `counter`.
    const signed = callState(this.ctx.enclave(), "state_checkpoint", { domain: this.ctx.domain });
    this.post(signed, entry.blockNumber).catch((error: unknown) => this.ctx.logger.warn(`checkpoint #${counter}: ${(error as Error).message}`));
  }

  private async post(signed: Promise<StateCheckpointResult>, fromBlock: number): Promise<void> {
    const cp = await signed;
    const { logger, sender, group, provider } = this.ctx;
    // An enclave binary from before audit F-8 answers without it.
    if ((cp as Partial<StateCheckpointResult>).logHash === undefined) {
      logger.warn(`checkpoint #${cp.stateCounter} not posted: this enclave build signs no log hash (state_checkpoint.logHash), which the group requires`);
      return;
    }
    const logHash = cp.logHash.toLowerCase();
    const at = BigInt(cp.stateCounter);
    let tail: LogTail | undefined;
    let outcome;
    try {
      outcome = await sender.send(group, "postCheckpoint", async () => {
        tail = await readLogTail(provider, group, at, fromBlock);
        const folded = foldLogHash(logHash, tail.laterEntryHashes);
        if (folded !== tail.headLogHash) {
          throw new CheckpointLogDiffersError(
            `the enclave's log hash at #${at} (${logHash}) with the chain's ${tail.laterEntryHashes.length} later entries gives ${folded}, ` +
              `the chain's head #${tail.headStateCounter} at block ${tail.block} has ${tail.headLogHash}: the enclave applied another log than the chain's`,
          );
        }
        return [cp.stateCounter, cp.stateHash, logHash, tail.laterEntryHashes, cp.signature];
      });
    } catch (error) {
      if (error instanceof CheckpointBehindHeadError) {
        logger.info(`checkpoint #${at} skipped: ${error.message} (more than ${MAX_CHECKPOINT_TAIL} would ride along); checkpoints resume near the head`);
        return;
      }
      if (!(error instanceof CheckpointLogDiffersError)) throw error;
      logger.warn(`checkpoint #${at} not posted: ${error.message} (a reorganisation? the next checkpoint interval posts again)`);
      return;
    }
    const later = tail === undefined ? "" : ` with ${tail.laterEntryHashes.length} later entr${tail.laterEntryHashes.length === 1 ? "y" : "ies"}`;
    if (outcome.ok) {
      logger.info(`checkpoint #${at} posted (state hash ${cp.stateHash}, log hash ${logHash}${later})`);
      return;
    }
    const name = outcome.revert.name;
    const moved = name === "CheckpointTailMismatch" || name === "CheckpointLogMismatch" || name === "RevertedOnChain";
    logger.warn(`checkpoint #${at} refused: ${name}${moved ? " (the log moved on before it was mined; the next checkpoint interval posts again)" : ""}`);
  }
}
