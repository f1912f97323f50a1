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

  it("counts a uint256 word only at an ABI word boundary (calldata: after the selector), not inside binary data", function () {
    const word = zeroPadValue(toBeHex(33337n), 32).slice(2);
    // A raw quote in calldata: a long zero run (reserved fields) and then two bytes that happen to be the amount.
    const quoteLike = { where: "quote", hex: "a9059cbb" + "11".repeat(18) + "00".repeat(60) + "8239" + "22".repeat(30), abiOffset: 4 };
    expect(quoteLike.hex).to.contain(word);
    expect(findPlaintext([quoteLike], [amountNeedle(33337n)])).to.deep.equal([]);
    const calldata = { where: "calldata", hex: "a9059cbb" + "00".repeat(32) + word, abiOffset: 4 };
    const logData = blob("log", "0x" + "00".repeat(32) + word);
    const hits = findPlaintext([calldata, logData], [amountNeedle(33337n)]);
    expect(hits.map((h) => `${h.encoding}/${h.where}`)).to.deep.equal(["uint256 word/calldata", "uint256 word/log"]);
  });
});
