/**
 * The third verifier of the differential tests: the enclave's own `attestation_verify`
 * (enclave/src/attestation), driven through one long-lived EnclaveProcess (the release binary the
 * plugin config names). Converts TypeScript verdicts and policies to the enclave's shape so the
 * three can be compared one to one.
 */
import { EnclaveProcess } from "../../src/enclave/EnclaveProcess";
import type { AttestationPolicyParams, AttestationVerifyParams, AttestationVerifyResult, Hex } from "../../src/enclave/protocol";
import { IasVerificationError, type VerificationPolicy, type VerifiedReport } from "../../src/attestation";
import { enclaveBinary } from "../enclave/helpers";

/** Requests in flight at once: the enclave answers in order; this only bounds memory. */
const IN_FLIGHT = 256;

/** The enclave's verdict without what only the enclave reports (advisory ids, messages). */
export type EnclaveVerdict =
  | {
      valid: true;
      identity: { kind: string; mrenclave: string; mrsigner: string; isvProdId: number; isvSvn: number; debug: boolean; reportData: string; status: string; timestamp: number };
    }
  | { valid: false; error: { code: string; args: string[] } };

export function hex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes).toString("hex")}`;
}

/** A TypeScript VerificationPolicy as `attestation_verify` takes it (same defaults). */
export function policyParams(policy: VerificationPolicy): AttestationPolicyParams {
  const p: AttestationPolicyParams = {};
  if (policy.allowedStatuses !== undefined) p.allowedStatuses = [...policy.allowedStatuses];
  if (policy.allowDebug !== undefined) p.allowDebug = policy.allowDebug;
  if (policy.allowedMrenclaves !== undefined) p.allowedMrenclaves = policy.allowedMrenclaves.map((m) => m.toLowerCase() as Hex);
  if (policy.signer !== undefined) p.signer = { ...policy.signer, mrsigner: policy.signer.mrsigner.toLowerCase() as Hex };
  if (policy.maxReportAge !== undefined) p.maxReportAge = policy.maxReportAge.toString();
  return p;
}

/** The verdict the enclave must give for a TypeScript outcome (a verified report or a typed refusal). */
export function expectedEnclaveVerdict(outcome: VerifiedReport | IasVerificationError): EnclaveVerdict {
  if (outcome instanceof IasVerificationError) {
    return { valid: false, error: { code: outcome.code, args: outcome.args.map((a) => (typeof a === "string" ? a : a.toString())) } };
  }
  return {
    valid: true,
    identity: {
      kind: "ias",
      mrenclave: outcome.mrenclave,
      mrsigner: outcome.mrsigner,
      isvProdId: outcome.isvProdId,
      isvSvn: outcome.isvSvn,
      debug: outcome.debug,
      reportData: outcome.reportData,
      status: outcome.status,
      timestamp: Number(outcome.timestamp),
    },
  };
}

/** Runs `fn`; its VerifiedReport, or the IasVerificationError it threw (anything else propagates). */
export function tsVerdict(fn: () => VerifiedReport): VerifiedReport | IasVerificationError {
  try {
    return fn();
  } catch (e) {
    if (e instanceof IasVerificationError) return e;
    throw e;
  }
}

function strip(result: AttestationVerifyResult): EnclaveVerdict {
  if (!result.valid) return { valid: false, error: { code: result.error.code, args: result.error.args } };
  const { advisoryIds: _advisories, ...identity } = result.identity; // eslint-disable-line @typescript-eslint/no-unused-vars
  return { valid: true, identity };
}

/** One enclave process answering `attestation_verify` for a whole test file. */
export class EnclaveIasVerifier {
  private constructor(private readonly enclave: EnclaveProcess) {}

  static async start(): Promise<EnclaveIasVerifier> {
    return new EnclaveIasVerifier(await EnclaveProcess.start({ binary: enclaveBinary(), mode: "simulation" }));
  }

  /** Verdicts for many requests, pipelined (the protocol answers in order). */
  async verdicts(requests: AttestationVerifyParams[]): Promise<EnclaveVerdict[]> {
    return (await this.results(requests)).map(strip);
  }

  /** The enclave's results as they come (messages, advisory ids and DCAP details included). */
  async results(requests: AttestationVerifyParams[]): Promise<AttestationVerifyResult[]> {
    const out: AttestationVerifyResult[] = [];
    for (let i = 0; i < requests.length; i += IN_FLIGHT) {
      const batch = requests.slice(i, i + IN_FLIGHT);
      out.push(...(await Promise.all(batch.map((r) => this.enclave.call("attestation_verify", r, { timeoutMs: 120_000 })))));
    }
    return out;
  }

  async close(): Promise<void> {
    await this.enclave.close();
  }
}
