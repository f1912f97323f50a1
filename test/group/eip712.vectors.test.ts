import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ethers, network } from "hardhat";
import { TypedDataEncoder, Wallet, concat, keccak256, recoverAddress, toUtf8Bytes } from "ethers";
import { CHECKPOINT_TYPES, CIPHERTEXT_BATCH_TYPES, CIPHERTEXT_TYPES, HANDSHAKE_TYPES, SNAPSHOT_TYPES } from "./helpers/enclaveKeys";
import { simulationGroupFixture } from "./helpers/fixtures";

/**
 * Fixed EIP-712 vectors (test/group/vectors/eip712.json) for the C++ enclave and any other signer: the contract,
 * ethers and the committed file must agree on every type hash, struct hash, digest and signature.
 */
interface Vector {
  privateKey: string;
  address: string;
  domain: { name: string; version: string; chainId: number; verifyingContract: string };
  domainSeparator: string;
  typeHashes: Record<string, { encodeType: string; typeHash: string }>;
  messages: Array<{ primaryType: string; payloads?: string[]; value: Record<string, string>; structHash: string; digest: string; signature: string }>;
}

const vector = JSON.parse(fs.readFileSync(path.join(__dirname, "vectors", "eip712.json"), "utf8")) as Vector;
const TYPES: Record<string, Record<string, { name: string; type: string }[]>> = {
  Handshake: HANDSHAKE_TYPES,
  Ciphertext: CIPHERTEXT_TYPES,
  CiphertextBatch: CIPHERTEXT_BATCH_TYPES,
  Snapshot: SNAPSHOT_TYPES,
  Checkpoint: CHECKPOINT_TYPES,
};

/**
 * The type strings of contracts/group/AnonifyMessages.sol, pinned here as well as in the file: a ciphertext or batch
 * signature names the signer's post sequence number and a snapshot its log position (audit F-5), a checkpoint the
 * log hash of the entries it covers (audit F-8).
 */
const TYPE_STRINGS: Record<string, string> = {
  Handshake: "Handshake(uint64 epoch,bytes32 handshakeHash)",
  Ciphertext: "Ciphertext(uint64 epoch,uint64 sequence,bytes32 payloadHash)",
  CiphertextBatch: "CiphertextBatch(uint64 epoch,uint64 firstSequence,bytes32 payloadsHash)",
  Snapshot: "Snapshot(uint64 epoch,uint64 stateCounter,bytes32 payloadHash)",
  Checkpoint: "Checkpoint(uint64 stateCounter,bytes32 stateHash,bytes16 logHash)",
};

/** The group's runtime code placed at the vector's `verifyingContract` (EIP712 rebuilds the domain for that address). */
async function groupAtVectorAddress() {
  const f = await loadFixture(simulationGroupFixture);
  const code = await ethers.provider.getCode(await f.group.getAddress());
  await network.provider.send("hardhat_setCode", [vector.domain.verifyingContract, code]);
  return ethers.getContractAt("AnonifyGroup", vector.domain.verifyingContract);
}

describe("AnonifyGroup: EIP-712 vectors", function () {
  it("the key, type strings and domain separator are what the file says", function () {
    expect(new Wallet(vector.privateKey).address).to.equal(vector.address);
    // Every message type is in the file, with the contract's type string, and has at least one message.
    expect(Object.keys(vector.typeHashes)).to.have.members(Object.keys(TYPE_STRINGS));
    for (const [name, encodeType] of Object.entries(TYPE_STRINGS)) {
      expect(vector.typeHashes[name].encodeType).to.equal(encodeType);
      expect(vector.messages.some((m) => m.primaryType === name), name).to.equal(true);
    }
    for (const [name, { encodeType, typeHash }] of Object.entries(vector.typeHashes)) {
      expect(TypedDataEncoder.from(TYPES[name]).encodeType(name)).to.equal(encodeType);
      expect(keccak256(toUtf8Bytes(encodeType))).to.equal(typeHash);
    }
    expect(TypedDataEncoder.hashDomain(vector.domain)).to.equal(vector.domainSeparator);
    // The checkpoint vectors cover the extremes: uint64 max, and the empty log's log hash (zero).
    const checkpoints = vector.messages.filter((m) => m.primaryType === "Checkpoint").map((m) => m.value);
    expect(checkpoints.some((v) => v.stateCounter === (2n ** 64n - 1n).toString())).to.equal(true);
    expect(checkpoints.some((v) => v.logHash === "0x" + "00".repeat(16))).to.equal(true);
  });

  it("ethers reproduces every struct hash, digest and deterministic signature", async function () {
    const wallet = new Wallet(vector.privateKey);
    for (const m of vector.messages) {
      expect(TypedDataEncoder.from(TYPES[m.primaryType]).hashStruct(m.primaryType, m.value)).to.equal(m.structHash);
      expect(TypedDataEncoder.hash(vector.domain, TYPES[m.primaryType], m.value)).to.equal(m.digest);
      expect(await wallet.signTypedData(vector.domain, TYPES[m.primaryType], m.value)).to.equal(m.signature);
      expect(recoverAddress(m.digest, m.signature)).to.equal(vector.address);
    }
  });

  it("the contract computes the same domain separator and digests from the payload bytes", async function () {
    const group = await groupAtVectorAddress();
    expect(await group.domainSeparator()).to.equal(vector.domainSeparator);
    for (const m of vector.messages) {
      let digest: string;
      if (m.primaryType === "Handshake") {
        expect(keccak256(m.payloads![0])).to.equal(m.value.handshakeHash);
        digest = await group.handshakeDigest(m.value.epoch, m.payloads![0]);
      } else if (m.primaryType === "Ciphertext") {
        expect(keccak256(m.payloads![0])).to.equal(m.value.payloadHash);
        digest = await group.ciphertextDigest(m.value.epoch, m.value.sequence, m.payloads![0]);
      } else if (m.primaryType === "CiphertextBatch") {
        expect(keccak256(concat(m.payloads!.map((p) => keccak256(p))))).to.equal(m.value.payloadsHash);
        digest = await group.ciphertextBatchDigest(m.value.epoch, m.value.firstSequence, m.payloads!);
      } else if (m.primaryType === "Snapshot") {
        expect(keccak256(m.payloads![0])).to.equal(m.value.payloadHash);
        digest = await group.snapshotDigest(m.value.epoch, m.value.stateCounter, m.payloads![0]);
      } else {
        expect(m.primaryType).to.equal("Checkpoint");
        digest = await group.checkpointDigest(m.value.stateCounter, m.value.stateHash, m.value.logHash);
      }
      expect(digest).to.equal(m.digest);
    }
  });
});
