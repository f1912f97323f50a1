/**
 * Issue 14 item 7, end to end over a real JSON-RPC chain: `hardhat node` on a free loopback port, one group per
 * package runtime (records, auction) deployed to it, two TEE nodes per group each in its own OS process (its own
 * enclave process, simulation), users on the client SDK. Besides the flows, the chain is scanned for what must
 * never reach it: record contents and the losing bid's amount appear in no calldata and no log.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { HDNodeWallet, JsonRpcProvider, NonceManager, toUtf8Bytes, hexlify } from "ethers";
import { CommandRefusedError, ReadRefusedError, RuntimeClient } from "../../src/client";
import { amountNeedle, collectChainData, findPlaintext, type Needle } from "../../src/client/chainScan";
import { AUCTION_CODEC, AUCTION_RUNTIME, RECORDS_RUNTIME, type AuctionRuntimeTypes, type RecordsRuntimeTypes } from "../../src/runtimes";
import { type ChildHandle, HARDHAT_MNEMONIC, deployGroupOverRpc, freePort, pinnedEnclaveBinary, startHardhatNode, startNodeProcess } from "./processes";

const account = (i: number, provider: JsonRpcProvider) => HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).connect(provider);

function textNeedle(label: string, text: string): Needle {
  return { label, encodings: [{ name: "UTF-8", hex: hexlify(toUtf8Bytes(text)).slice(2) }] };
}

describe("e2e: the records and auction runtimes over a real chain, nodes in their own processes", function () {
  this.timeout(600_000);
  const children: ChildHandle[] = [];
  const dirs: string[] = [];
  let provider: JsonRpcProvider;
  let rpcUrl: string;
  let binary: string;
  let mrenclave: string;
  let deployer: NonceManager;
  const tempDir = (prefix: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };

  /** A group running `runtime` with two node processes (accounts `first`, `first + 1`); their URLs. */
  async function groupWithNodes(runtime: string, first: number): Promise<{ group: string; urls: string[] }> {
    const deployed = await deployGroupOverRpc(deployer, mrenclave, 3600, runtime);
    const urls: string[] = [];
    for (const i of [first, first + 1]) {
      const label = `${runtime.split("/")[0]}-${i}`;
      const started = await startNodeProcess({
        label,
        rpcUrl,
        group: deployed.groupAddress,
        fromBlock: deployed.fromBlock,
        nodeKey: account(i, provider).privateKey,
        dataDir: tempDir(`anonify-e2e-${label}-`),
        binary,
      });
      children.push(started.handle);
      urls.push(started.url);
    }
    return { group: deployed.groupAddress, urls };
  }

  before(async function () {
    ({ binary, mrenclave } = await pinnedEnclaveBinary(tempDir("anonify-e2e-runtimes-bin-")));
    const port = await freePort();
    children.push(await startHardhatNode(port));
    rpcUrl = `http://127.0.0.1:${port}`;
    provider = new JsonRpcProvider(rpcUrl, undefined, { pollingInterval: 100, cacheTimeout: -1 });
    deployer = new NonceManager(account(0, provider));
  });

  after(async function () {
    for (const child of children.reverse()) await child.stop();
    provider?.destroy();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("records: a record put through one node is read by its grantee through the other, and its content never reaches the chain", async function () {
    const { group, urls } = await groupWithNodes(RECORDS_RUNTIME, 1);
    const [owner, reader, stranger] = [account(11, provider), account(12, provider), account(13, provider)];
    const client = (signer: HDNodeWallet, url: string) => new RuntimeClient<RecordsRuntimeTypes>({ nodeUrl: url, signer, group, pollIntervalMs: 100 });
    const content = "shipment 7741: 40 pallets, cleared customs";
    await (await client(owner, urls[0]).send({ op: "put", id: "ship-7741", content })).wait();
    await (await client(owner, urls[0]).send({ op: "grant", id: "ship-7741", account: reader.address.toLowerCase(), access: "read" })).wait();
    const read = await client(reader, urls[1]).readQuery({ op: "get", id: "ship-7741" }, { policy: "wait" });
    expect(read.value).to.deep.include({ content, owner: owner.address.toLowerCase(), access: "read", version: "1" });
    const denied = await client(stranger, urls[1]).query({ op: "get", id: "ship-7741" }).catch((e: unknown) => e);
    expect(denied).to.be.instanceOf(ReadRefusedError).and.include({ code: "not_authorized" });

    const blobs = await collectChainData(provider, 0);
    expect(findPlaintext(blobs, [textNeedle("record content", content), textNeedle("record content (part)", "40 pallets")])).to.deep.equal([]);
  });

  it("auction: hidden bids through two nodes; after close everyone reads winner and price; the losing amount is nowhere on chain", async function () {
    const { group, urls } = await groupWithNodes(AUCTION_RUNTIME, 3);
    const [seller, low, high] = [account(14, provider), account(15, provider), account(16, provider)];
    const client = (signer: HDNodeWallet, url: string) =>
      new RuntimeClient<AuctionRuntimeTypes>({ nodeUrl: url, signer, group, pollIntervalMs: 100, codec: AUCTION_CODEC });
    const LOSING = 731_337n;
    const WINNING = 912_211n;
    await (await client(seller, urls[0]).send({ op: "open", id: "lot-e2e", item: "a sealed-bid lot", reservePrice: 1000n })).wait();
    await client(low, urls[1]).readQuery({ op: "auction", id: "lot-e2e" }, { policy: "wait" });
    await (await client(low, urls[1]).send({ op: "bid", id: "lot-e2e", amount: LOSING })).wait();
    await (await client(high, urls[0]).send({ op: "bid", id: "lot-e2e", amount: WINNING })).wait();
    const notSeller = await client(low, urls[1]).send({ op: "close", id: "lot-e2e" }).catch((e: unknown) => e);
    expect(notSeller).to.be.instanceOf(CommandRefusedError).and.include({ reason: "not seller" });
    await (await client(seller, urls[0]).send({ op: "close", id: "lot-e2e" })).wait();

    for (const [signer, url] of [[low, urls[1]], [high, urls[0]], [seller, urls[1]]] as const) {
      const result = await client(signer, url).readQuery({ op: "auction", id: "lot-e2e" }, { policy: "wait" });
      expect(result.value).to.deep.include({ status: "closed", winner: high.address.toLowerCase(), price: WINNING.toString() });
    }
    expect((await client(low, urls[1]).readQuery({ op: "myBid", id: "lot-e2e" }, { policy: "wait" })).value).to.equal(null);

    const blobs = await collectChainData(provider, 0);
    expect(findPlaintext(blobs, [amountNeedle(LOSING)])).to.deep.equal([]);
  });
});
