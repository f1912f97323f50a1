/**
 * Reads the group's events from its deployment block on, in (block, logIndex) order, up to the head minus a
 * number of confirmations. The reader keeps a block cursor; a log is returned exactly once per reader.
 *
 * Reorgs: the reader remembers the hash of the blocks it read (the last block of every poll and every block
 * that held entries) and, before each poll, checks the newest one is still canonical. If not, it finds the newest
 * remembered block that still is and throws `ChainReorgError`: entries after that block may have been dropped
 * or reordered, and whoever applied them must roll back (the node restores a sealed point and replays).
 */
import type { Provider } from "ethers";
import { decodeGroupLog, GROUP_EVENT_TOPICS, type GroupLogEntry } from "./groupContract";

/** Largest block range asked for in one eth_getLogs (public nodes cap ranges; Hardhat does not). */
export const LOG_QUERY_BLOCK_RANGE = 5_000;

/** The first block at which `address` has code (binary search over historical state). */
export async function findDeploymentBlock(provider: Provider, address: string): Promise<number> {
  const head = await provider.getBlockNumber();
  if ((await provider.getCode(address, head)) === "0x") throw new Error(`no contract at ${address}`);
  let low = 0;
  let high = head;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if ((await provider.getCode(address, mid)) === "0x") low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Remembered block hashes (the reorg depth the reader can locate exactly; older forks point at the oldest). */
export const REMEMBERED_BLOCKS = 256;

export interface BlockRef {
  block: number;
  hash: string;
}

/** Blocks the reader read are no longer canonical: everything after `forkBlock` must be read (and applied) again. */
export class ChainReorgError extends Error {
  constructor(
    /** The newest block read that is still canonical (the reader's start - 1 when none is). */
    readonly forkBlock: number,
    /** The newest block read whose hash changed (or that no longer exists). */
    readonly staleBlock: number,
  ) {
    super(`chain reorganisation: block ${staleBlock} was replaced; the log is canonical up to block ${forkBlock}`);
    this.name = "ChainReorgError";
  }
}

export class ChainReader {
  private nextBlock: number;
  private readonly fromBlock: number;
  /** Blocks read, oldest first, with the hash they had then. */
  private readonly seen: BlockRef[] = [];

  /** @param anchor a block before `fromBlock` already read elsewhere (a restore point's), checked like the reader's own */
  constructor(
    private readonly provider: Provider,
    private readonly group: string,
    fromBlock: number,
    private readonly confirmations = 0,
    anchor?: BlockRef,
  ) {
    this.nextBlock = fromBlock;
    this.fromBlock = fromBlock;
    if (anchor !== undefined) this.seen.push(anchor);
  }

  /** The newest block read and its hash then (a restore point's position). */
  get lastRead(): BlockRef | undefined {
    return this.seen[this.seen.length - 1];
  }

  /** The highest block the reader may read now (head minus confirmations), or -1. */
  async confirmedHead(): Promise<number> {
    return (await this.provider.getBlockNumber()) - this.confirmations;
  }

  /** The next block not read yet. */
  get cursor(): number {
    return this.nextBlock;
  }

  /**
   * Every new entry up to the confirmed head (`upTo` caps it), in chain order; ChainReorgError after a reorg.
   * `unconfirmed` reads to the head itself: a joining node must build on the chain's current epoch, handshakes less
   * than `confirmations` deep included (the blocks read are remembered and checked like any others).
   */
  async poll(upTo?: number, unconfirmed = false): Promise<GroupLogEntry[]> {
    await this.checkCanonical();
    let toBlock = unconfirmed ? await this.provider.getBlockNumber() : await this.confirmedHead();
    if (upTo !== undefined) toBlock = Math.min(toBlock, upTo);
    const entries: GroupLogEntry[] = [];
    while (this.nextBlock <= toBlock) {
      const end = Math.min(toBlock, this.nextBlock + LOG_QUERY_BLOCK_RANGE - 1);
      let logs;
      const times = new Map<number, number>();
      try {
        logs = await this.provider.getLogs({ address: this.group, topics: [GROUP_EVENT_TOPICS], fromBlock: this.nextBlock, toBlock: end });
        // The time of every block holding entries: state_apply feeds it to the enclave's chain clock.
        for (const log of logs) {
          if (times.has(log.blockNumber)) continue;
          const block = await this.provider.getBlock(log.blockHash);
          if (block === null) throw new Error(`block ${log.blockNumber} (${log.blockHash}) of a group log is not available`);
          times.set(log.blockNumber, block.timestamp);
        }
      } catch (error) {
        // The cursor already moved past the ranges read: hand those entries over (an RPC outage must lose nothing).
        if (entries.length > 0) return entries;
        throw error;
      }
      logs.sort((x, y) => x.blockNumber - y.blockNumber || x.index - y.index);
      for (const log of logs) {
        this.remember({ block: log.blockNumber, hash: log.blockHash });
        for (const entry of decodeGroupLog(log)) entries.push({ ...entry, blockTimestamp: times.get(log.blockNumber) });
      }
      this.nextBlock = end + 1;
      const last = await this.provider.getBlock(end);
      if (last !== null && last.hash !== null) this.remember({ block: end, hash: last.hash });
    }
    return entries;
  }

  private remember(ref: BlockRef): void {
    const newest = this.lastRead;
    if (newest !== undefined && newest.block >= ref.block) return;
    this.seen.push(ref);
    if (this.seen.length > REMEMBERED_BLOCKS) this.seen.shift();
  }

  private async isCanonical(ref: BlockRef): Promise<boolean> {
    const block = await this.provider.getBlock(ref.block);
    return block !== null && block.hash === ref.hash;
  }

  /** Throws ChainReorgError when the newest block read is no longer canonical, naming the fork block. */
  private async checkCanonical(): Promise<void> {
    const newest = this.lastRead;
    if (newest === undefined || (await this.isCanonical(newest))) return;
    let fork = this.fromBlock - 1;
    for (let i = this.seen.length - 2; i >= 0; i--) {
      if (await this.isCanonical(this.seen[i])) {
        fork = this.seen[i].block;
        break;
      }
    }
    throw new ChainReorgError(fork, newest.block);
  }
}
