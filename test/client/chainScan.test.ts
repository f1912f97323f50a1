import { expect } from "chai";
import { Wallet, hexlify, toUtf8Bytes, zeroPadValue, toBeHex } from "ethers";
import { addressNeedle, amountNeedle, findPlaintext, type ChainBlob } from "../../src/client/chainScan";

const blob = (where: string, bytes: Uint8Array | string): ChainBlob => ({ where, hex: (typeof bytes === "string" ? bytes : hexlify(bytes)).slice(2).toLowerCase() });

describe("client: plaintext scan", function () {
  const user = Wallet.createRandom();

  it("finds an amount as the command's JSON string or as a uint256 word, and an address raw or as text", function () {
    const blobs = [
      blob("json", toUtf8Bytes(`{"op":"transfer","amount":"21013"}`)),
      blob("abi", zeroPadValue(toBeHex(21013n), 32)),
      blob("raw address", "0x00ff" + user.address.slice(2)),
      blob("checksummed text", toUtf8Bytes(user.address)),
      blob("lower-case text", toUtf8Bytes(user.address.toLowerCase())),
    ];
    const hits = findPlaintext(blobs, [amountNeedle(21013n), addressNeedle("user", user.address)]);
    expect(hits.map((h) => `${h.label}/${h.encoding}/${h.where}`)).to.have.members([
      "amount 21013/JSON decimal string/json",
      "amount 21013/uint256 word/abi",
      "user/raw bytes/raw address",
      "user/checksummed text/checksummed text",
      "user/lower-case text/lower-case text",
    ]);
  });

  it("does not count bare digits inside public text, or matches that straddle a byte boundary", function () {
    const report = blob("report", toUtf8Bytes(`{"id":"210139","timestamp":"2026-11-21T21:01:30.210137"}`));
    const shifted = blob("shifted", "0x0" + zeroPadValue(toBeHex(21013n), 32).slice(2) + "0");
    expect(findPlaintext([report, shifted], [amountNeedle(21013n)])).to.deep.equal([]);
  });
});
