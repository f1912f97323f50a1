/**
 * The running hash of a group's ciphertext log (audit F-8; contracts/group/AnonifyMessages.sol `nextLogHash`): L_0 =
 * 16 zero bytes, L_n = the first 16 bytes of keccak256(L_{n-1} ‖ keccak256(entry_n)) over every entry in counter
 * order (each single post, each element of a batch, each snapshot). The contract keeps L at its head (`logHash()`), a
 * checkpoint signs L at its counter, and the enclave computes it as it applies the log. The node uses it to build a
 * checkpoint's tail, the auditor to check every logged checkpoint.
 */
import { concat, dataSlice, getBytes, hexlify, keccak256, type BytesLike } from "ethers";

/** L_0, the log hash of the empty log. */
export const EMPTY_LOG_HASH = `0x${"00".repeat(16)}` as const;

/** L_n from L_{n-1} and keccak256 of entry n. */
export function nextLogHash(logHash: BytesLike, entryHash: BytesLike): string {
  if (getBytes(logHash).length !== 16) throw new Error(`a log hash is 16 bytes, got ${hexlify(logHash)}`);
  if (getBytes(entryHash).length !== 32) throw new Error(`an entry hash is 32 bytes, got ${hexlify(entryHash)}`);
  return dataSlice(keccak256(concat([logHash, entryHash])), 0, 16);
}

/** `logHash` with the hashes of the following entries folded on, in order (what `postCheckpoint` checks). */
export function foldLogHash(logHash: BytesLike, entryHashes: readonly BytesLike[]): string {
  let l = hexlify(logHash);
  for (const h of entryHashes) l = nextLogHash(l, h);
  return l;
}
