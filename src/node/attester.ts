/**
 * Evidence -> IAS report. In simulation the development IAS signs the enclave's quote body (named
 * "simulation" everywhere; a verifier pinned to Intel's CA rejects it). In sgx mode the EPID quote goes to
 * Intel's Attestation Service (`anonify.ias.url` / `apiKey`) and the signed report comes back.
 */
import { DevelopmentIas } from "../attestation/devIas";
import { isStandardBase64, parseSigningCertificateHeader } from "../attestation/encoding";
import { keyIdOfCertificate } from "../attestation/roots";
import type { EvidenceResult } from "../enclave/protocol";
import { NodeError } from "./errors";

export interface AttestationReport {
  /** keccak256 of the signing key's modulus (the verifier's key id). */
  keyId: string;
  /** The exact report bytes IAS signed. */
  report: Uint8Array;
  /** 256-byte RSA signature. */
  signature: Uint8Array;
  /** The report-signing certificate (DER), when the service sent one. */
  signingCertificate?: Uint8Array;
}

export interface Attester {
  readonly name: "simulation" | "intel-ias";
  attest(evidence: EvidenceResult): Promise<AttestationReport>;
}

/** The development IAS (simulation only). `timestamp` lets tests stamp reports with the chain's clock. */
export class SimulationAttester implements Attester {
  readonly name = "simulation" as const;
  private readonly ias = new DevelopmentIas();

  constructor(private readonly clock: () => Promise<Date> = async () => new Date()) {}

  async attest(evidence: EvidenceResult): Promise<AttestationReport> {
    if (evidence.mode !== "simulation") {
      throw new NodeError("attestation_failed", `the development IAS (simulation) refuses ${evidence.mode} evidence`, 503);
    }
    const signed = this.ias.signQuote(Buffer.from(evidence.quote.slice(2), "hex"), { timestamp: await this.clock() });
    return { keyId: signed.keyId, report: signed.report, signature: signed.signature, signingCertificate: signed.certificates.leaf };
  }
}

export interface IntelIasOptions {
  /** Report endpoint, e.g. https://api.trustedservices.intel.com/sgx/attestation/v4/report */
  url: string;
  /** `Ocp-Apim-Subscription-Key`. */
  apiKey: string;
  /** Optional nonce (<= 32 characters) echoed in the report. */
  nonce?: string;
  fetch?: typeof fetch;
}

/**
 * Intel's Attestation Service (EPID, API v4): POST {"isvEnclaveQuote": base64 quote} to the report endpoint;
 * the body is the report, `X-IASReport-Signature` its base64 signature and `X-IASReport-Signing-Certificate` the
 * URL-encoded PEM chain (leaf first). Intel ended EPID attestation in 2025; this path stays for deployments that
 * still reach a compatible service. It cannot run on this machine (no SGX, no network).
 */
export class IntelIasAttester implements Attester {
  readonly name = "intel-ias" as const;

  constructor(private readonly options: IntelIasOptions) {
    if (options.apiKey === undefined || options.apiKey.length === 0) {
      throw new NodeError("invalid_options", "sgx mode needs anonify.ias.apiKey (Intel IAS subscription key)");
    }
  }

  async attest(evidence: EvidenceResult): Promise<AttestationReport> {
    if (evidence.mode !== "sgx") throw new NodeError("attestation_failed", "Intel IAS only attests sgx evidence", 503);
    const body: Record<string, string> = { isvEnclaveQuote: Buffer.from(evidence.quote.slice(2), "hex").toString("base64") };
    if (this.options.nonce !== undefined) body.nonce = this.options.nonce;
    const response = await (this.options.fetch ?? fetch)(this.options.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Ocp-Apim-Subscription-Key": this.options.apiKey },
      body: JSON.stringify(body),
    });
    if (response.status !== 200) {
      throw new NodeError("attestation_failed", `IAS answered HTTP ${response.status} (${response.headers.get("request-id") ?? "no request-id"})`, 503);
    }
    const report = new Uint8Array(await response.arrayBuffer());
    const signatureHeader = response.headers.get("x-iasreport-signature");
    const certificateHeader = response.headers.get("x-iasreport-signing-certificate");
    if (signatureHeader === null || certificateHeader === null) {
      throw new NodeError("attestation_failed", "IAS response lacks X-IASReport-Signature or X-IASReport-Signing-Certificate", 503);
    }
    if (!isStandardBase64(signatureHeader.trim())) throw new NodeError("attestation_failed", "X-IASReport-Signature is not base64", 503);
    const signature = Buffer.from(signatureHeader.trim(), "base64");
    const chain = parseSigningCertificateHeader(certificateHeader);
    return { keyId: keyIdOfCertificate(chain.leaf), report, signature, signingCertificate: chain.leaf };
  }
}
