/**
 * Issue 14 item 6: a `RuntimeClient<R>` is typed by its runtime's `RuntimeTypes`. The `// @ts-expect-error` lines
 * below are wrong commands and queries for a sample runtime that must NOT compile; `npx tsc --noEmit -p .` fails
 * when one of them compiles (an unused directive is an error) or when a correct line does not. `hardhat test`
 * transpiles without type checking, so the second test runs the compiler on this file itself.
 */
import { expect } from "chai";
import path from "node:path";
import ts from "typescript";
import { Wallet } from "ethers";
import { ethers } from "hardhat";
import {
  AnonifyClient,
  RuntimeClient,
  encodeRuntimeCommand,
  type CommandSubmission,
  type FreshRead,
  type NoParams,
  type QueryResult,
  type RuntimeQuery,
  type TokenCommand,
  type TokenInfo,
  type TokenRuntimeTypes,
} from "../../src/client";

/** A sealed-bid auction as its users would describe it; an interface for the queries works as well as a literal. */
interface AuctionQueries {
  auction: { query: { id: string }; result: { item: string; open: boolean; bids: number } };
  myBid: { query: { auction: string }; result: string | null };
  count: { query: NoParams; result: number };
}
interface AuctionRuntime {
  command:
    | { op: "open"; item: string; reserve: bigint | string }
    | { op: "bid"; auction: string; amount: bigint | string }
    | { op: "close"; auction: string };
  queries: AuctionQueries;
}

/** true exactly when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

/** Type-checked by tsc, never called: every line either compiles as intended or is expected not to. */
export async function typeChecks(auction: RuntimeClient<AuctionRuntime>, token: AnonifyClient, untyped: RuntimeClient): Promise<void> {
  // Commands: only the runtime's, with their members.
  const opened: CommandSubmission<AuctionRuntime["command"]> = await auction.send({ op: "open", item: "lamp", reserve: 10n });
  await auction.send({ op: "bid", auction: "1", amount: "12" });
  await opened.wait();
  // @ts-expect-error: not a command of this runtime
  await auction.send({ op: "transfer", to: "0x", amount: 1n });
  // @ts-expect-error: a member is missing
  await auction.send({ op: "bid", auction: "1" });
  // @ts-expect-error: a member the command does not have
  await auction.send({ op: "close", auction: "1", reason: "late" });
  // @ts-expect-error: a member of the wrong type
  await auction.send({ op: "bid", auction: "1", amount: 12 });
  // @ts-expect-error: no op
  await auction.send({ auction: "1" });

  // Queries: the result type of each op.
  const info = await auction.query({ op: "auction", id: "1" });
  assertType<Equal<typeof info, { item: string; open: boolean; bids: number }>>();
  const mine = await auction.query({ op: "myBid", auction: "1" });
  assertType<Equal<typeof mine, string | null>>();
  const count: number = await auction.query({ op: "count" });
  // The ledger's nonce query, for every runtime.
  const nonce = await auction.query({ op: "nonce", account: "0x" });
  assertType<Equal<typeof nonce, string>>();
  const fresh = await auction.readQuery({ op: "myBid", auction: "1" }, { maxLag: 2, policy: "wait" });
  assertType<Equal<typeof fresh, FreshRead<string | null>>>();
  assertType<Equal<QueryResult<AuctionRuntime, "count">, number>>();
  assertType<Equal<RuntimeQuery<AuctionRuntime, "auction">, { op: "auction" } & { id: string }>>();
  // @ts-expect-error: the result is not a number
  const wrong: number = await auction.query({ op: "myBid", auction: "1" });
  // @ts-expect-error: not a query of this runtime
  await auction.query({ op: "balanceOf", account: "0x" });
  // @ts-expect-error: a member is missing
  await auction.query({ op: "auction" });
  // @ts-expect-error: a member the query does not have
  await auction.query({ op: "auction", id: "1", verbose: true });
  // @ts-expect-error: a query without members takes none
  await auction.query({ op: "count", page: 2 });
  // @ts-expect-error: a member of the wrong type
  await auction.query({ op: "auction", id: 1 });

  // The token's client: the same send/query, typed by TokenRuntimeTypes, beside its methods.
  const transfer: CommandSubmission<TokenCommand> = await token.send({ op: "transfer", to: "0x", amount: 5n });
  assertType<Equal<typeof transfer, Awaited<ReturnType<AnonifyClient["transfer"]>>>>();
  const balance = await token.query({ op: "balanceOf", account: "0x" });
  assertType<Equal<typeof balance, string>>();
  const tokenInfo = await token.query({ op: "tokenInfo" });
  assertType<Equal<typeof tokenInfo, TokenInfo>>();
  const asRuntimeClient: RuntimeClient<TokenRuntimeTypes> = token;
  // @ts-expect-error: an auction command is not a token command
  await token.send({ op: "bid", auction: "1", amount: 1n });
  // @ts-expect-error: the token's transfer needs an amount
  await asRuntimeClient.send({ op: "transfer", to: "0x" });
  // @ts-expect-error: the auction's client has no token methods
  await auction.transfer("0x", 1n);

  // Untyped: any command or query with an op string, results unknown.
  await untyped.send({ op: "anything", nested: { a: [1, 2n] } });
  const answer = await untyped.query({ op: "whatever", key: "k" });
  assertType<Equal<typeof answer, unknown>>();
  // @ts-expect-error: a command needs an op
  await untyped.send({ key: "k" });
  // @ts-expect-error: op is a string
  await untyped.query({ op: 5 });

  void [count, wrong];
}

describe("client: RuntimeClient<R> is typed by the runtime's RuntimeTypes", function () {
  it("the sample runtime's commands encode as the types describe them (the type checks are in typeChecks)", async function () {
    const signer = Wallet.createRandom().connect(ethers.provider);
    const auction = new RuntimeClient<AuctionRuntime>({ nodeUrl: "http://127.0.0.1:1", signer, group: Wallet.createRandom().address });
    expect(auction).to.be.instanceOf(RuntimeClient).and.not.be.instanceOf(AnonifyClient);
    expect(auction.codec.encodeCommand({ op: "open", item: "lamp", reserve: 10n })).to.deep.equal(encodeRuntimeCommand({ op: "open", item: "lamp", reserve: "10" }));
    expect(new AnonifyClient({ nodeUrl: "http://127.0.0.1:1", signer, group: Wallet.createRandom().address })).to.be.instanceOf(RuntimeClient);
  });

  it("this file type-checks: each @ts-expect-error line is an error and nothing else is", function () {
    this.timeout(300_000);
    const root = path.resolve(__dirname, "../..");
    const configFile = ts.readConfigFile(path.join(root, "tsconfig.json"), (file) => ts.sys.readFile(file));
    const config = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
    // hardhat.config.ts loads the plugins whose type extensions the project compiles with (`ethers` on hardhat).
    const program = ts.createProgram({ rootNames: [path.join(root, "hardhat.config.ts"), __filename], options: { ...config.options, noEmit: true } });
    const diagnostics = ts.getPreEmitDiagnostics(program, program.getSourceFile(__filename));
    const text = diagnostics.map((d) => {
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : "?";
      return `line ${where}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
    expect(text).to.deep.equal([]);
  });
});
