/**
 * The client's chain check of a node's enclave, against a real AnonifyGroup deployed with the project's Ignition
 * module and enclaves joined with development-IAS (SIMULATION) reports, and the SDK's argument and transport errors.
 */
import { expect } from "chai";
import net from "node:net";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet, hexlify, randomBytes } from "ethers";
import {
  AnonifyClient,
  ClientArgumentError,
  EnclaveNotTrustedError,
  NodeHttpClient,
  NodeRequestError,
  checkCheckpointAgreement,
  checkEnclaveTrust,
  checkJoinReportData,
  reportDataProblem,
  type NodeEnclaveInfo,
} from "../../src/client";
import { MRENCLAVE_V1, joinedEnclave, simulationGroupFixture } from "../group/helpers/fixtures";
import { EnclaveKeys } from "../group/helpers/enclaveKeys";
import { checkpointArguments } from "../group/helpers/logHash";

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail("expected a rejection"),
    (error: unknown) => error,
  );
}

/** A loopback port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("client: enclave trust check against the roster", function () {
  async function fixture() {
    const f = await simulationGroupFixture();
    const first = await joinedEnclave(f);
    const second = await joinedEnclave(f);
    return { f, first, second };
  }

  function infoOf(enclave: EnclaveKeys, group: string): NodeEnclaveInfo {
    return {
      address: enclave.address.toLowerCase() as `0x${string}`,
      hpkePublicKey: enclave.hpkePublicKey as `0x${string}`,
      mlsSignatureKey: enclave.mlsSignatureKey as `0x${string}`,
      mrenclave: MRENCLAVE_V1 as `0x${string}`,
      mode: "simulation",
      group: group.toLowerCase() as `0x${string}`,
    };
  }

  async function distrust(group: string, info: unknown): Promise<EnclaveNotTrustedError> {
    const error = await rejection(checkEnclaveTrust(ethers.provider, group, info));
    expect(error).to.be.instanceOf(EnclaveNotTrustedError);
    expect((error as EnclaveNotTrustedError).code).to.equal("enclave_not_trusted");
    return error as EnclaveNotTrustedError;
  }

  it("trusts an active enclave whose keys and MRENCLAVE equal the roster's", async function () {
    const { f, first } = await loadFixture(fixture);
    const group = await f.group.getAddress();
    const trusted = await checkEnclaveTrust(ethers.provider, group, infoOf(first, group));
    expect(trusted).to.deep.include({
      address: first.address.toLowerCase(),
      hpkePublicKey: first.hpkePublicKey,
      mlsSignatureKey: first.mlsSignatureKey,
      mrenclave: MRENCLAVE_V1,
      group: group.toLowerCase(),
      joinedAtEpoch: 1n,
    });
  });

  it("refuses another enclave's HPKE key, a wrong MLS key, a wrong MRENCLAVE, another group, malformed answers", async function () {
    const { f, first, second } = await loadFixture(fixture);
    const group = await f.group.getAddress();
    // A host that swaps in a key it controls (here: the other enclave's, or a random one) is caught.
    expect((await distrust(group, { ...infoOf(first, group), hpkePublicKey: second.hpkePublicKey })).reason).to.equal("hpke_key_mismatch");
    expect((await distrust(group, { ...infoOf(first, group), hpkePublicKey: hexlify(randomBytes(32)) })).reason).to.equal("hpke_key_mismatch");
    expect((await distrust(group, { ...infoOf(first, group), mlsSignatureKey: second.mlsSignatureKey })).reason).to.equal("mls_key_mismatch");
    expect((await distrust(group, { ...infoOf(first, group), mrenclave: hexlify(randomBytes(32)) })).reason).to.equal("mrenclave_mismatch");
    const other = Wallet.createRandom().address;
    expect((await distrust(group, infoOf(first, other))).reason).to.equal("group_mismatch");
    expect((await distrust(other, infoOf(first, group))).reason).to.equal("group_mismatch");
    for (const bad of [null, "x", {}, { ...infoOf(first, group), address: "0x12" }, { ...infoOf(first, group), hpkePublicKey: "0x1234" }]) {
      expect((await distrust(group, bad)).reason).to.equal("malformed_enclave_info");
    }
  });

  it("checkpoints: agreement at the enclave's latest counter passes, a divergent active enclave is refused, the quorum is enforced", async function () {
    const { f, first, second } = await loadFixture(fixture);
    const third = await joinedEnclave(f);
    const group = await f.group.getAddress();
    const trusted = await checkEnclaveTrust(ethers.provider, group, infoOf(first, group));
    // No checkpoint yet: passes with quorum 0 only.
    expect((await checkCheckpointAgreement(ethers.provider, trusted)).stateCounter).to.equal(0n);
    expect(await rejection(checkCheckpointAgreement(ethers.provider, trusted, { quorum: 1 }))).to.include({ reason: "checkpoint_quorum" });
    // Two log entries, so checkpoints at 1 and 2 are not ahead of the log.
    const epoch = BigInt(await f.group.currentEpoch());
    for (let i = 0; i < 2; i++) {
      const ciphertext = randomBytes(64);
      const sequence = BigInt(i); // first's posts 0 and 1 of the epoch
      await (await f.group.connect(f.relayer).postCiphertext(epoch, sequence, ciphertext, await first.signCiphertext(f.domain, epoch, ciphertext, sequence))).wait();
    }
    const post = async (enclave: EnclaveKeys, counter: bigint, hash: string) =>
      (await f.group.connect(f.relayer).postCheckpoint(...(await checkpointArguments(f.group, f.domain, enclave, counter, hash)))).wait();
    const good = hexlify(randomBytes(32));
    const forked = hexlify(randomBytes(32));
    await post(first, 2n, good);
    await post(second, 2n, good);
    await post(third, 1n, forked); // another counter: not compared
    const agreed = await checkCheckpointAgreement(ethers.provider, trusted, { quorum: 1 });
    expect(agreed.stateCounter).to.equal(2n);
    expect(agreed.agreeing).to.deep.equal([second.address.toLowerCase()]);
    expect(await rejection(checkCheckpointAgreement(ethers.provider, trusted, { quorum: 2 }))).to.include({ reason: "checkpoint_quorum" });
    // The third enclave signs another state at counter 2: the node's enclave is refused.
    await post(third, 2n, forked);
    const divergence = await rejection(checkCheckpointAgreement(ethers.provider, trusted));
    expect(divergence).to.be.instanceOf(EnclaveNotTrustedError).and.include({ reason: "checkpoint_divergence", code: "enclave_not_trusted" });
    // A revoked enclave's checkpoint no longer counts.
    await (await f.group.connect(f.governor).revokeEnclave(third.address)).wait();
    expect((await checkCheckpointAgreement(ethers.provider, trusted, { quorum: 1 })).agreeing).to.have.length(1);
  });

  it("refuses an unregistered enclave, a revoked one, and one whose MRENCLAVE was disallowed", async function () {
    const { f, first, second } = await loadFixture(fixture);
    const group = await f.group.getAddress();
    const stranger = { ...infoOf(first, group), address: Wallet.createRandom().address.toLowerCase() };
    const unregistered = await distrust(group, stranger);
    expect(unregistered.reason).to.equal("not_registered");
    expect(unregistered.enclaveAddress).to.equal(stranger.address);

    await (await f.group.connect(f.governor).revokeEnclave(second.address)).wait();
    expect((await distrust(group, infoOf(second, group))).reason).to.equal("revoked");
    // The roster answer is per block: before the revocation the same enclave was trusted.
    const revokedAt = await ethers.provider.getBlockNumber();
    await checkEnclaveTrust(ethers.provider, group, infoOf(second, group), { blockTag: revokedAt - 1 });

    await (await f.verifier.connect(f.admin).setMrenclaveAllowed(MRENCLAVE_V1, false)).wait();
    expect((await distrust(group, infoOf(first, group))).reason).to.equal("mrenclave_disallowed");
  });
});

describe("client: the join's REPORTDATA re-read from the chain", function () {
  async function fixture() {
    const f = await simulationGroupFixture();
    const first = await joinedEnclave(f);
    const second = await joinedEnclave(f);
    const group = await f.group.getAddress();
    const trusted = async (e: EnclaveKeys) =>
      checkEnclaveTrust(ethers.provider, group, {
        address: e.address,
        hpkePublicKey: e.hpkePublicKey,
        mlsSignatureKey: e.mlsSignatureKey,
        mrenclave: MRENCLAVE_V1,
        mode: "simulation",
        group,
      });
    return { f, first, second, group, trusted };
  }

  it("a joined enclave's report names its address and binds its keys", async function () {
    const { first, second, trusted } = await loadFixture(fixture);
    await checkJoinReportData(ethers.provider, await trusted(first));
    await checkJoinReportData(ethers.provider, await trusted(second));
  });

  it("other keys, another MRENCLAVE or an address without a join are refused", async function () {
    const { first, second, trusted } = await loadFixture(fixture);
    const real = await trusted(first);
    const cases: Array<[typeof real, string]> = [
      [{ ...real, hpkePublicKey: second.hpkePublicKey as `0x${string}` }, "report_data_mismatch"],
      [{ ...real, mlsSignatureKey: second.mlsSignatureKey as `0x${string}` }, "report_data_mismatch"],
      [{ ...real, mrenclave: hexlify(randomBytes(32)) as `0x${string}` }, "report_data_mismatch"],
      [{ ...real, address: Wallet.createRandom().address.toLowerCase() as `0x${string}` }, "join_report_unavailable"],
    ];
    for (const [enclave, reason] of cases) {
      const error = await rejection(checkJoinReportData(ethers.provider, enclave));
      expect(error).to.be.instanceOf(EnclaveNotTrustedError).and.include({ reason });
    }
  });

  it("reportDataProblem names each way 64 bytes can fail to attest an address and keys", function () {
    const enclave = new EnclaveKeys();
    const good = enclave.reportData();
    expect(reportDataProblem(good, enclave.address, enclave.hpkePublicKey, enclave.mlsSignatureKey)).to.equal(undefined);
    expect(reportDataProblem(good.slice(0, 63), enclave.address, enclave.hpkePublicKey, enclave.mlsSignatureKey)).to.match(/63 bytes/);
    expect(reportDataProblem(good, Wallet.createRandom().address, enclave.hpkePublicKey, enclave.mlsSignatureKey)).to.match(/names/);
    expect(reportDataProblem(good, enclave.address, enclave.mlsSignatureKey, enclave.hpkePublicKey)).to.match(/binds keys hash/);
    const tail = Uint8Array.from(good);
    tail[63] = 1;
    expect(reportDataProblem(tail, enclave.address, enclave.hpkePublicKey, enclave.mlsSignatureKey)).to.match(/reserved tail/);
  });
});

describe("client: arguments and transport errors", function () {
  it("refuses a bad group, a signer without provider, a bad node URL", function () {
    const signer = Wallet.createRandom();
    expect(() => new AnonifyClient({ nodeUrl: "http://127.0.0.1:1", signer, group: "0x1234", provider: ethers.provider })).to.throw(ClientArgumentError);
    expect(() => new AnonifyClient({ nodeUrl: "http://127.0.0.1:1", signer, group: signer.address })).to.throw(ClientArgumentError, /provider/);
    for (const url of ["not a url", "ftp://127.0.0.1/"]) {
      try {
        new NodeHttpClient(url);
        expect.fail("expected NodeRequestError");
      } catch (error) {
        expect(error).to.be.instanceOf(NodeRequestError).and.include({ code: "node_url_invalid" });
      }
    }
  });

  it("a node that does not answer is NodeRequestError node_unreachable, and nothing is sealed", async function () {
    const port = await closedPort();
    const client = new AnonifyClient({ nodeUrl: `http://127.0.0.1:${port}`, signer: Wallet.createRandom(), group: Wallet.createRandom().address, provider: ethers.provider });
    const error = await rejection(client.transfer(Wallet.createRandom().address, 1n));
    expect(error).to.be.instanceOf(NodeRequestError).and.include({ code: "node_unreachable", status: 0, method: "GET", path: "/enclave" });
    const read = await rejection(client.balanceOf());
    expect(read).to.be.instanceOf(NodeRequestError).and.include({ code: "node_unreachable" });
    const stream = await rejection(client.subscribe());
    expect(stream).to.be.instanceOf(NodeRequestError).and.include({ code: "node_unreachable" });
  });
});
