import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { vectorDir } from "../helpers/vectors";

// On-chain IAS verification against every real Intel-signed vector, the NEGATIVE and the
// test-CA vectors, Intel-vs-simulation pinning, and gas figures (execution and total).

const REPO = path.resolve(__dirname, "..", "..");
const IAS = vectorDir("ias");
const INTEL_CA = fs.readFileSync(path.join(REPO, "src/attestation/certs/intel_sgx_attestation_report_signing_ca.der"));
const INTEL_LEAF = fs.readFileSync(path.join(REPO, "src/attestation/certs/intel_sgx_attestation_report_signing_leaf.der"));
const SIM_CA = fs.readFileSync(path.join(REPO, "src/attestation/simulation/simulation_ca.der"));
const SIM_LEAF = fs.readFileSync(path.join(REPO, "src/attestation/simulation/simulation_signing.der"));
// Target (docs/attestation-onchain.md): < 90k execution gas with a cached leaf, asserted for every
// vector (since issue 11 also phala's, whose 13 advisory IDs make it the costliest: the JSON scan is
// linear in the number of tokens), and a regression ceiling. RAVe spends ~96k on the rave vector
// (fewer checks).
const EXECUTION_GAS_TARGET = 90_000n;
const EXECUTION_GAS_CEILING = 100_000n;

interface ManifestEntry {
  dir: string;
  timestamp: string;
  version: number | null;
  isvEnclaveQuoteStatus: string;
  mrenclave_off112: string;
  mrsigner_off176: string;
  isv_prod_id_off304: number;
  isv_svn_off306: number;
  report_data_off368: string;
  debug: boolean;
}

const manifest: ManifestEntry[] = JSON.parse(fs.readFileSync(path.join(IAS, "manifest.json"), "utf8"));
const intelVectors = manifest.filter((e) => !e.dir.startsWith("NEGATIVE") && !e.dir.startsWith("SIMULATION"));

function vector(dir: string) {
  return {
    report: fs.readFileSync(path.join(IAS, dir, "report.json")),
    signature: fs.readFileSync(path.join(IAS, dir, "signature.bin")),
  };
}

/** Unix seconds of an IAS timestamp (UTC, fraction dropped). */
function unixSeconds(ts: string): bigint {
  return BigInt(Date.parse(ts.slice(0, 19) + "Z") / 1000);
}

/** Gas of a calldata payload: EIP-2028 standard cost and EIP-7623 floor (Prague/Osaka). */
function calldataGas(data: string): { standard: bigint; floor: bigint } {
  const bytes = ethers.getBytes(data);
  let zero = 0n;
  for (const b of bytes) if (b === 0) zero += 1n;
  const nonZero = BigInt(bytes.length) - zero;
  const tokens = zero + 4n * nonZero;
  return { standard: 4n * tokens, floor: 10n * tokens };
}

/** Sends `data` to `to` as a transaction; returns total gas and execution gas (total - 21000 - calldata). */
async function measure(to: string, data: string): Promise<{ total: bigint; execution: bigint; estimate: bigint }> {
  const [sender] = await ethers.getSigners();
  const estimate = await ethers.provider.estimateGas({ from: sender.address, to, data });
  const receipt = await (await sender.sendTransaction({ to, data })).wait();
  const total = receipt!.gasUsed;
  const { standard, floor } = calldataGas(data);
  if (21_000n + floor >= total) throw new Error("gas is calldata-floor bound; execution gas is not measurable");
  return { total, execution: total - 21_000n - standard, estimate };
}

async function deployVerifier(caDer: Buffer) {
  const [admin] = await ethers.getSigners();
  const factory = await ethers.getContractFactory("IasVerifier");
  const verifier = await factory.deploy(caDer, admin.address, 3 * 24 * 3600);
  await verifier.waitForDeployment();
  return verifier;
}

async function intelFixture() {
  const verifier = await deployVerifier(INTEL_CA);
  const keyId = await verifier.registerSigningCertificate.staticCall(INTEL_LEAF);
  const registration = await measure(
    await verifier.getAddress(),
    verifier.interface.encodeFunctionData("registerSigningCertificate", [INTEL_LEAF]),
  );
  return { verifier, keyId, registration };
}

const gasRows: string[] = [];

describe("IasVerifier: real Intel IAS vectors (contract)", function () {
  after(function () {
    if (gasRows.length > 0) console.log(["      gas (osaka)", ...gasRows.map((r) => "        " + r)].join("\n"));
  });

  it("pins Intel's CA and registers Intel's signing leaf (keyId = keccak256(modulus))", async function () {
    const { verifier, keyId, registration } = await loadFixture(intelFixture);
    const modulusHex = fs.readFileSync(path.join(IAS, "certs", "intel_sgx_attestation_report_signing_leaf_modulus.hex"), "utf8").trim().replace(/^(00)/, "");
    expect(keyId).to.equal(ethers.keccak256("0x" + modulusHex));
    const [notBefore, notAfter, modulus] = await verifier.signingKey(keyId);
    expect(modulus).to.equal("0x" + modulusHex.toLowerCase());
    expect(notBefore).to.equal(unixSeconds("2016-11-22T09:36:58"));
    expect(notAfter).to.equal(unixSeconds("2026-11-20T09:36:58"));
    gasRows.push(
      `registerSigningCertificate (Intel leaf): total ${registration.total}, execution ${registration.execution}, estimateGas ${registration.estimate}`,
    );
  });

  it("emits SigningKeyRegistered and refuses a second registration", async function () {
    const verifier = await deployVerifier(INTEL_CA);
    const keyId = await verifier.registerSigningCertificate.staticCall(INTEL_LEAF);
    await expect(verifier.registerSigningCertificate(INTEL_LEAF))
      .to.emit(verifier, "SigningKeyRegistered")
      .withArgs(keyId, unixSeconds("2016-11-22T09:36:58"), unixSeconds("2026-11-20T09:36:58"));
    await expect(verifier.registerSigningCertificate(INTEL_LEAF))
      .to.be.revertedWithCustomError(verifier, "SigningKeyAlreadyRegistered")
      .withArgs(keyId);
  });

  it(`covers all ${intelVectors.length} Intel-signed vectors of the manifest`, function () {
    expect(intelVectors.length).to.be.greaterThanOrEqual(21);
  });

  for (const entry of intelVectors) {
    it(`verifies ${entry.dir} with the manifest's fields`, async function () {
      const { verifier, keyId } = await loadFixture(intelFixture);
      const { report, signature } = vector(entry.dir);
      const mrenclave = "0x" + entry.mrenclave_off112;
      await verifier.setQuoteStatusAllowed(entry.isvEnclaveQuoteStatus, true);
      await verifier.setDebugAllowed(entry.debug);
      await verifier.setMrenclaveAllowed(mrenclave, true);

      const v = await verifier.verifyReport(keyId, report, signature);
      expect(v.timestamp).to.equal(unixSeconds(entry.timestamp));
      expect(v.version).to.equal(entry.version ?? 2);
      expect(v.statusHash).to.equal(ethers.keccak256(ethers.toUtf8Bytes(entry.isvEnclaveQuoteStatus)));
      expect(v.mrenclave).to.equal(mrenclave);
      expect(v.mrsigner).to.equal("0x" + entry.mrsigner_off176);
      expect(v.isvProdId).to.equal(entry.isv_prod_id_off304);
      expect(v.isvSvn).to.equal(entry.isv_svn_off306);
      expect(v.debug).to.equal(entry.debug);
      expect(v.reportDataLow + v.reportDataHigh.slice(2)).to.equal("0x" + entry.report_data_off368);

      const gas = await measure(
        await verifier.getAddress(),
        verifier.interface.encodeFunctionData("verifyReport", [keyId, report, signature]),
      );
      gasRows.push(
        `verifyReport ${entry.dir} (${report.length} B): total ${gas.total}, execution ${gas.execution}, estimateGas ${gas.estimate}`,
      );
      expect(gas.execution).to.be.lessThan(EXECUTION_GAS_CEILING);
      expect(gas.execution).to.be.lessThan(EXECUTION_GAS_TARGET);
    });
  }

  it("rejects the NEGATIVE vector (bad signature) with ReportSignatureInvalid", async function () {
    const { verifier, keyId } = await loadFixture(intelFixture);
    const { report, signature } = vector("NEGATIVE_lcp_2024-06-15_bad_signature");
    await expect(verifier.verifyReportWithoutPolicy(keyId, report, signature)).to.be.revertedWithCustomError(
      verifier,
      "ReportSignatureInvalid",
    );
  });

  it("rejects the test-CA vector: its signing certificate at registration, its report under Intel's key", async function () {
    const { verifier, keyId } = await loadFixture(intelFixture);
    const dir = "SIMULATION_lcp_2024-06-15_v4_OK_test_ca";
    // LCP's test leaf is an X.509 version-1 certificate (no extensions): refused before its issuer is compared
    // (audit F-9); an Intel-pinned verifier's issuer check is the next test's.
    const testLeaf = fs.readFileSync(path.join(IAS, dir, "simulation_signing.der"));
    await expect(verifier.registerSigningCertificate(testLeaf))
      .to.be.revertedWithCustomError(verifier, "CertificateVersionUnsupported")
      .withArgs(1);
    const { report, signature } = vector(dir);
    await expect(verifier.verifyReportWithoutPolicy(keyId, report, signature)).to.be.revertedWithCustomError(
      verifier,
      "ReportSignatureInvalid",
    );
  });

  it("an Intel-pinned verifier rejects the development-IAS (simulation) signing certificate", async function () {
    const { verifier } = await loadFixture(intelFixture);
    await expect(verifier.registerSigningCertificate(SIM_LEAF)).to.be.revertedWithCustomError(
      verifier,
      "CertificateIssuerMismatch",
    );
  });

  it("a simulation-pinned verifier accepts the simulation leaf and rejects Intel's leaf", async function () {
    const verifier = await deployVerifier(SIM_CA);
    const keyId = await verifier.registerSigningCertificate.staticCall(SIM_LEAF);
    const gas = await measure(
      await verifier.getAddress(),
      verifier.interface.encodeFunctionData("registerSigningCertificate", [SIM_LEAF]),
    );
    gasRows.push(
      `registerSigningCertificate (simulation leaf): total ${gas.total}, execution ${gas.execution}, estimateGas ${gas.estimate}`,
    );
    const [notBefore, notAfter] = await verifier.signingKey(keyId);
    expect(notBefore).to.equal(unixSeconds("2016-11-22T00:00:00"));
    expect(notAfter).to.equal(unixSeconds("2049-12-31T23:59:59"));
    await expect(verifier.registerSigningCertificate(INTEL_LEAF)).to.be.revertedWithCustomError(
      verifier,
      "CertificateIssuerMismatch",
    );
  });

  it("exposes the pinned CA (subject and RSA-3072 modulus) and reports unknown keys as empty", async function () {
    const { verifier } = await loadFixture(intelFixture);
    expect(ethers.getBytes(await verifier.caModulus()).length).to.equal(384);
    const subject = ethers.getBytes(await verifier.caSubject());
    expect(Buffer.from(subject).toString("latin1")).to.contain("Intel SGX Attestation Report Signing CA");
    const [nb, na, modulus] = await verifier.signingKey(ethers.ZeroHash);
    expect([nb, na, modulus]).to.deep.equal([0n, 0n, "0x"]);
  });
});
