/**
 * TypeScript reference of the ciphertext log's hash chain (audit F-8; contracts/group/AnonifyMessages.sol
 * `nextLogHash`, enclave/PROTOCOL.md): L_0 = bytes16(0), L_n = bytes16(keccak256(L_{n-1} ‖ keccak256(entry_n))) over
 * every entry in counter order (each single post, each element of a batch, each snapshot).
 */
import { keccak256, type BytesLike, type TypedDataDomain } from "ethers";
import type { AnonifyGroup } from "../../../typechain-types";
import type { EnclaveKeys } from "./enclaveKeys";
import { EMPTY_LOG_HASH, foldLogHash, nextLogHash } from "../../../src/logHash";

// One step and the fold are the node's and the auditor's own (src/logHash.ts); the independent check of all of them
// is the pinned vectors of test/group/vectors/logHash.json, which the contract, this chain and the C++ ledger
// reproduce.
export { EMPTY_LOG_HASH, foldLogHash, nextLogHash };

/** Every L_n of the entries, n = 0 … entries.length (`chain[n]` is the log hash at stateCounter n). */
export function logHashChain(entries: readonly BytesLike[]): string[] {
  const chain: string[] = [EMPTY_LOG_HASH];
  for (const entry of entries) chain.push(nextLogHash(chain[chain.length - 1], keccak256(entry)));
  return chain;
}

/** L at the head of a log of `entries`. */
export function logHashOf(entries: readonly BytesLike[]): string {
  const chain = logHashChain(entries);
  return chain[chain.length - 1];
}

/** The group's ciphertext log in counter order, rebuilt from its events (as a node or a relayer does). */
export async function logEntriesOf(group: AnonifyGroup): Promise<string[]> {
  const entries = new Map<bigint, string>();
  for (const e of await group.queryFilter(group.filters.CiphertextPosted())) entries.set(e.args.stateCounter, e.args.ciphertext);
  for (const e of await group.queryFilter(group.filters.CiphertextBatchPosted())) {
    e.args.ciphertexts.forEach((c: string, i: number) => entries.set(e.args.firstStateCounter + BigInt(i), c));
  }
  const log = [...entries.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, c]) => c);
  if (log.length !== Number(await group.stateCounter())) throw new Error(`the events hold ${log.length} entries, the group ${await group.stateCounter()}`);
  return log;
}

/**
 * `postCheckpoint` arguments for `enclave`'s checkpoint at `stateCounter` of the group's log as it is now: signed over
 * L_stateCounter, with the later entries' hashes up to the head.
 */
export async function checkpointArguments(
  group: AnonifyGroup,
  domain: TypedDataDomain,
  enclave: EnclaveKeys,
  stateCounter: bigint,
  stateHash: string,
): Promise<[bigint, string, string, string[], string]> {
  const log = await logEntriesOf(group);
  const logHash = logHashChain(log)[Number(stateCounter)];
  const later = log.slice(Number(stateCounter)).map((e) => keccak256(e));
  return [stateCounter, stateHash, logHash, later, await enclave.signCheckpoint(domain, stateCounter, stateHash, logHash)];
}
