/**
 * Wire types of the confidential records runtime (`anonify-records/v1`): the command and query objects users sign
 * and the results the enclave returns inside sealed read replies. Semantics, limits and rejection reasons:
 * `enclave/include/anonify/runtime/records.h` and `docs/runtime-records.md`.
 *
 * `RecordsRuntimeTypes` types a `RuntimeClient` (`hre.anonify.runtimeClient<RecordsRuntimeTypes>()`); the default
 * JSON codec writes the commands, whose members are all strings.
 * As everywhere on the wire, addresses and hashes are 0x-prefixed lower-case hex and uint64 values are decimal
 * strings.
 */
import type { Hex, NoParams } from "../client/wire";

/** The runtime's name, as `anonify:deploy --runtime` and `AnonifyGroup.runtime()` spell it. */
export const RECORDS_RUNTIME = "anonify-records/v1";

/** What a grant gives: `"write"` implies read. */
export type RecordGrantAccess = "read" | "write";

/** The reading account's standing on a record, as results report it. */
export type RecordAccess = "owner" | RecordGrantAccess;

/**
 * A command (a JSON object with exactly these members, all strings; at most 4096 bytes as signed).
 *
 * `id` is 1..64 bytes of `A-Z a-z 0-9 . _ : -`, global to the group: the first `put` of an id creates the record
 * and makes the sender its owner; a deleted record's id stays taken. Addresses are `0x` + 40 hex digits (either
 * case). Every command but a creating `put` is refused `"not authorized"` alike for a record that does not exist
 * and for one the sender may not change.
 */
export type RecordsCommand =
  /** Creates the record (version 1) or, by its owner or a writer, replaces its content (a new version). `content`: UTF-8, at most 2048 bytes. */
  | { op: "put"; id: string; content: string }
  /** Owner only: sets `account`'s access (a new grant or a change of level). Makes no version. */
  | { op: "grant"; id: string; account: string; access: RecordGrantAccess }
  /** Owner only: removes `account`'s grant (also on a deleted record). Makes no version. */
  | { op: "revoke"; id: string; account: string }
  /** Owner only: `to` becomes the owner (a new version); the previous owner keeps no access. */
  | { op: "transfer"; id: string; to: string }
  /** Owner only: removes the content (a new version); the record, its grants and its history stay. */
  | { op: "delete"; id: string };

/**
 * A read. `get`, `history` and `grants` answer `not_authorized` with one fixed message per query whether or not the
 * record exists; `nonce` is answered by the ledger (the account itself only), as for every runtime.
 */
export type RecordsQuery =
  /** The record's current state: owner, writers and readers. Result {@link RecordsGetResult}. */
  | { op: "get"; id: string }
  /** Who changed what: owner, writers and readers (grants and revokes: the owner only). Result {@link RecordsHistoryResult}. */
  | { op: "history"; id: string }
  /** The records the sender owns or holds a grant on. Result {@link RecordsListResult}. */
  | { op: "list" }
  /** The record's grants: the owner only. Result {@link RecordsGrantsResult}. */
  | { op: "grants"; id: string }
  /** The nonce the account's next command must carry (decimal string). */
  | { op: "nonce"; account: string };

/** The `get` result. */
export interface RecordsGetResult {
  id: string;
  owner: Hex;
  /** The reading account's access. */
  access: RecordAccess;
  /** Decimal uint64: the number of versions (puts, transfers and the delete) the record has had. */
  version: string;
  deleted: boolean;
  /** The current content; `""` once deleted. */
  content: string;
}

/** Fields every history entry has. */
interface RecordHistoryEntryBase {
  /**
   * Decimal uint64. A put, transfer or delete: the version it made. A grant or revoke: the version in force when it
   * happened (they make none, so readers cannot count them).
   */
  version: string;
  /** Who made the change. */
  author: Hex;
}

/**
 * One history entry. Readers and writers see `put`, `transfer` and `delete` entries; the owner also sees `grant` and
 * `revoke` entries.
 */
export type RecordHistoryEntry =
  /** The content was set; `contentHash` = SHA-256 of its UTF-8 bytes. */
  | (RecordHistoryEntryBase & { action: "put"; contentHash: Hex })
  | (RecordHistoryEntryBase & { action: "delete" })
  /** `account` is the new owner. */
  | (RecordHistoryEntryBase & { action: "transfer"; account: Hex })
  /** Owner only. `account` received `access`. */
  | (RecordHistoryEntryBase & { action: "grant"; account: Hex; access: RecordGrantAccess })
  /** Owner only. `account`'s grant was removed. */
  | (RecordHistoryEntryBase & { action: "revoke"; account: Hex });

/** The `history` result. */
export interface RecordsHistoryResult {
  id: string;
  /** Decimal uint64: the record's current version. */
  version: string;
  /**
   * Older entries were dropped (the enclave keeps the newest 64 puts/transfers/deletes and, apart, the newest 64
   * grants/revokes). For readers and writers it is about the content entries only.
   */
  truncated: boolean;
  /** Oldest first; for the owner, grants and revokes follow the entry of the version they were made under. */
  entries: RecordHistoryEntry[];
}

/** One record of the `list` result. */
export interface RecordsListItem {
  id: string;
  access: RecordAccess;
  /** Decimal uint64. */
  version: string;
  deleted: boolean;
}

/** The `list` result: sorted by id (bytewise). */
export interface RecordsListResult {
  records: RecordsListItem[];
}

/** One grant of the `grants` result. */
export interface RecordGrant {
  account: Hex;
  access: RecordGrantAccess;
}

/** The `grants` result: sorted by account. */
export interface RecordsGrantsResult {
  id: string;
  grants: RecordGrant[];
}

/** Each query op's result. */
export interface RecordsQueryResults {
  get: RecordsGetResult;
  history: RecordsHistoryResult;
  list: RecordsListResult;
  grants: RecordsGrantsResult;
  /** Decimal uint64. */
  nonce: string;
}

/** The result type of a query: `RecordsQueryResult<{ op: "get"; id: string }>` is {@link RecordsGetResult}. */
export type RecordsQueryResult<Q extends RecordsQuery> = RecordsQueryResults[Q["op"]];

/** The records runtime as `RuntimeTypes`: `RuntimeClient<RecordsRuntimeTypes>` sends its commands and types its answers. */
export interface RecordsRuntimeTypes {
  command: RecordsCommand;
  queries: {
    get: { query: { id: string }; result: RecordsGetResult };
    history: { query: { id: string }; result: RecordsHistoryResult };
    list: { query: NoParams; result: RecordsListResult };
    grants: { query: { id: string }; result: RecordsGrantsResult };
  };
}
