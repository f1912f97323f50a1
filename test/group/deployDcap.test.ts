/**
 * The DCAP Ignition module (deploy/modules/anonifyDcapModule.ts): collateral stores, DcapVerifier and AnonifyGroup
 * wired to one root. Under the development PCS's SIMULATION root the whole on-chain path runs as on a real machine:
 * collateral upserted from the PCS over HTTP (anonify:collateral's code), then a join with a development quote whose
 * REPORTDATA binds the enclave's keys. Under Intel's root the same quote is refused.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import hre, { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { Interface, getBytes, hexlify, randomBytes } from "ethers";
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
import { dcapRootDer } from "../../src/attestation/dcap/roots";
import { NodeError } from "../../src/node/errors";
import { allowedStatusesFor, deploymentFile, readDeployment, verifyCommands, type DeploymentRecord } from "../../src/node/deployment";
import { EnclaveKeys, groupDomain } from "./helpers/enclaveKeys";
import { MRENCLAVE_V1, MRENCLAVE_V2 } from "./helpers/fixtures";
import { binaryMrenclave, tempDir } from "../node/helpers";
import { expectPluginError } from "../helpers/tasks";

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

/** Silences the task's console output while `fn` runs, returning what it printed. */
async function captured<T>(fn: () => Promise<T>): Promise<{ result: T; output: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    return { result: await fn(), output: lines.join("\n") };
  } finally {
    console.log = log;
  }
}

describe("anonify:deploy --attestation dcap (in-process network)", function () {
  this.timeout(300_000);
  const root = tempDir("anonify-deploy-dcap-");
  const pcs = new DevelopmentPcs();
  let server: DevelopmentPcsServer;
  let record: DeploymentRecord;

  before(async function () {
    const now = await time.latest();
    server = await DevelopmentPcsServer.start({ content: developmentPcsContent(pcs, now - DAY, now + 60 * DAY) });
  });

  after(async function () {
    await server?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("deploys the stores, the DcapVerifier on the SIMULATION root (mode simulation) and the group; records them; a development quote joins once the collateral is upserted", async function () {
    const [deployer] = await ethers.getSigners();
    const dataDir = path.join(root, "dcap");
    const { result, output } = await captured(() => hre.run("anonify:deploy", { attestation: "dcap", dataDir }));
    record = result as DeploymentRecord;
    const mrenclave = await binaryMrenclave();
    expect(record.attestation).to.equal("dcap");
    expect(record.trustAnchor).to.equal("simulation");
    expect(record.mrenclaves).to.deep.equal([mrenclave]);
    expect(record.operators).to.deep.equal([deployer.address]);
    expect(record.admin).to.equal(deployer.address);
    const { chainId } = await ethers.provider.getNetwork();
    expect(readDeployment(dataDir, chainId)).to.deep.equal(record);
    expect(JSON.parse(fs.readFileSync(deploymentFile(dataDir, chainId), "utf8")).attestation).to.equal("dcap");

    const verifier = await ethers.getContractAt("DcapVerifier", record.verifier);
    const collateral = await ethers.getContractAt("DcapCollateral", record.dcapCollateral!);
    const crls = await ethers.getContractAt("DcapCrls", record.dcapCrls!);
    const group = await ethers.getContractAt("AnonifyGroup", record.group);
    expect(await group.verifier()).to.equal(record.verifier);
    expect(await verifier.evidenceKind()).to.equal(2n);
    expect(await verifier.collateralStore()).to.equal(record.dcapCollateral);
    expect(await verifier.crlStore()).to.equal(record.dcapCrls);
    expect(await verifier.isMrenclaveAllowed(mrenclave)).to.equal(true);
    // This project's config is simulation with IAS (statuses ["OK"]): the DCAP group takes the kind's default.
    expect(hre.config.anonify.attestation).to.equal("ias");
    expect(allowedStatusesFor(hre.config.anonify, "dcap")).to.deep.equal(["UpToDate"]);
    expect(await verifier.isTcbStatusAllowed(0)).to.equal(true);
    for (const status of [1, 2, 3, 4, 5, 6]) expect(await verifier.isTcbStatusAllowed(status), `status ${status}`).to.equal(false);
    expect((await verifier.policy()).debugAllowed).to.equal(false);
    expect(await verifier.pinnedRootHash()).to.equal(ethers.keccak256(dcapRootDer("simulation")));
    for (const library of ["TcbInfo", "QeIdentity", "PckChainVerification"] as const) {
      expect(await ethers.provider.getCode(record.dcapLibraries![library]), library).to.not.equal("0x");
    }
    const rootDer = hexlify(dcapRootDer("simulation"));
    expect(record.constructorArgs).to.deep.equal({
      verifier: [rootDer, record.dcapCollateral, record.dcapCrls, deployer.address, 2 * DAY],
      group: [record.verifier, deployer.address, 2 * DAY, deployer.address, [deployer.address], 0, record.runtime],
      collateral: [rootDer],
      crls: [rootDer],
    });
    expect(output).to.include("evidence: DCAP quotes, trust anchor: simulation (development PCS root");
    expect(output).to.include(`DcapVerifier  ${record.verifier}`);
    expect(output).to.include(`collateral    ${record.dcapCollateral}`).and.include(`CRLs          ${record.dcapCrls}`);
    expect(output).to.include("TCB statuses  UpToDate");
    expect(output).to.include(`npx hardhat anonify:collateral --collateral ${record.dcapCollateral} --crls ${record.dcapCrls}`);

    // What the printout tells the user to do, then a join with a development quote of the built binary's MRENCLAVE.
    const enclave = new EnclaveKeys();
    const quote = devQuote(enclave, mrenclave);
    const domain = groupDomain(chainId, record.group);
    const handshake = randomBytes(64);
    const signature = await enclave.signHandshake(domain, await group.currentEpoch(), handshake);
    await expect(group.join(quote, enclave.hpkePublicKey, enclave.mlsSignatureKey, handshake, signature, { gasLimit: JOIN_GAS })).to.be.revertedWithCustomError(
      crls,
      "CrlNotStored",
    );
    const results = await syncCollateral({
      pcs: new PcsClient({ baseUrl: server.url }),
      collateral: await collateral.getAddress(),
      crls: await crls.getAddress(),
      signer: deployer,
      root: pinRoot(pcs.rootDer),
      fmspc: "00dec0000001",
    });
    expect(results.map((r) => r.action)).to.deep.equal(["updated", "updated", "updated", "updated"]);
    await expect(group.join(quote, enclave.hpkePublicKey, enclave.mlsSignatureKey, handshake, signature, { gasLimit: JOIN_GAS }))
      .to.emit(group, "EnclaveJoined")
      .withArgs(enclave.address, mrenclave, 1n, enclave.hpkePublicKey, enclave.mlsSignatureKey);
  });

  it("prints the explorer verification of every DCAP contract, the linked ones with a --libraries file", function () {
    const dir = path.join(root, "verify");
    fs.mkdirSync(dir, { recursive: true });
    const { commands, librariesFiles } = verifyCommands({ ...record, network: "sepolia" }, dir);
    const libs = record.dcapLibraries!;
    const rootDer = hexlify(dcapRootDer("simulation"));
    const [collateralFile, verifierFile] = librariesFiles!;
    const { constructorArgs: args } = record;
    expect(commands).to.deep.equal([
      `npx hardhat verify --network sepolia ${libs.TcbInfo}`,
      `npx hardhat verify --network sepolia ${libs.QeIdentity}`,
      `npx hardhat verify --network sepolia ${libs.PckChainVerification}`,
      `npx hardhat verify --network sepolia --libraries ${collateralFile} ${record.dcapCollateral} ${rootDer}`,
      `npx hardhat verify --network sepolia ${record.dcapCrls} ${rootDer}`,
      `npx hardhat verify --network sepolia --libraries ${verifierFile} ${record.verifier} ${args!.verifier.join(" ")}`,
      `npx hardhat verify --network sepolia --constructor-args ${path.join(dir, `verify-args-${record.chainId}-AnonifyGroup.js`)} ${record.group}`,
    ]);
    // The files are the modules hardhat-verify loads.
    /* eslint-disable @typescript-eslint/no-require-imports */
    expect(require(collateralFile)).to.deep.equal({ TcbInfo: libs.TcbInfo, QeIdentity: libs.QeIdentity });
    expect(require(verifierFile)).to.deep.equal({ PckChainVerification: libs.PckChainVerification });
    expect(require(path.join(dir, `verify-args-${record.chainId}-AnonifyGroup.js`))).to.deep.equal(args!.group);
    /* eslint-enable @typescript-eslint/no-require-imports */
  });

  it("hands every role over with --admin and grants --operators, as the IAS path does", async function () {
    const signers = await ethers.getSigners();
    const [deployer, , , , , newAdmin] = signers;
    const operators = [signers[6].address, signers[7].address];
    const { result } = await captured(() =>
      hre.run("anonify:deploy", { attestation: "dcap", dataDir: path.join(root, "handover"), admin: newAdmin.address, operators: operators.join(","), openAdmission: 2 }),
    );
    const handed = result as DeploymentRecord;
    expect(handed.admin).to.equal(newAdmin.address);
    expect(handed.pendingVerifierAdmin).to.equal(newAdmin.address);
    const verifier = await ethers.getContractAt("DcapVerifier", handed.verifier);
    const group = await ethers.getContractAt("AnonifyGroup", handed.group);
    const POLICY_ROLE = await verifier.POLICY_ROLE();
    expect(await verifier.hasRole(POLICY_ROLE, newAdmin.address)).to.equal(true);
    expect(await verifier.hasRole(POLICY_ROLE, deployer.address)).to.equal(false);
    expect((await verifier.pendingDefaultAdmin())[0]).to.equal(newAdmin.address);
    expect(await group.hasRole(await group.DEFAULT_ADMIN_ROLE(), newAdmin.address)).to.equal(true);
    for (const operator of operators) expect(await group.hasRole(await group.OPERATOR_ROLE(), operator)).to.equal(true);
    expect(await group.hasRole(await group.OPERATOR_ROLE(), deployer.address)).to.equal(false);
    expect(await group.openAdmission()).to.deep.equal([true, 2n]);
  });

  it("sgx mode: Intel's SGX Root CA, the configured TCB statuses and DEBUG setting (anonify.attestation dcap by default)", async function () {
    // The config of an sgx project (resolved as src/config.ts does), in force for this one deployment.
    const saved = hre.config.anonify;
    hre.config.anonify = { ...saved, mode: "sgx", iasRootCa: "intel", attestation: "dcap", policy: { allowedStatuses: ["UpToDate", "SWHardeningNeeded"], allowDebug: true, maxReportAgeSeconds: DAY } };
    let sgx: DeploymentRecord;
    let output: string;
    try {
      // No --attestation: the configured kind; sgx needs the measurement named.
      const refused = await hre.run("anonify:deploy", { dataDir: path.join(root, "sgx") }).catch((e: unknown) => e);
      expect(expectPluginError(refused, "invalid_options", NodeError).message).to.include("sgx deployments need --mrenclave");
      const deployed = await captured(() => hre.run("anonify:deploy", { dataDir: path.join(root, "sgx"), mrenclave: MRENCLAVE_V2 }));
      sgx = deployed.result as DeploymentRecord;
      output = deployed.output;
    } finally {
      hre.config.anonify = saved;
    }
    expect(sgx.attestation).to.equal("dcap");
    expect(sgx.trustAnchor).to.equal("intel");
    expect(output).to.include("trust anchor: Intel SGX Root CA").and.include("TCB statuses  UpToDate, SWHardeningNeeded  (DEBUG enclaves allowed)");
    expect(output).to.include(`anonify:collateral --collateral ${sgx.dcapCollateral} --crls ${sgx.dcapCrls} --fmspc <your platform's>`);
    expect(sgx.mrenclaves).to.deep.equal([MRENCLAVE_V2.toLowerCase()]);
    expect(sgx.constructorArgs!.crls).to.deep.equal([hexlify(dcapRootDer("intel"))]);
    const verifier = await ethers.getContractAt("DcapVerifier", sgx.verifier);
    expect(await verifier.isTcbStatusAllowed(0)).to.equal(true);
    expect(await verifier.isTcbStatusAllowed(1)).to.equal(true);
    expect(await verifier.isTcbStatusAllowed(2)).to.equal(false);
    expect((await verifier.policy()).debugAllowed).to.equal(true);
    expect(await verifier.isMrenclaveAllowed(MRENCLAVE_V2)).to.equal(true);
    // The verifier pins Intel's root (the development PKI's quotes never verify under it: the Intel variant above).
    expect(await verifier.pinnedRootHash()).to.equal(ethers.keccak256(dcapRootDer("intel")));
  });

  it("refuses a bad --attestation before deploying anything, naming the flag", async function () {
    for (const task of ["anonify:deploy", { scope: "anonify", task: "deploy" }]) {
      const error = await hre.run(task, { attestation: "epid", dataDir: path.join(root, "bad") }).catch((e: unknown) => e);
      expect(expectPluginError(error, "invalid_options", NodeError).message).to.include('--attestation must be "dcap" or "ias", got "epid"');
    }
    expect(fs.existsSync(path.join(root, "bad"))).to.equal(false);
  });

  it("--attestation ias is the IAS path as before: IasVerifier, the record says ias, two verify commands", async function () {
    const dataDir = path.join(root, "ias");
    const { result, output } = await captured(() => hre.run("anonify:deploy", { attestation: "ias", dataDir }));
    const ias = result as DeploymentRecord;
    expect(ias.attestation).to.equal("ias");
    expect(ias.trustAnchor).to.equal("simulation");
    expect(ias).to.not.have.any.keys("dcapCollateral", "dcapCrls", "dcapLibraries");
    const verifier = await ethers.getContractAt("IasVerifier", ias.verifier);
    expect(await verifier.evidenceKind()).to.equal(1n);
    expect(await verifier.isQuoteStatusAllowed("OK")).to.equal(true);
    expect(output).to.include(`IasVerifier   ${ias.verifier}`).and.not.include("anonify:collateral");
    const { commands } = verifyCommands({ ...ias, network: "sepolia" }, dataDir);
    expect(commands).to.have.length(2);
    expect(commands[0]).to.equal(`npx hardhat verify --network sepolia ${ias.verifier} ${ias.constructorArgs!.verifier.join(" ")}`);
  });

  it("reads a record written before DCAP deployments as an IAS one, and refuses an unknown evidence kind", function () {
    const dir = path.join(root, "old");
    fs.mkdirSync(dir, { recursive: true });
    const { attestation: _attestation, ...old } = record;
    fs.writeFileSync(deploymentFile(dir, 7n), JSON.stringify({ ...old, chainId: "7" }));
    expect(readDeployment(dir, 7n)?.attestation).to.equal("ias");
    fs.writeFileSync(deploymentFile(dir, 8n), JSON.stringify({ ...old, chainId: "8", attestation: "epid" }));
    expect(() => readDeployment(dir, 8n)).to.throw(NodeError, 'unknown evidence kind "epid"');
  });

  it("takes the configured statuses when the configured kind is the one deployed, else the kind's default", function () {
    const dcapConfig = { attestation: "dcap" as const, policy: { ...hre.config.anonify.policy, allowedStatuses: ["UpToDate", "SWHardeningNeeded"] } };
    expect(allowedStatusesFor(dcapConfig, "dcap")).to.deep.equal(["UpToDate", "SWHardeningNeeded"]);
    expect(allowedStatusesFor(dcapConfig, "ias")).to.deep.equal(["OK"]);
    expect(allowedStatusesFor(hre.config.anonify, "ias")).to.deep.equal(hre.config.anonify.policy.allowedStatuses);
  });
});
