/**
 * Default Ignition module: `npx hardhat ignition deploy deploy/modules/Anonify.ts --parameters params.json`.
 *
 * Trust anchor, quote statuses, DEBUG and maximum report age come from the project's `anonify` Hardhat config
 * (`iasRootCa`, `policy.*`); the allowed MRENCLAVEs from the environment variable `ANONIFY_MRENCLAVES`
 * (comma-separated 32-byte hex; Ignition parameters cannot be iterated when the module is built). More MRENCLAVEs are
 * allowed later by the verifier's `POLICY_ROLE` (`setMrenclaveAllowed`). The group's operators (the accounts whose
 * joins are accepted) from `ANONIFY_OPERATORS` (comma-separated addresses; unset: the deploying account), open
 * admission from `ANONIFY_OPEN_ADMISSION` (non-operator joins per block; unset: closed), the group's state runtime
 * from `anonify.runtime` (default the confidential token). Ignition parameters: see
 * {@link buildAnonifyModule}.
 */
import hre from "hardhat";
import { buildAnonifyModule } from "./anonifyModule";

function listFromEnvironment(name: string): string[] {
  const raw = process.env[name] ?? "";
  return raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export default buildAnonifyModule({
  trustAnchor: hre.config.anonify.iasRootCa,
  allowedMrenclaves: listFromEnvironment("ANONIFY_MRENCLAVES"),
  operators: process.env.ANONIFY_OPERATORS !== undefined ? listFromEnvironment("ANONIFY_OPERATORS") : undefined,
  openAdmissionMaxJoinsPerBlock: process.env.ANONIFY_OPEN_ADMISSION !== undefined ? Number(process.env.ANONIFY_OPEN_ADMISSION) : undefined,
  allowedStatuses: hre.config.anonify.policy.allowedStatuses,
  debugAllowed: hre.config.anonify.policy.allowDebug,
  maxReportAgeSeconds: hre.config.anonify.policy.maxReportAgeSeconds,
  runtime: hre.config.anonify.runtime,
});
