/**
 * Types of the sealed-bid auction runtime (`anonify-auction/v1`, enclave/include/anonify/runtime/auction.h;
 * docs/runtime-auction.md): the commands users sign, the queries they read with, and what each query answers.
 * `AuctionRuntimeTypes` types a `RuntimeClient`; `AUCTION_CODEC` writes the exact JSON bytes that are signed (amounts
 * as decimal strings, `bid` / `withdraw` / `close` padded to {@link AUCTION_PADDED_COMMAND_SIZE} bytes).
 *
 * On the wire every member is a JSON string and no other member is allowed. Amounts are decimal strings without
 * sign or leading zeros, at most 2^128 - 1 (larger ones are rejected `amount too large`). Auction ids are 1..64
 * bytes of `[A-Za-z0-9._:-]`; an item is 1..256 bytes of UTF-8.
 */
import {
  encodeRuntimeCommand,
  encodeRuntimeQuery,
  WireFormatError,
  type AmountLike,
  type Hex,
  type NoParams,
  type RuntimeCodec,
} from "../client/wire";

/** The runtime's name, as `anonify:deploy --runtime` and `AnonifyGroup.runtime()` spell it. */
export const AUCTION_RUNTIME = "anonify-auction/v1";

/** Bytes every `bid`, `withdraw` and `close` command is padded to (the enclave's `kPaddedCommandSize`). */
export const AUCTION_PADDED_COMMAND_SIZE = 160;

/** Largest amount the runtime takes: 2^128 - 1. */
export const AUCTION_MAX_AMOUNT = (1n << 128n) - 1n;

/**
 * A command, discriminated on `op`; the members in the order the encoder writes them.
 *
 * - `open`: the sender becomes the seller of a new auction (`id` unused so far) with a public `reservePrice`.
 * - `bid`: while open, not by the seller, `amount >= reservePrice`. A second bid by the same bidder replaces the
 *   first and must be higher (`bid not higher`). Nobody else ever sees the amount unless it wins.
 * - `withdraw`: while open, removes the sender's own bid (`no bid` when there is none).
 * - `close`: the seller only, while open. The highest bid wins at its own amount (first price); of equal bids the
 *   earliest placed (a raise counts as placed when raised). Without a bid the auction closes without a winner.
 *   Every bid is deleted from the state.
 *
 * Encoders must pad `bid`, `withdraw` and `close` commands with trailing spaces to 160 bytes (the enclave's
 * `kPaddedCommandSize`), before signing. Without padding, a bid's digit count can move its sealed envelope and its
 * log entry into a larger padding bucket, which the host and the chain can see (docs/runtime-auction.md).
 */
export type AuctionCommand =
  | { op: "open"; id: string; item: string; reservePrice: AmountLike }
  | { op: "bid"; id: string; amount: AmountLike }
  | { op: "withdraw"; id: string }
  | { op: "close"; id: string };
export type AuctionCommandOp = AuctionCommand["op"];

/**
 * A query, discriminated on `op` (the key the token's queries use too).
 *
 * - `auction`: any signer; answers {@link AuctionInfo}, or `null` for an unknown id.
 * - `myBid`: the sender's own bid; answers {@link MyBidResult}.
 * - `list`: any signer; answers {@link AuctionListResult}.
 */
export type AuctionQuery = { op: "auction"; id: string } | { op: "myBid"; id: string } | { op: "list" };
export type AuctionQueryOp = AuctionQuery["op"];

/** `"open"` until the seller's `close` applies, then `"closed"` for good. */
export type AuctionStatus = "open" | "closed";

/** What every {@link AuctionInfo} holds. */
interface AuctionInfoBase {
  id: string;
  /** The account that opened the auction (lower-case hex). */
  seller: Hex;
  item: string;
  /** Decimal string. Bids below it are rejected (`below reserve price`). */
  reservePrice: string;
}

/** An open auction: nothing about its bids, not even how many there are. */
export interface OpenAuctionInfo extends AuctionInfoBase {
  status: "open";
}

/** A closed auction and its outcome; both are `null` when it closed without a bid. */
export interface ClosedAuctionInfo extends AuctionInfoBase {
  status: "closed";
  /** The winning bidder (lower-case hex). */
  winner: Hex | null;
  /** The winning bid, which is the price (decimal string). */
  price: string | null;
}

/** The `auction` result for a known id, discriminated on `status`. */
export type AuctionInfo = OpenAuctionInfo | ClosedAuctionInfo;

/** The `auction` result: `null` when no auction has that id. */
export type AuctionResult = AuctionInfo | null;

/**
 * The `myBid` result: the sender's current bid (decimal string), or `null` when the sender holds none, the auction
 * is closed (bids are deleted at close; a winner reads the price from `auction`) or the id is unknown.
 */
export type MyBidResult = string | null;

/** One row of the `list` result. */
export interface AuctionListEntry {
  id: string;
  status: AuctionStatus;
}

/** The `list` result: every auction, sorted by id (byte order, so upper case before lower case). */
export type AuctionListResult = AuctionListEntry[];

/** The result type of each query op. */
export interface AuctionQueryResults {
  auction: AuctionResult;
  myBid: MyBidResult;
  list: AuctionListResult;
}

/**
 * The runtime's rejection reasons besides `malformed command: …` (enclave `auction_reason`); a rejected command
 * carries one of these or a `malformed command: ` prefixed description.
 */
export type AuctionRejectionReason =
  | "unknown auction"
  | "auction exists"
  | "auction closed"
  | "not seller"
  | "seller cannot bid"
  | "below reserve price"
  | "bid not higher"
  | "no bid"
  | "too many auctions"
  | "too many bidders"
  | "amount too large"
  | "bid sequence exhausted"
  | `malformed command: ${string}`;

/** The auction as `RuntimeTypes`: `RuntimeClient<AuctionRuntimeTypes>` sends its commands and types its answers. */
export interface AuctionRuntimeTypes {
  command: AuctionCommand;
  queries: {
    auction: { query: { id: string }; result: AuctionResult };
    myBid: { query: { id: string }; result: MyBidResult };
    list: { query: NoParams; result: AuctionListResult };
  };
}

/** An amount as the runtime's canonical decimal string, refused here (`amount_invalid`) before anything is signed. */
function decimalAmount(value: AmountLike, member: string): string {
  let amount: bigint;
  if (typeof value === "bigint") amount = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) amount = BigInt(value);
  else if (typeof value === "string" && /^(0|[1-9][0-9]*)$/.test(value)) amount = BigInt(value);
  else throw new WireFormatError("amount_invalid", `${member} must be a non-negative integer (bigint, safe integer or decimal string), got ${JSON.stringify(String(value))}`);
  if (amount < 0n) throw new WireFormatError("amount_invalid", `${member} must not be negative, got ${amount}`);
  if (amount > AUCTION_MAX_AMOUNT) throw new WireFormatError("amount_invalid", `${member} is above 2^128 - 1, the largest amount an auction takes`);
  return amount.toString();
}

/** `bytes` followed by JSON spaces up to `size` (the runtime parses them like any whitespace; they are signed too). */
function padded(bytes: Uint8Array, size: number): Uint8Array {
  if (bytes.length >= size) return bytes;
  const out = new Uint8Array(size).fill(0x20);
  out.set(bytes);
  return out;
}

/**
 * The auction's encoders. Commands: members in the order of {@link AuctionCommand}, amounts as decimal strings, and
 * `bid` / `withdraw` / `close` padded to {@link AUCTION_PADDED_COMMAND_SIZE} bytes so that a bid's digit count never
 * moves its envelope or its log entry into another size class. Queries: plain JSON.
 */
export const AUCTION_CODEC: RuntimeCodec<AuctionRuntimeTypes> = {
  encodeCommand(command: AuctionCommand): Uint8Array {
    switch (command.op) {
      case "open":
        return encodeRuntimeCommand({ op: "open", id: command.id, item: command.item, reservePrice: decimalAmount(command.reservePrice, "reservePrice") });
      case "bid":
        return padded(encodeRuntimeCommand({ op: "bid", id: command.id, amount: decimalAmount(command.amount, "amount") }), AUCTION_PADDED_COMMAND_SIZE);
      case "withdraw":
      case "close":
        return padded(encodeRuntimeCommand({ op: command.op, id: command.id }), AUCTION_PADDED_COMMAND_SIZE);
      default:
        // Not an auction command: sent as given, for the enclave to refuse with its reason.
        return encodeRuntimeCommand(command as object);
    }
  },
  encodeQuery: (query) => encodeRuntimeQuery(query),
};
