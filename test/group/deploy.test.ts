import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { concat, hexlify, id, keccak256, randomBytes, sha256 } from "ethers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { DevelopmentIas } from "../../src/attestation/devIas";
import { encodeIasEvidence } from "../../src/attestation/evidence";
import { intelLeafDer, keyIdOfCertificate, simulationLeafDer } from "../../src/attestation/roots";
import { buildAnonifyModule, DEFAULT_ADMIN_TRANSFER_DELAY_SECONDS } from "../../deploy/modules/anonifyModule";
import { vectorDir } from "../helpers/vectors";
import { EnclaveKeys, groupDomain } from "./helpers/enclaveKeys";
import { MRENCLAVE_V1, MRENCLAVE_V2, deployWithModule, join, type GroupFixture } from "./helpers/fixtures";

/** A real Intel-signed report of a production (non-DEBUG) enclave with status SW_HARDENING_NEEDED. */
const RAVE = "rave_2023-02-15_v4_SW_HARDENING_NEEDED";

function intelVector(name: string) {
  const dir = path.join(vectorDir("ias"), name);
  const report = fs.readFileSync(path.join(dir, "report.json"));
  const signature = fs.readFileSync(path.join(dir, "signature.bin"));
  const manifest = JSON.parse(fs.readFileSync(path.join(vectorDir("ias"), "manifest.json"), "utf8")) as Array<Record<string, unknown>>;
  const entry = manifest.find((v) => v.dir === name);
  if (entry === undefined) throw new Error(`vector ${name} missing from manifest.json`);
  return { report, signature, mrenclave: "0x" + String(entry.mrenclave_off112), reportData: "0x" + String(entry.report_data_off368) };
}

describe("Ignition module (deploy/modules)", function () {
  it("deploys the SIMULATION variant: verifier pinned to the development-IAS CA, leaf registered, policy set, group wired", async function () {
    const [deployer, governor] = await ethers.getSigners();
    const { verifier, group } = await deployWithModule(
      { trustAnchor: "simulation", allowedMrenclaves: [MRENCLAVE_V1], allowedStatuses: ["OK", "SW_HARDENING_NEEDED"], debugAllowed: true, maxReportAgeSeconds: 3600 },
      { governor: await governor.getAddress() },
    );
    const ias = new DevelopmentIas();
    const [notBefore, notAfter] = await verifier.signingKey(ias.keyId);
    expect(notBefore).to.be.greaterThan(0n);
    expect(notAfter).to.be.greaterThan(notBefore);
    expect(await verifier.isMrenclaveAllowed(MRENCLAVE_V1)).to.equal(true);
    expect(await verifier.isQuoteStatusAllowed("SW_HARDENING_NEEDED")).to.equal(true);
    expect(await verifier.isQuoteStatusAllowed("GROUP_OUT_OF_DATE")).to.equal(false);
    expect(await group.verifier()).to.equal(await verifier.getAddress());
    expect(await group.owner()).to.equal(await deployer.getAddress());
    expect(await group.hasRole(await group.GOVERNOR_ROLE(), await governor.getAddress())).to.equal(true);
    expect(await group.defaultAdminDelay()).to.equal(BigInt(DEFAULT_ADMIN_TRANSFER_DELAY_SECONDS));

    // Admission (audit F-2): the deployer is the only operator by default, admission closed.
    expect(await group.hasRole(id("OPERATOR_ROLE"), await deployer.getAddress())).to.equal(true);
    expect(await group.openAdmission()).to.deep.equal([false, 0n]);

    // It works end to end: a DEBUG simulation enclave (allowed here) joins through the operator.
    const { chainId } = await ethers.provider.getNetwork();
    const [, , outsider, relayer] = await ethers.getSigners();
    const f: GroupFixture = { verifier, group, ias, domain: groupDomain(chainId, await group.getAddress()), admin: deployer, governor, outsider, relayer };
    await expect(join(f, new EnclaveKeys(), { debug: true, status: "SW_HARDENING_NEEDED", from: deployer })).to.emit(group, "EnclaveJoined");
  });

  it("deploys the Intel variant: Intel's leaf registered; a real Intel report verifies; SIMULATION reports are refused", async function () {
    const rave = intelVector(RAVE);
    const { verifier, group } = await deployWithModule({
      trustAnchor: "intel",
      allowedMrenclaves: [rave.mrenclave],
      allowedStatuses: ["OK", "SW_HARDENING_NEEDED"],
    });
    const intelKeyId = keyIdOfCertificate(intelLeafDer());
    const verified = await verifier.verifyReport(intelKeyId, rave.report, rave.signature);
    expect(verified.mrenclave).to.equal(rave.mrenclave);
    expect(verified.debug).to.equal(false);
    expect(verified.reportDataLow + verified.reportDataHigh.slice(2)).to.equal(rave.reportData);

    // The real report passes the verifier inside join and stops at the REPORTDATA binding (it attests other keys).
    const hpke = hexlify(randomBytes(32));
    const mls = hexlify(randomBytes(32));
    const attested = hexlify(ethers.getBytes(rave.reportData).slice(20, 52));
    await expect(group.join(encodeIasEvidence({ keyId: intelKeyId, report: rave.report, signature: rave.signature }), hpke, mls, "0x01", "0x" + "00".repeat(65)))
      .to.be.revertedWithCustomError(group, "ReportDataKeyHashMismatch")
      .withArgs(attested, sha256(concat([hpke, mls])));

    // The SIMULATION leaf cannot be registered under Intel's CA, so development-IAS reports never verify.
    await expect(verifier.registerSigningCertificate(simulationLeafDer())).to.be.revertedWithCustomError(verifier, "CertificateIssuerMismatch");
    const ias = new DevelopmentIas();
    const enclave = new EnclaveKeys();
    const signed = enclave.attest(ias, { mrenclave: rave.mrenclave });
    await expect(
      group.join(encodeIasEvidence(signed), enclave.hpkePublicKey, enclave.mlsSignatureKey, "0x01", "0x" + "00".repeat(65)),
    )
      .to.be.revertedWithCustomError(verifier, "SigningKeyNotRegistered")
      .withArgs(ias.keyId);
  });

  it("the default module deploys from the project's anonify config and ANONIFY_MRENCLAVES", async function () {
    const saved = process.env.ANONIFY_MRENCLAVES;
    process.env.ANONIFY_MRENCLAVES = `${MRENCLAVE_V1}, ${keccak256("0x02")}`;
    try {
      const modulePath = require.resolve("../../deploy/modules/Anonify");
      delete require.cache[modulePath];
      const defaultModule = (await import("../../deploy/modules/Anonify")).default;
      expect(hre.config.anonify.iasRootCa).to.equal("simulation");
      const deployed = await hre.ignition.deploy(defaultModule);
      const verifier = await ethers.getContractAt("IasVerifier", await deployed.verifier.getAddress());
      expect(await verifier.isMrenclaveAllowed(MRENCLAVE_V1)).to.equal(true);
      expect(await verifier.isMrenclaveAllowed(keccak256("0x02"))).to.equal(true);
      expect((await verifier.signingKey(keyIdOfCertificate(simulationLeafDer())))[0]).to.be.greaterThan(0n);
    } finally {
      if (saved === undefined) delete process.env.ANONIFY_MRENCLAVES;
      else process.env.ANONIFY_MRENCLAVES = saved;
    }
  });

  it("audit F-3: handoverTo hands every role to the new holder and the deployer keeps none", async function () {
    const [deployer, newAdmin, , outsider] = await ethers.getSigners();
    const { verifier, group } = await deployWithModule(
      { trustAnchor: "simulation", allowedMrenclaves: [MRENCLAVE_V1], allowedStatuses: ["OK", "SW_HARDENING_NEEDED"], handoverTo: await newAdmin.getAddress() },
      { adminTransferDelay: 3600 },
    );
    const POLICY = id("POLICY_ROLE");
    const GOVERNOR = id("GOVERNOR_ROLE");
    // The policy was set before the handover.
    expect(await verifier.isMrenclaveAllowed(MRENCLAVE_V1)).to.equal(true);
    expect(await verifier.isQuoteStatusAllowed("SW_HARDENING_NEEDED")).to.equal(true);
    // Group: admin and governor are the new holder; the deployer has no role.
    expect(await group.owner()).to.equal(await newAdmin.getAddress());
    expect(await group.hasRole(GOVERNOR, await newAdmin.getAddress())).to.equal(true);
    expect(await group.hasRole(GOVERNOR, await deployer.getAddress())).to.equal(false);
    // Nor OPERATOR_ROLE (audit F-2): nobody may join until the new admin grants it, which it can at once.
    const OPERATOR = id("OPERATOR_ROLE");
    expect(await group.hasRole(OPERATOR, await deployer.getAddress())).to.equal(false);
    await expect(group.connect(deployer).grantRole(OPERATOR, await deployer.getAddress())).to.be.revertedWithCustomError(group, "AccessControlUnauthorizedAccount");
    await expect(group.connect(newAdmin).grantRole(OPERATOR, await outsider.getAddress())).to.emit(group, "RoleGranted");
    // Verifier: POLICY_ROLE moved; the deployer can no longer change the policy.
    expect(await verifier.hasRole(POLICY, await newAdmin.getAddress())).to.equal(true);
    expect(await verifier.hasRole(POLICY, await deployer.getAddress())).to.equal(false);
    await expect(verifier.connect(deployer).setMrenclaveAllowed(id("attacker-built enclave"), true))
      .to.be.revertedWithCustomError(verifier, "AccessControlUnauthorizedAccount")
      .withArgs(await deployer.getAddress(), POLICY);
    await expect(verifier.connect(deployer).setDebugAllowed(true)).to.be.revertedWithCustomError(verifier, "AccessControlUnauthorizedAccount");
    // The verifier's admin role moves in two steps: pending for the new holder, who accepts after the delay.
    const [pending, schedule] = await verifier.pendingDefaultAdmin();
    expect(pending).to.equal(await newAdmin.getAddress());
    await time.increaseTo(schedule + 1n);
    await verifier.connect(newAdmin).acceptDefaultAdminTransfer();
    expect(await verifier.defaultAdmin()).to.equal(await newAdmin.getAddress());
    expect(await verifier.hasRole(await verifier.DEFAULT_ADMIN_ROLE(), await deployer.getAddress())).to.equal(false);
    // The new holder governs: it sets the policy and revokes; others cannot.
    await expect(verifier.connect(newAdmin).setMrenclaveAllowed(MRENCLAVE_V2, true)).to.emit(verifier, "MrenclaveAllowedSet");
    await expect(verifier.connect(outsider).setMrenclaveAllowed(MRENCLAVE_V2, false)).to.be.revertedWithCustomError(verifier, "AccessControlUnauthorizedAccount");
  });

  it("refuses bad configurations before deploying anything", function () {
    expect(() => buildAnonifyModule({ trustAnchor: "simulation", allowedMrenclaves: ["0x1234"] })).to.throw(/not 32-byte hex/);
    expect(() => buildAnonifyModule({ trustAnchor: "simulation", allowedMrenclaves: [MRENCLAVE_V1, MRENCLAVE_V1] })).to.throw(/duplicates/);
    expect(() => buildAnonifyModule({ trustAnchor: "simulation", allowedMrenclaves: [], allowedStatuses: [] })).to.throw(/must not be empty/);
    expect(() => buildAnonifyModule({ trustAnchor: "simulation", allowedMrenclaves: [], maxReportAgeSeconds: -1 })).to.throw(/non-negative/);
    expect(() => buildAnonifyModule({ trustAnchor: "dcap" as never, allowedMrenclaves: [] })).to.throw(/trustAnchor/);
    expect(() => buildAnonifyModule({ trustAnchor: "simulation", allowedMrenclaves: [], handoverTo: "0x1234" })).to.throw(/handoverTo/);
    expect(() => buildAnonifyModule({ trustAnchor: "simulation", allowedMrenclaves: [], operators: ["0x1234"] })).to.throw(/operators: "0x1234" is not an address/);
    expect(() => buildAnonifyModule({ trustAnchor: "simulation", allowedMrenclaves: [], operators: [ethers.ZeroAddress] })).to.throw(/zero address/);
    const operator = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    expect(() => buildAnonifyModule({ trustAnchor: "simulation", allowedMrenclaves: [], operators: [operator, operator.toLowerCase()] })).to.throw(/duplicates/);
    for (const bad of [-1, 17, 1.5]) {
      expect(() => buildAnonifyModule({ trustAnchor: "simulation", allowedMrenclaves: [], openAdmissionMaxJoinsPerBlock: bad })).to.throw(/openAdmissionMaxJoinsPerBlock/);
    }
  });

  it("audit F-2: operators and open admission are module arguments, granted and set by the constructor", async function () {
    const [deployer, governor, outsider, relayer] = await ethers.getSigners();
    const operators = [await relayer.getAddress(), await outsider.getAddress()];
    const { group } = await deployWithModule(
      { trustAnchor: "simulation", allowedMrenclaves: [MRENCLAVE_V1], operators, openAdmissionMaxJoinsPerBlock: 4 },
      { governor: await governor.getAddress() },
    );
    for (const operator of operators) expect(await group.operatorInfo(operator)).to.deep.equal([true, 0n, 1n]);
    // An explicit list replaces the default: the deployer is not an operator.
    expect(await group.hasRole(id("OPERATOR_ROLE"), await deployer.getAddress())).to.equal(false);
    expect(await group.openAdmission()).to.deep.equal([true, 4n]);
    const opened = await group.queryFilter(group.filters.OpenAdmissionSet());
    expect(opened.map((e) => [e.args.open, e.args.maxJoinsPerBlock])).to.deep.equal([[true, 4n]]);
  });
});
