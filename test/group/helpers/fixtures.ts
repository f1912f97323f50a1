/**
 * Deployments for the group tests, made with the project's own Ignition module on the in-process network, and
 * helpers to join enclaves with development-IAS (SIMULATION) reports.
 */
import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { hexlify, randomBytes, sha256, toUtf8Bytes, type Result, type Signer, type TypedDataDomain } from "ethers";
import { DevelopmentIas } from "../../../src/attestation/devIas";
import { encodeIasEvidence } from "../../../src/attestation/evidence";
import { buildAnonifyModule, anonifyModuleId, type AnonifyDeploymentConfig } from "../../../deploy/modules/anonifyModule";
import type { AnonifyGroup, IasVerifier } from "../../../typechain-types";
import { EnclaveKeys, groupDomain, type AttestOptions } from "./enclaveKeys";

/** Measurements of two builds of the enclave; v1 is allowed by the default fixture, v2 is not. */
export const MRENCLAVE_V1 = sha256(toUtf8Bytes("anonify-enclave test build v1"));
export const MRENCLAVE_V2 = sha256(toUtf8Bytes("anonify-enclave test build v2"));
/** Admin transfer delay used by the fixtures (seconds). */
export const TEST_ADMIN_DELAY = 3600n;

export interface GroupFixture {
  verifier: IasVerifier;
  group: AnonifyGroup;
  domain: TypedDataDomain;
  ias: DevelopmentIas;
  admin: Signer;
  governor: Signer;
  outsider: Signer;
  relayer: Signer;
}

/** Deploys verifier + group with `buildAnonifyModule` and returns typed handles. */
export async function deployWithModule(
  config: AnonifyDeploymentConfig,
  parameters: Record<string, string | number | bigint> = {},
): Promise<{ verifier: IasVerifier; group: AnonifyGroup }> {
  const deployed = await hre.ignition.deploy(buildAnonifyModule(config), {
    parameters: { [anonifyModuleId(config.trustAnchor)]: parameters },
  });
  const verifier = await ethers.getContractAt("IasVerifier", await deployed.verifier.getAddress());
  const group = await ethers.getContractAt("AnonifyGroup", await deployed.group.getAddress());
  return { verifier, group };
}

/**
 * A SIMULATION-pinned group allowing MRENCLAVE_V1, admin = signer 0, governor = signer 1. The admin and the relayer
 * hold OPERATOR_ROLE with the largest cap, so tests join many enclaves (audit F-2: only operators join); the
 * outsider holds no role. {@link admissionGroupFixture} keeps the deployment defaults.
 */
export async function simulationGroupFixture(): Promise<GroupFixture> {
  const f = await admissionGroupFixture();
  const [admin, relayer] = await Promise.all([f.admin.getAddress(), f.relayer.getAddress()]);
  await (await f.group.connect(f.admin).grantRole(await f.group.OPERATOR_ROLE(), relayer)).wait();
  const cap = await f.group.MAX_OPERATOR_CAP();
  for (const operator of [admin, relayer]) await (await f.group.connect(f.governor).setOperatorCap(operator, cap)).wait();
  return f;
}

/** The same deployment with the module's admission defaults: the deployer (admin) is the only operator, cap 1. */
export async function admissionGroupFixture(): Promise<GroupFixture> {
  const [admin, governor, outsider, relayer] = await ethers.getSigners();
  const { verifier, group } = await deployWithModule(
    { trustAnchor: "simulation", allowedMrenclaves: [MRENCLAVE_V1] },
    { governor: await governor.getAddress(), adminTransferDelay: TEST_ADMIN_DELAY },
  );
  const { chainId } = await ethers.provider.getNetwork();
  const domain = groupDomain(chainId, await group.getAddress());
  return { verifier, group, domain, ias: new DevelopmentIas(), admin, governor, outsider, relayer };
}

export interface JoinOptions extends Partial<AttestOptions> {
  handshake?: Uint8Array;
  /** Signs the join handshake with these keys instead of the enclave's own. */
  handshakeSigner?: EnclaveKeys;
  /** Epoch the handshake signature names; default: the group's current epoch. */
  handshakeEpoch?: bigint;
  /** Keys submitted in the transaction; default: the enclave's own. */
  hpkePublicKey?: string;
  mlsSignatureKey?: string;
  from?: Signer;
}

/** Arguments of `AnonifyGroup.join` for `enclave`, attested by the development IAS. */
export async function joinArguments(f: GroupFixture, enclave: EnclaveKeys, options: JoinOptions = {}) {
  const { handshake = randomBytes(96), handshakeSigner = enclave, handshakeEpoch, hpkePublicKey, mlsSignatureKey, from, ...attest } =
    options;
  // The development IAS stamps reports with its own clock; here that clock is the chain's, which
  // other test files may have moved forward (time.increaseTo), so age checks stay meaningful.
  const timestamp = attest.timestamp ?? new Date((await time.latest()) * 1000);
  const signed = enclave.attest(f.ias, { mrenclave: MRENCLAVE_V1, ...attest, timestamp });
  const epoch = handshakeEpoch ?? (await f.group.currentEpoch());
  const handshakeSignature = await handshakeSigner.signHandshake(f.domain, epoch, handshake);
  return [
    encodeIasEvidence(signed),
    hpkePublicKey ?? enclave.hpkePublicKey,
    mlsSignatureKey ?? enclave.mlsSignatureKey,
    hexlify(handshake),
    handshakeSignature,
  ] as const;
}

/** Joins `enclave` (sent by the relayer unless `from` is given). */
export async function join(f: GroupFixture, enclave: EnclaveKeys, options: JoinOptions = {}) {
  const args = await joinArguments(f, enclave, options);
  return f.group.connect(options.from ?? f.relayer).join(...args);
}

/** Joins a fresh enclave and checks that it succeeded. */
export async function joinedEnclave(f: GroupFixture, options: JoinOptions = {}): Promise<EnclaveKeys> {
  const enclave = new EnclaveKeys();
  await (await join(f, enclave, options)).wait();
  expect((await f.group.enclave(enclave.address)).status).to.equal(EnclaveStatus.Active);
  return enclave;
}

/** Mirrors IAnonifyGroup.EnclaveStatus. */
export const EnclaveStatus = { None: 0n, Active: 1n, Revoked: 2n } as const;
/** Mirrors IAnonifyGroup.RevocationReason. */
export const RevocationReason = { Governance: 0n, MrenclaveDisallowed: 1n } as const;

/** Everything observable about the group's state, to prove a rejected call changed nothing. */
export async function groupState(group: AnonifyGroup, accounts: readonly string[] = []) {
  const roster = await Promise.all(accounts.map(async (a) => ((await group.enclave(a)) as unknown as Result).toArray().map(String)));
  return {
    epoch: await group.currentEpoch(),
    stateCounter: await group.stateCounter(),
    active: await group.activeEnclaveCount(),
    pendingRemovals: await group.pendingRemovalCount(),
    removalPending: await Promise.all(accounts.map((a) => group.removalPending(a))),
    roster,
  };
}

/** Runs `rejected` (which must revert, checked by the caller's matcher) and asserts the state did not move. */
export async function expectUnchanged(group: AnonifyGroup, accounts: readonly string[], rejected: () => Promise<void>) {
  const before = await groupState(group, accounts);
  await rejected();
  expect(await groupState(group, accounts)).to.deep.equal(before);
}
