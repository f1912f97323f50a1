/**
 * What the chain holds, read block by block: every transaction's calldata and every log's topics and data.
 * Used to show that no plaintext (amounts, user addresses) reaches the chain, and to tabulate gas per operation.
 */
import { Interface, getAddress, toUtf8Bytes, hexlify, zeroPadValue, toBeHex, type Provider } from "ethers";
import { AUDIT_GROUP_ABI } from "./audit";

export interface ChainBlob {
  /** e.g. "tx 0xab… calldata" or "tx 0xab… log 2 data". */
  where: string;
  /** Lower-case hex without 0x. */
  hex: string;
  /** Byte offset where the blob's ABI words start: 4 for calldata (after the selector), 0 for log data and topics (the default). */
  abiOffset?: number;
}

/** A function selector precedes the ABI words of calldata. */
const SELECTOR_BYTES = 4;
const WORD_BYTES = 32;

/** Every calldata, log topic and log data in blocks [fromBlock, toBlock]. */
export async function collectChainData(provider: Provider, fromBlock: number, toBlock?: number): Promise<ChainBlob[]> {
  const last = toBlock ?? (await provider.getBlockNumber());
  const blobs: ChainBlob[] = [];
  for (let n = fromBlock; n <= last; n++) {
    const block = await provider.getBlock(n, true);
    if (!block) continue;
    for (const tx of block.prefetchedTransactions) {
      blobs.push({ where: `tx ${tx.hash} calldata`, hex: tx.data.slice(2).toLowerCase(), abiOffset: SELECTOR_BYTES });
      const receipt = await provider.getTransactionReceipt(tx.hash);
      for (const log of receipt?.logs ?? []) {
        log.topics.forEach((topic, i) => blobs.push({ where: `tx ${tx.hash} log ${log.index} topic ${i}`, hex: topic.slice(2).toLowerCase() }));
        blobs.push({ where: `tx ${tx.hash} log ${log.index} data`, hex: log.data.slice(2).toLowerCase() });
      }
    }
  }
  return blobs;
}

export interface Needle {
  /** What the plaintext is, e.g. "amount 123457" or "address of alice". */
  label: string;
  /**
   * Encodings searched for (lower-case hex without 0x). `wordAligned`: only where an ABI word starts (an amount leaks
   * as a uint256 argument or event field there); a 32-byte needle of 30 zero bytes and 2 value bytes would otherwise
   * match any zero run followed by two bytes of binary data, such as a raw DCAP quote's reserved fields.
   */
  encodings: { name: string; hex: string; wordAligned?: boolean }[];
}

/**
 * An amount as it would leak: its JSON string as the command carries it (`"123"`, quotes included: bare digits
 * also occur in public text such as an IAS report's timestamp and id) and its uint256 ABI word.
 */
export function amountNeedle(amount: bigint): Needle {
  return {
    label: `amount ${amount}`,
    encodings: [
      { name: "JSON decimal string", hex: hexlify(toUtf8Bytes(JSON.stringify(amount.toString()))).slice(2) },
      { name: "uint256 word", hex: zeroPadValue(toBeHex(amount), WORD_BYTES).slice(2), wordAligned: true },
    ],
  };
}

/** An address as it would leak: its 20 raw bytes, its lower-case and checksummed text. */
export function addressNeedle(label: string, address: string): Needle {
  const checksummed = getAddress(address);
  return {
    label,
    encodings: [
      { name: "raw bytes", hex: checksummed.slice(2).toLowerCase() },
      { name: "lower-case text", hex: hexlify(toUtf8Bytes(checksummed.toLowerCase())).slice(2) },
      { name: "checksummed text", hex: hexlify(toUtf8Bytes(checksummed)).slice(2) },
    ],
  };
}

export interface PlaintextHit {
  label: string;
  encoding: string;
  where: string;
}

/** Every occurrence of a needle in the blobs (byte-aligned). */
export function findPlaintext(blobs: readonly ChainBlob[], needles: readonly Needle[]): PlaintextHit[] {
  const hits: PlaintextHit[] = [];
  for (const blob of blobs) {
    for (const needle of needles) {
      for (const encoding of needle.encodings) {
        // Whole bytes only (an even hex offset), and for ABI words only at a word boundary.
        const misplaced = (hexAt: number) => hexAt % 2 === 1 || (encoding.wordAligned === true && (hexAt / 2 - (blob.abiOffset ?? 0)) % WORD_BYTES !== 0);
        let at = blob.hex.indexOf(encoding.hex);
        while (at >= 0 && misplaced(at)) at = blob.hex.indexOf(encoding.hex, at + 1);
        if (at >= 0) hits.push({ label: needle.label, encoding: encoding.name, where: blob.where });
      }
    }
  }
  return hits;
}

export interface GasRow {
  operation: string;
  count: number;
  averageGas: bigint;
  minGas: bigint;
  maxGas: bigint;
}

/** Gas of every transaction to `group` in [fromBlock, toBlock], grouped by the function called. */
export async function gasPerOperation(provider: Provider, group: string, fromBlock: number, toBlock?: number): Promise<GasRow[]> {
  const iface = new Interface(AUDIT_GROUP_ABI);
  const last = toBlock ?? (await provider.getBlockNumber());
  const byOperation = new Map<string, bigint[]>();
  for (let n = fromBlock; n <= last; n++) {
    const block = await provider.getBlock(n, true);
    for (const tx of block?.prefetchedTransactions ?? []) {
      if (tx.to === null || getAddress(tx.to) !== getAddress(group)) continue;
      const receipt = await provider.getTransactionReceipt(tx.hash);
      if (!receipt || receipt.status !== 1) continue;
      let operation = iface.parseTransaction({ data: tx.data })?.name ?? tx.data.slice(0, 10);
      if (operation === "postCiphertextBatch") {
        const size = (iface.parseTransaction({ data: tx.data })!.args.ciphertexts as unknown[]).length;
        operation = `postCiphertextBatch (${size} entries)`;
      }
      if (!byOperation.has(operation)) byOperation.set(operation, []);
      byOperation.get(operation)!.push(receipt.gasUsed);
    }
  }
  return [...byOperation.entries()].map(([operation, gas]) => ({
    operation,
    count: gas.length,
    averageGas: gas.reduce((a, b) => a + b, 0n) / BigInt(gas.length),
    minGas: gas.reduce((a, b) => (b < a ? b : a)),
    maxGas: gas.reduce((a, b) => (b > a ? b : a)),
  }));
}
