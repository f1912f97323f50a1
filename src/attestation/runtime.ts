/**
 * `hre.anonify.attestation`: the attestation tools bound to the project's `anonify` config (trust
 * anchor and policy), so scripts and tasks do not repeat them.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { AnonifyPluginError } from "../errors";
import { DevelopmentIas } from "./devIas";
import { deployIasVerifier, type IasVerifierContract } from "./onchain";
import { keyIdOfCertificate, leafDerOf, type TrustAnchor } from "./roots";
import { IasReportVerifier, type VerificationPolicy, type VerifiedReport } from "./verifier";

export class AttestationRuntime {
  constructor(private readonly hre: HardhatRuntimeEnvironment) {}

  /** The CA this project pins: `anonify.iasRootCa`. */
  get trustAnchor(): TrustAnchor {
    return this.hre.config.anonify.iasRootCa;
  }

  /** `anonify.policy` as a verification policy (no MRENCLAVE check: that list is per deployment). */
  get policy(): VerificationPolicy {
    const p = this.hre.config.anonify.policy;
    return { allowedStatuses: [...p.allowedStatuses], allowDebug: p.allowDebug, maxReportAge: p.maxReportAgeSeconds };
  }

  /** A TypeScript verifier pinned to the project's CA with that CA's known leaf registered. */
  verifier(policy: VerificationPolicy = this.policy): IasReportVerifier {
    const verifier = IasReportVerifier.forAnchor(this.trustAnchor, policy);
    verifier.registerSigningCertificate(leafDerOf(this.trustAnchor));
    return verifier;
  }

  /**
   * Verifies a report under the project's CA and policy (plus `allowedMrenclaves` when given).
   * `now` (unix seconds) is required only when the policy sets a maximum report age.
   */
  verifyReport(report: Uint8Array, signature: Uint8Array, options: { allowedMrenclaves?: string[]; now?: bigint } = {}): VerifiedReport {
    const verifier = this.verifier({ ...this.policy, allowedMrenclaves: options.allowedMrenclaves });
    return verifier.verifyReport(keyIdOfCertificate(leafDerOf(this.trustAnchor)), report, signature, options.now);
  }

  /** The development IAS. Refused in `sgx` mode, where only Intel's service may attest. */
  developmentIas(): DevelopmentIas {
    if (this.hre.config.anonify.mode === "sgx") {
      throw new AnonifyPluginError('the development IAS (simulation) is not available in mode "sgx"');
    }
    return new DevelopmentIas();
  }

  /** Deploys an `IasVerifier` pinned to the project's CA with `policy` (default: the config's). */
  deployVerifier(policy: VerificationPolicy = this.policy): Promise<IasVerifierContract> {
    return deployIasVerifier(this.hre, this.trustAnchor, policy);
  }
}
