import { expect } from "chai";
import { createHash } from "node:crypto";
import fs from "node:fs";
import { computeAddress, getAddress } from "ethers";
import { DevelopmentIas, IasReportVerifier, decodeQuoteBody } from "../../src/attestation";
import { EnclaveError } from "../../src/enclave/EnclaveProcess";
import { PROTOCOL_VERSION } from "../../src/enclave/protocol";
import { enclaveBinary, hexToBytes, startEnclave, tempDir, toHex } from "./helpers";

describe("enclave methods (real binary, simulation)", function () {
  let data: ReturnType<typeof tempDir>;
  beforeEach(() => (data = tempDir()));
  afterEach(() => data.cleanup());

  it("status reports mode, protocol version, measurement and the method table", async function () {
    const enclave = await startEnclave({ dataDir: data.dir });
    try {
      const status = await enclave.status();
      expect(status.mode).to.equal("simulation");
      expect(status.protocolVersion).to.equal(PROTOCOL_VERSION);
      expect(status.initialized).to.equal(false);
      expect(status.methods).to.include.members(["status", "init", "evidence", "seal", "secure_echo", "eip712_hash"]);
      const binaryHash = createHash("sha256").update(fs.readFileSync(enclaveBinary())).digest();
      expect(status.mrenclave).to.equal(toHex(binaryHash));
    } finally {
      await enclave.close();
    }
  });

  it("init creates keys, seals them, and a restart unseals the same identity", async function () {
    const first = await startEnclave({ dataDir: data.dir });
    const created = await first.init();
    expect(created.created).to.equal(true);
    expect(created.dataDir).to.equal(data.dir);
    expect(getAddress(created.address)).to.equal(computeAddress(created.secp256k1PublicKey));
    expect(hexToBytes(created.hpkePublicKey)).to.have.length(32);
    expect(hexToBytes(created.mlsSignatureKey)).to.have.length(32);
    expect(fs.statSync(`${data.dir}/simulation-seal.key`).mode & 0o777).to.equal(0o600);
    expect(fs.existsSync(`${data.dir}/identity.sealed`)).to.equal(true);
    const again = await first.init().catch((e: unknown) => e);
    expect(again).to.be.instanceOf(EnclaveError).and.include({ code: "invalid_state" });
    expect(await first.close()).to.equal(0);

    const second = await startEnclave({ dataDir: data.dir });
    try {
      const unsealed = await second.init();
      expect(unsealed.created).to.equal(false);
      expect(unsealed.address).to.equal(created.address);
      expect(unsealed.hpkePublicKey).to.equal(created.hpkePublicKey);
      expect(unsealed.mlsSignatureKey).to.equal(created.mlsSignatureKey);
      expect((await second.status()).address).to.equal(created.address);
    } finally {
      await second.close();
    }
  });

  it("init takes the data directory from params when the command line has none, and refuses a conflicting one", async function () {
    const free = await startEnclave();
    try {
      const none = await free.init().catch((e: unknown) => e);
      expect(none).to.be.instanceOf(EnclaveError).and.include({ code: "invalid_params" });
      const result = await free.init({ dataDir: data.dir });
      expect(result.dataDir).to.equal(data.dir);
    } finally {
      await free.close();
    }
    const pinned = await startEnclave({ dataDir: data.dir });
    try {
      const conflict = await pinned.init({ dataDir: `${data.dir}/other` }).catch((e: unknown) => e);
      expect(conflict).to.be.instanceOf(EnclaveError).and.include({ code: "invalid_params" });
    } finally {
      await pinned.close();
    }
  });

  it("evidence binds the keys in REPORTDATA and a simulation quote body the development IAS signs and the verifier accepts", async function () {
    const enclave = await startEnclave({ dataDir: data.dir });
    try {
      const before = await enclave.evidence().catch((e: unknown) => e);
      expect(before).to.be.instanceOf(EnclaveError).and.include({ code: "invalid_state" });
      const keys = await enclave.init();
      const evidence = await enclave.evidence();
      expect(evidence.mode).to.equal("simulation");
      const reportData = hexToBytes(evidence.reportData);
      expect(reportData).to.have.length(64);
      expect(toHex(reportData.subarray(0, 20))).to.equal(keys.address);
      const keysHash = createHash("sha256")
        .update(Buffer.concat([hexToBytes(keys.hpkePublicKey), hexToBytes(keys.mlsSignatureKey)]))
        .digest();
      expect(toHex(reportData.subarray(20, 52))).to.equal(toHex(keysHash));
      expect(toHex(reportData.subarray(52))).to.equal(toHex(new Uint8Array(12)));

      // The TypeScript quote decoder (src/attestation) reads the enclave's body the same way.
      const quote = hexToBytes(evidence.quote);
      const body = decodeQuoteBody(quote);
      expect(body.debug).to.equal(false);
      expect(toHex(body.mrenclave)).to.equal(evidence.mrenclave);
      expect(toHex(body.reportData)).to.equal(evidence.reportData);

      // Development IAS -> verifier pinned to the SIMULATION CA, MRENCLAVE allowlisted.
      const ias = new DevelopmentIas();
      const signed = ias.signQuote(quote);
      const verifier = IasReportVerifier.forAnchor("simulation", { allowedMrenclaves: [evidence.mrenclave] });
      verifier.registerSigningCertificate(ias.certificates.leaf);
      const verified = verifier.verifyReport(signed.keyId, signed.report, signed.signature);
      expect(verified.reportData).to.equal(evidence.reportData);
      expect(verified.mrenclave).to.equal(evidence.mrenclave);
    } finally {
      await enclave.close();
    }
  });

  it("seal rewrites the sealed identity atomically", async function () {
    const enclave = await startEnclave({ dataDir: data.dir });
    try {
      const before = await enclave.seal().catch((e: unknown) => e);
      expect(before).to.be.instanceOf(EnclaveError).and.include({ code: "invalid_state" });
      await enclave.init();
      const first = fs.readFileSync(`${data.dir}/identity.sealed`);
      const result = await enclave.seal();
      // The components with sealed state exist from init (they read their blobs then, never later).
      expect(result).to.deep.equal({
        dataDir: data.dir,
        sealed: ["identity", "chain-clock", "membership-evidence", "mls-group", "runtime-state"],
      });
      const second = fs.readFileSync(`${data.dir}/identity.sealed`);
      expect(second.length).to.equal(first.length);
      expect(second.equals(first)).to.equal(false); // fresh nonce, next generation
      // The chain clock and the runtime state are small and rewritten by requests: they live inside the store
      // manifest (one file write per apply), the others in files of their own. The manifest alternates between two
      // slots written in place; a start takes the newest (enclave/include/anonify/enclave/alternating_file.h).
      expect(fs.readdirSync(data.dir).sort()).to.deep.equal([
        "identity.sealed",
        "membership-evidence.sealed",
        "mls-group.sealed",
        "simulation-seal.key",
        "store-manifest.sealed",
        "store-manifest.sealed.b",
      ]);
    } finally {
      await enclave.close();
    }
  });
});
