/**
 * Reads the group's events from its deployment block on, in (block, logIndex) order, up to the head minus a
 * number of confirmations. The reader keeps a block cursor; a log is returned exactly once per reader.
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

export class ChainReader {
  private nextBlock: number;

  constructor(
    private readonly provider: Provider,
    private readonly group: string,
    fromBlock: number,
    private readonly confirmations = 0,
  ) {
    this.nextBlock = fromBlock;
  }

  /** The highest block the reader may read now (head minus confirmations), or -1. */
  async confirmedHead(): Promise<number> {
    return (await this.provider.getBlockNumber()) - this.confirmations;
  }

  /** The next block not read yet. */
  get cursor(): number {
    return this.nextBlock;
  }

  /** Every new entry up to the confirmed head (`upTo` caps it), in chain order. */
  async poll(upTo?: number): Promise<GroupLogEntry[]> {
    let toBlock = await this.confirmedHead();
    if (upTo !== undefined) toBlock = Math.min(toBlock, upTo);
    const entries: GroupLogEntry[] = [];
    while (this.nextBlock <= toBlock) {
      const end = Math.min(toBlock, this.nextBlock + LOG_QUERY_BLOCK_RANGE - 1);
      const logs = await this.provider.getLogs({
        address: this.group,
        topics: [GROUP_EVENT_TOPICS],
        fromBlock: this.nextBlock,
        toBlock: end,
      });
      logs.sort((x, y) => x.blockNumber - y.blockNumber || x.index - y.index);
      for (const log of logs) entries.push(...decodeGroupLog(log));
      this.nextBlock = end + 1;
    }
    return entries;
  }
}
