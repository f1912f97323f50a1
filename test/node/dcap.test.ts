import { expect } from "chai";
import fs from "node:fs";
import { ethers } from "hardhat";
import { AnonifyNode, groupContract, NodeError } from "../../src/node";
import { groupDomain } from "../../src/client/wire";
import { DCAP_VERIFIER_ABI, DcapAttester, dcapGenesisPolicy, quotePlatform, readDcapDeployment } from "../../src/node/dcapAttestation";
import { quoteSigner } from "../../src/node/evidence";
import { DEV_PLATFORM } from "../../src/attestation/dcap/devPki";
import { CommandDriver, convergedStateHashes, deployDcapGroup, enclaveBinary, startNode, tempDir, type TestNode } from "./helpers";

/**
 * Nodes of a DCAP group (simulation): the group's DcapVerifier pins the development PCS's SIMULATION root. The
 * genesis node quotes its enclave with the development QE, upserts the development PCS's collateral into the
 * group's stores and joins with the raw quote; later nodes find the collateral current, and every enclave admits the
 * others' quotes with the collateral the chain held at their joins (src/node/dcapAttestation.ts).
 */
describe("AnonifyNode with DCAP evidence (simulation, development PCS, real enclaves)", function () {
  this.timeout(300_000);
  let deployment: Awaited<ReturnType<typeof deployDcapGroup>>;
  const nodes: TestNode[] = [];

  before(async function () {
    deployment = await deployDcapGroup();
  });
  after(async function () {
    for (const n of nodes) await n.node.stop();
    for (const n of nodes) fs.rmSync(n.dataDir, { recursive: true, force: true });
  });

  const refusedEvidence = (n: TestNode) => n.logger.lines.filter((l) => l.includes("refused the evidence"));

  it("the genesis node upserts the collateral and joins with a development quote; the next finds it current and joins", async function () {
    const group = groupContract(deployment.group, ethers.provider);
    const a = await startNode(deployment, 7);
    nodes.push(a);
    expect(await group.currentEpoch()).to.equal(1n);
    expect(a.logger.lines.some((l) => l.includes("(simulation, DCAP via the development PCS)"))).to.equal(true);
    expect(a.logger.lines.some((l) => l.includes("attested by the development QE and PCS (simulation)"))).to.equal(true);
    for (const item of [`tcbInfo ${DEV_PLATFORM.fmspc}`, "qeIdentity QE", "rootCaCrl root", "pckCrl platform"]) {
      expect(a.logger.lines.some((l) => l.includes(`collateral: ${item} upserted`)), item).to.equal(true);
    }
    // The stores now hold what the verifier judged a's quote with.
    const collateral = new ethers.Contract(deployment.collateral, ["function qeIdentity() view returns ((uint32 tcbEvaluationDataNumber, uint64 issueDate, uint64 nextUpdate, uint16 isvProdId, uint32 miscselect, uint32 miscselectMask, bytes32 mrsigner, bytes16 attributes, bytes16 attributesMask, (uint16 isvSvn, uint8 status, bytes32 advisoryHash)[] levels) v)"], ethers.provider);
    const stored = await collateral.qeIdentity();
    const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
    expect(stored.issueDate <= now && now < stored.nextUpdate).to.equal(true);

    const b = await startNode(deployment, 8);
    nodes.push(b);
    expect(await group.currentEpoch()).to.equal(2n);
    expect(b.logger.lines.some((l) => l.includes("upserted"))).to.equal(false, "the collateral was current: nothing to send");
    for (const n of [a, b]) await n.node.catchUp();
    const [sa, sb] = [a.node.sync.mlsStatus.group, b.node.sync.mlsStatus.group];
    expect(sa?.member && sb?.member).to.equal(true);
    if (sa?.member !== true || sb?.member !== true) return;
    expect([sa.epoch, sb.epoch]).to.deep.equal([1, 1]);
    expect(sa.epochAuthenticator).to.equal(sb.epochAuthenticator);
    for (const n of [a, b]) {
      expect((await group.enclave(n.node.address)).status).to.equal(1n);
      expect(refusedEvidence(n)).to.deep.equal([]);
    }
  });

  it("the group's policy holds the verifier's TCB statuses, and commands converge across the DCAP members", async function () {
    const [a, b] = nodes;
    const own = quoteSigner(await a.node.enclave.evidence());
    const policy = await dcapGenesisPolicy(deployment.verifier, ethers.provider, own);
    expect(policy).to.deep.equal({ allowedStatuses: ["UpToDate"], allowDebug: false, signer: { mrsigner: own.mrsigner, isvProdId: own.isvProdId, minIsvSvn: own.isvSvn }, maxEvidenceAge: "0", collateralGrace: "0", minTcbEvaluationDataNumber: 0 });
    const domain = groupDomain((await ethers.provider.getNetwork()).chainId, deployment.group);
    const [owner, alice] = (await ethers.getSigners()).slice(14, 16);
    const driver = new CommandDriver(domain);
    await driver.command(b, owner, { op: "init", name: "Dcap Token", symbol: "DCP", initialSupply: "1000" });
    await driver.command(a, owner, { op: "transfer", to: await alice.getAddress(), amount: "25" });
    const hashes = await convergedStateHashes(deployment, [a, b]);
    expect(hashes[0]).to.be.a("string");
    expect(hashes[1]).to.equal(hashes[0]);
  });

  it("a late node replays the log: it admits the earlier joins' quotes with the collateral the chain held then", async function () {
    const c = await startNode(deployment, 9);
    nodes.push(c);
    const group = groupContract(deployment.group, ethers.provider);
    expect(await group.currentEpoch()).to.equal(3n);
    const hashes = await convergedStateHashes(deployment, nodes);
    expect(new Set(hashes).size).to.equal(1);
    for (const n of nodes) expect(refusedEvidence(n)).to.deep.equal([]);
  });

  it("refuses a node configured for IAS, and a simulation group under an sgx node", async function () {
    const signers = await ethers.getSigners();
    const dataDir = tempDir();
    const node = new AnonifyNode({ binary: enclaveBinary(), dataDir, signer: signers[10], group: deployment.group, attestation: "ias", http: false });
    const error = await node.start().catch((e: unknown) => e);
    await node.stop().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
    expect(error).to.be.instanceOf(NodeError);
    expect((error as NodeError).code).to.equal("invalid_options");
    expect((error as Error).message).to.contain("admits DCAP quotes").and.contain('set it to "dcap"');
    const sgx = await readDcapDeployment(deployment.verifier, ethers.provider, "sgx").catch((e: unknown) => e);
    expect(sgx).to.be.instanceOf(NodeError);
    expect((sgx as Error).message).to.contain("SIMULATION root");
    const sim = await readDcapDeployment(deployment.verifier, ethers.provider, "simulation");
    expect(sim).to.include({ root: "simulation", collateral: deployment.collateral, crls: deployment.crls });
    const verifier = new ethers.Contract(deployment.verifier, DCAP_VERIFIER_ABI, ethers.provider);
    expect(await verifier.collateralStore()).to.equal(deployment.collateral);
  });

  it("reads the platform from a development quote, and refuses evidence of the other mode", async function () {
    const attester = new DcapAttester("simulation", undefined);
    const evidence = await nodes[0].node.enclave.evidence();
    const quote = attester.quote(evidence);
    expect(quotePlatform(quote)).to.include({ fmspc: DEV_PLATFORM.fmspc, pceId: DEV_PLATFORM.pceId, ca: "platform" });
    expect(() => attester.quote({ ...evidence, mode: "sgx" })).to.throw(NodeError, "a simulation node was handed sgx evidence");
    expect(() => new DcapAttester("sgx", undefined)).to.throw(NodeError, "anonify.dcap.pcsUrl");
    await attester.close();
  });

  it("a group whose verifier has a collateral grace and a minimum tcbEvaluationDataNumber carries both in its MLS policy, and its enclaves enforce them", async function () {
    const [deployer] = await ethers.getSigners();
    const setPolicy = async (d: { verifier: string }, grace: number, minimum: number): Promise<void> => {
      const verifier = new ethers.Contract(d.verifier, ["function setCollateralGrace(uint64 grace)", "function setMinTcbEvaluationDataNumber(uint32 minimum)"], deployer);
      await (await verifier.setCollateralGrace(grace)).wait();
      await (await verifier.setMinTcbEvaluationDataNumber(minimum)).wait();
    };
    // The development PCS signs tcbEvaluationDataNumber 17 (DEFAULT_TCB_EVALUATION_DATA_NUMBER) for TCB Info and QE Identity.
    const graced = await deployDcapGroup();
    await setPolicy(graced, 3600, 17);
    const d = await startNode(graced, 11);
    nodes.push(d);
    const own = quoteSigner(await d.node.enclave.evidence());
    const policy = await dcapGenesisPolicy(graced.verifier, ethers.provider, own);
    expect(policy).to.include({ collateralGrace: "3600", minTcbEvaluationDataNumber: 17 });
    // The genesis GroupContext's AnonifyGroupPolicy: max_age_seconds 0, collateral_grace_seconds 3600, min 17.
    const state = await d.node.enclave.call("mls_public_state", {});
    expect(state.groupInfo.toLowerCase()).to.contain("0000000000000000" + "0000000000000e10" + "00000011");
    expect(d.logger.lines.some((l) => l.includes("accepts collateral up to"))).to.equal(false);

    // Above the collateral's number: the enclave refuses its own leaf at mls_create_group, before any transaction.
    const strict = await deployDcapGroup();
    await setPolicy(strict, 0, 18);
    const signers = await ethers.getSigners();
    const dataDir = tempDir();
    const node = new AnonifyNode({ binary: enclaveBinary(), dataDir, signer: signers[12], group: strict.group, pollIntervalMs: 50, http: false });
    const error = await node.start().catch((e: unknown) => e);
    await node.stop().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
    expect(error).to.be.instanceOf(Error);
    expect((error as Error).message).to.contain("the group's policy refuses its evidence: TcbEvaluationDataNumberTooLow(0, 18, 17)");
  });
});
