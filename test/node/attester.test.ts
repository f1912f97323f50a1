import { expect } from "chai";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { DevelopmentIas } from "../../src/attestation/devIas";
import { leafDerOf } from "../../src/attestation/roots";
import { IasReportVerifier } from "../../src/attestation/verifier";
import type { EvidenceResult } from "../../src/enclave/protocol";
import { IntelIasAttester, NodeError, SimulationAttester } from "../../src/node";
import { startEnclave, tempDir } from "../enclave/helpers";

/**
 * Evidence -> report. The Intel IAS client is exercised against the development IAS served over HTTP in IAS's
 * exact request/response format (the only allowed stand-in for Intel's service), so the request it builds and
 * the headers it reads are the real protocol's.
 */
describe("Attesters: development IAS (simulation) and the Intel IAS HTTP client", function () {
  this.timeout(60_000);
  const dir = tempDir("anonify-attester-");
  const ias = new DevelopmentIas();
  let evidence: EvidenceResult;
  let server: http.Server;
  let url: string;
  let omitSignature = false;
  const requests: { key?: string; body: any }[] = [];

  before(async function () {
    const enclave = await startEnclave({ dataDir: dir.dir });
    await enclave.init();
    evidence = await enclave.evidence();
    await enclave.close();
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        requests.push({ key: req.headers["ocp-apim-subscription-key"] as string | undefined, body });
        if (req.method !== "POST" || req.url !== "/sgx/attestation/v4/report" || req.headers["ocp-apim-subscription-key"] !== "test-key") {
          res.writeHead(401, { "Request-ID": "r-401" }).end();
          return;
        }
        // IAS attests the quote's first 432 bytes (the body); the EPID signature follows it.
        const quote = Buffer.from(body.isvEnclaveQuote, "base64");
        const signed = ias.signQuote(quote.subarray(0, 432), body.nonce !== undefined ? { nonce: body.nonce } : {});
        const headers: Record<string, string> = { "Content-Type": "application/json", "X-IASReport-Signing-Certificate": signed.certificates.header };
        if (!omitSignature) headers["X-IASReport-Signature"] = signed.signatureBase64;
        res.writeHead(200, headers).end(signed.report);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sgx/attestation/v4/report`;
  });
  after(async function () {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    dir.cleanup();
  });

  /** The enclave's evidence as Gramine would give it in sgx mode: an EPID quote = body ‖ signature. */
  function sgxEvidence(): EvidenceResult {
    const quote = Buffer.concat([Buffer.from(evidence.quote.slice(2), "hex"), Buffer.alloc(680, 7)]);
    return { ...evidence, mode: "sgx", quote: `0x${quote.toString("hex")}` };
  }

  it("POSTs {isvEnclaveQuote, nonce} with the subscription key and returns the signed report, signature and leaf", async function () {
    const attester = new IntelIasAttester({ url, apiKey: "test-key", nonce: "n0nce" });
    const report = await attester.attest(sgxEvidence());
    expect(requests.at(-1)).to.deep.equal({
      key: "test-key",
      body: { isvEnclaveQuote: Buffer.from(sgxEvidence().quote.slice(2), "hex").toString("base64"), nonce: "n0nce" },
    });
    expect(report.keyId).to.equal(ias.keyId);
    expect(Buffer.from(report.signingCertificate!)).to.deep.equal(ias.certificates.leaf);
    const verifier = IasReportVerifier.forAnchor("simulation", {});
    verifier.registerSigningCertificate(leafDerOf("simulation"));
    const verified = verifier.verifyReport(report.keyId, report.report, report.signature);
    expect(verified.reportData).to.equal(evidence.reportData);
    expect(verified.mrenclave).to.equal(evidence.mrenclave);
  });

  it("refuses IAS errors, a missing signature header, the wrong evidence mode and a missing key", async function () {
    const refused = await new IntelIasAttester({ url, apiKey: "wrong" }).attest(sgxEvidence()).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(NodeError).and.include({ code: "attestation_failed" });
    expect((refused as Error).message).to.include("HTTP 401").and.include("r-401");
    omitSignature = true;
    const unsigned = await new IntelIasAttester({ url, apiKey: "test-key" }).attest(sgxEvidence()).catch((e: unknown) => e);
    omitSignature = false;
    expect(unsigned).to.be.instanceOf(NodeError).and.include({ code: "attestation_failed" });
    expect((unsigned as Error).message).to.include("X-IASReport-Signature");
    const simulated = await new IntelIasAttester({ url, apiKey: "test-key" }).attest(evidence).catch((e: unknown) => e);
    expect(simulated).to.be.instanceOf(NodeError).and.include({ code: "attestation_failed" });
    expect(() => new IntelIasAttester({ url, apiKey: "" })).to.throw(NodeError, /apiKey/);
    const devForSgx = await new SimulationAttester().attest(sgxEvidence()).catch((e: unknown) => e);
    expect(devForSgx).to.be.instanceOf(NodeError).and.include({ code: "attestation_failed" });
  });

  it("the development IAS (simulation) signs the enclave's quote body with the given clock", async function () {
    const at = new Date("2030-01-02T03:04:05Z");
    const report = await new SimulationAttester(async () => at).attest(evidence);
    expect(report.keyId).to.equal(ias.keyId);
    expect(Buffer.from(report.report).toString("latin1")).to.include('"timestamp":"2030-01-02T03:04:05.000000"');
  });
});
