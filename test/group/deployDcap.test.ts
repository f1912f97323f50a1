/**
 * The DCAP Ignition module (deploy/modules/anonifyDcapModule.ts): collateral stores, DcapVerifier and AnonifyGroup
 * wired to one root. Under the development PCS's SIMULATION root the whole on-chain path runs as on a real machine:
 * collateral upserted from the PCS over HTTP (anonify:collateral's code), then a join with a development quote whose
 * REPORTDATA binds the enclave's keys. Under Intel's root the same quote is refused.
 */
import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { Interface, getBytes, randomBytes } from "ethers";
import { buildAnonifyDcapModule, anonifyDcapModuleId, type AnonifyDcapDeploymentConfig } from "../../deploy/modules/anonifyDcapModule";
import {
  DevelopmentPcs,
  DevelopmentPcsServer,
  DevelopmentQuotingEnclave,
  PcsClient,
  developmentPcsContent,
  pinRoot,
  syncCollateral,
} from "../../src/attestation/dcap";
import { buildSimulationQuoteBody, QUOTE_BODY_LENGTH } from "../../src/attestation/quote";
import { EnclaveKeys, groupDomain } from "./helpers/enclaveKeys";
import { MRENCLAVE_V1, MRENCLAVE_V2 } from "./helpers/fixtures";

const DAY = 86_400;
const REPORT_BODY_OFFSET = 48;
/** A join verifying a new PCK chain costs about 1.2M gas; the automatic estimate is fine, this is a ceiling. */
const JOIN_GAS = 3_000_000;

async function deployDcap(config: AnonifyDcapDeploymentConfig, parameters: Record<string, string | number> = {}) {
  const deployed = await hre.ignition.deploy(buildAnonifyDcapModule(config), { parameters: { [anonifyDcapModuleId(config.root)]: parameters } });
  return {
    collateral: await ethers.getContractAt("DcapCollateral", await deployed.collateral.getAddress()),
    crls: await ethers.getContractAt("DcapCrls", await deployed.crls.getAddress()),
    verifier: await ethers.getContractAt("DcapVerifier", await deployed.verifier.getAddress()),
    group: await ethers.getContractAt("AnonifyGroup", await deployed.group.getAddress()),
  };
}

/** A development quote for `enclave` at `mrenclave`: REPORTDATA = address ‖ SHA-256(keys) ‖ 0. */
function devQuote(enclave: EnclaveKeys, mrenclave: string, debug = false): Uint8Array {
  const body = buildSimulationQuoteBody({ mrenclave: getBytes(mrenclave), reportData: enclave.reportData(), debug });
  expect(body.length).to.equal(QUOTE_BODY_LENGTH);
  return new DevelopmentQuotingEnclave().quote(body.subarray(REPORT_BODY_OFFSET));
}

describe("Ignition module: a DCAP group (DcapCollateral, DcapCrls, DcapVerifier, AnonifyGroup)", function () {
  this.timeout(300_000);
  const pcs = new DevelopmentPcs();
  let server: DevelopmentPcsServer;

  before(async function () {
    const now = await time.latest();
    server = await DevelopmentPcsServer.start({ content: developmentPcsContent(pcs, now - DAY, now + 60 * DAY) });
  });

  after(async function () {
    await server?.close();
  });

  it("deploys the SIMULATION variant wired to one root; with collateral from the development PCS an enclave joins with a development quote", async function () {
    const [deployer] = await ethers.getSigners();
    const d = await deployDcap({ root: "simulation", allowedMrenclaves: [MRENCLAVE_V1] });
    expect(await d.group.verifier()).to.equal(await d.verifier.getAddress());
    expect(await d.verifier.evidenceKind()).to.equal(2n);
    expect(await d.verifier.collateralStore()).to.equal(await d.collateral.getAddress());
    expect(await d.verifier.crlStore()).to.equal(await d.crls.getAddress());
    expect(await d.verifier.isMrenclaveAllowed(MRENCLAVE_V1)).to.equal(true);
    expect(await d.verifier.isMrenclaveAllowed(MRENCLAVE_V2)).to.equal(false);
    expect(await d.group.hasRole(await d.group.OPERATOR_ROLE(), deployer.address)).to.equal(true);

    const enclave = new EnclaveKeys();
    const quote = devQuote(enclave, MRENCLAVE_V1);
    const domain = groupDomain((await ethers.provider.getNetwork()).chainId, await d.group.getAddress());
    const handshake = randomBytes(64);
    const signature = await enclave.signHandshake(domain, await d.group.currentEpoch(), handshake);

    // Empty stores: the verifier has no CRL to check revocation against.
    await expect(d.group.join(quote, enclave.hpkePublicKey, enclave.mlsSignatureKey, handshake, signature, { gasLimit: JOIN_GAS })).to.be.revertedWithCustomError(
      d.crls,
      "CrlNotStored",
    );

    const results = await syncCollateral({
      pcs: new PcsClient({ baseUrl: server.url }),
      collateral: await d.collateral.getAddress(),
      crls: await d.crls.getAddress(),
      signer: deployer,
      root: pinRoot(pcs.rootDer),
      fmspc: "00dec0000001",
    });
    expect(results.map((r) => r.action)).to.deep.equal(["updated", "updated", "updated", "updated"]);

    await expect(d.group.join(quote, enclave.hpkePublicKey, enclave.mlsSignatureKey, handshake, signature, { gasLimit: JOIN_GAS }))
      .to.emit(d.group, "EnclaveJoined")
      .withArgs(enclave.address, MRENCLAVE_V1, 1n, enclave.hpkePublicKey, enclave.mlsSignatureKey);
    expect(await d.group.activeEnclaveCount()).to.equal(1n);

    // A measurement the policy does not list is refused by the verifier, a DEBUG enclave too (the deployer may run
    // more than its default one enclave for this).
    await d.group.setOperatorCap(deployer.address, 4);
    const other = new EnclaveKeys();
    const epoch = await d.group.currentEpoch();
    const otherSignature = await other.signHandshake(domain, epoch, handshake);
    await expect(d.group.join(devQuote(other, MRENCLAVE_V2), other.hpkePublicKey, other.mlsSignatureKey, handshake, otherSignature, { gasLimit: JOIN_GAS }))
      .to.be.revertedWithCustomError(d.verifier, "MrenclaveNotAllowed")
      .withArgs(MRENCLAVE_V2);
    await expect(
      d.group.join(devQuote(other, MRENCLAVE_V1, true), other.hpkePublicKey, other.mlsSignatureKey, handshake, otherSignature, { gasLimit: JOIN_GAS }),
    ).to.be.revertedWithCustomError(d.verifier, "DebugEnclaveNotAllowed");
  });

  it("deploys the Intel variant: the development PKI's quotes never verify under Intel's root", async function () {
    const d = await deployDcap({ root: "intel", allowedMrenclaves: [MRENCLAVE_V1], allowedTcbStatuses: ["UpToDate", "SWHardeningNeeded"] });
    expect(await d.verifier.isTcbStatusAllowed(1)).to.equal(true);
    expect(await d.verifier.isTcbStatusAllowed(4)).to.equal(false);
    const enclave = new EnclaveKeys();
    const domain = groupDomain((await ethers.provider.getNetwork()).chainId, await d.group.getAddress());
    const handshake = randomBytes(64);
    const signature = await enclave.signHandshake(domain, 0n, handshake);
    // The PCK chain is checked by the linked PckChainVerification: its error, role Root (0).
    const library = new Interface((await hre.artifacts.readArtifact("PckChainVerification")).abi);
    const refusal = await d.group
      .join(devQuote(enclave, MRENCLAVE_V1), enclave.hpkePublicKey, enclave.mlsSignatureKey, handshake, signature, { gasLimit: JOIN_GAS })
      .then(
        () => undefined,
        (e: { data?: string }) => library.parseError(e.data!),
      );
    expect(refusal?.name).to.equal("RootCaNotPinned");
    expect(refusal?.args.map(Number)).to.deep.equal([0]);
  });

  it("sets the policy it is given and hands every role over when asked", async function () {
    const [, , , , newAdmin] = await ethers.getSigners();
    const d = await deployDcap({
      root: "simulation",
      allowedMrenclaves: [MRENCLAVE_V1, MRENCLAVE_V2],
      allowedTcbStatuses: ["SWHardeningNeeded"],
      debugAllowed: true,
      collateralGraceSeconds: DAY,
      minTcbEvaluationDataNumber: 17,
      handoverTo: newAdmin.address,
    });
    const policy = await d.verifier.policy();
    expect(policy.debugAllowed).to.equal(true);
    expect(policy.collateralGrace).to.equal(BigInt(DAY));
    expect(policy.minTcbEvaluationDataNumber).to.equal(17n);
    expect(await d.verifier.isTcbStatusAllowed(0)).to.equal(false);
    expect(await d.verifier.isTcbStatusAllowed(1)).to.equal(true);
    const POLICY_ROLE = await d.verifier.POLICY_ROLE();
    expect(await d.verifier.hasRole(POLICY_ROLE, newAdmin.address)).to.equal(true);
    const [deployer] = await ethers.getSigners();
    expect(await d.verifier.hasRole(POLICY_ROLE, deployer.address)).to.equal(false);
    expect((await d.verifier.pendingDefaultAdmin())[0]).to.equal(newAdmin.address);
    expect(await d.group.hasRole(await d.group.DEFAULT_ADMIN_ROLE(), newAdmin.address)).to.equal(true);
    expect(await d.group.hasRole(await d.group.OPERATOR_ROLE(), deployer.address)).to.equal(false);
  });

  it("refuses bad configurations before deploying anything", function () {
    const refuses = (config: Partial<AnonifyDcapDeploymentConfig>, message: string) =>
      expect(() => buildAnonifyDcapModule({ root: "simulation", allowedMrenclaves: [MRENCLAVE_V1], ...config } as AnonifyDcapDeploymentConfig)).to.throw(message);
    refuses({ root: "acme" as never }, 'root must be "intel" or "simulation"');
    refuses({ allowedMrenclaves: ["0x1234"] }, "is not 32-byte hex");
    refuses({ allowedMrenclaves: [MRENCLAVE_V1, MRENCLAVE_V1.toUpperCase().replace("0X", "0x")] }, "allowedMrenclaves holds duplicates");
    refuses({ allowedTcbStatuses: [] }, "allowedTcbStatuses must not be empty");
    refuses({ allowedTcbStatuses: ["Revoked"] }, "Revoked can never be allowed");
    refuses({ allowedTcbStatuses: ["UpToDate", "UpToDate"] }, "allowedTcbStatuses holds duplicates");
    refuses({ allowedTcbStatuses: ["Fine" as never] }, 'unknown TCB status "Fine"');
    refuses({ collateralGraceSeconds: 31 * DAY }, "collateralGraceSeconds must be an integer in 0..2592000");
    refuses({ minTcbEvaluationDataNumber: -1 }, "minTcbEvaluationDataNumber must be a uint32");
    refuses({ handoverTo: "0x12" }, "handoverTo");
    refuses({ operators: ["0x0000000000000000000000000000000000000000"] }, "the zero address cannot be an operator");
    refuses({ openAdmissionMaxJoinsPerBlock: 17 }, "openAdmissionMaxJoinsPerBlock must be an integer in 0..16");
    refuses({ runtime: "Token" }, "runtime:");
  });
});
