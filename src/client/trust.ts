/**
 * The client's trust decision: a node's `GET /enclave` answer is believed only when the group's roster on chain
 * says the same. The roster's HPKE and MLS keys were bound to the enclave's attested REPORTDATA at join
 * (AnonifyGroup checks REPORTDATA[20..52] == SHA-256(hpkePublicKey ‖ mlsSignatureKey)), so equal keys mean the
 * client encrypts to the attested enclave and to no one else.
 */
import { Contract, Interface, concat, getAddress, getBytes, hexlify, isAddress, sha256, type BlockTag, type ContractRunner, type Provider } from "ethers";
import { decodeQuoteBody } from "../attestation/quote";
import { readReportFields } from "../attestation/report";
import { decodeIasEvidence, evidenceKindName } from "../attestation/evidence";
import { decodeQuote } from "../attestation/dcap/quote";
import { EnclaveNotTrustedError } from "./errors";
import { lowerHex, type Hex, type NodeEnclaveInfo } from "./wire";

/** The views of AnonifyGroup and IasVerifier the client reads. */
export const CLIENT_GROUP_ABI = [
  "function enclave(address account) view returns ((uint8 status, uint64 joinedAtEpoch, uint64 checkpointStateCounter, bytes32 mrenclave, bytes32 hpkePublicKey, bytes32 mlsSignatureKey, bytes32 checkpointStateHash))",
  "function verifier() view returns (address)",
  "function currentEpoch() view returns (uint64)",
  "function stateCounter() view returns (uint64)",
  "function runtime() view returns (string)",
] as const;
export const CLIENT_VERIFIER_ABI = ["function isMrenclaveAllowed(bytes32 mrenclave) view returns (bool)", "function evidenceKind() view returns (uint8)"] as const;

/** Mirrors IAnonifyGroup.EnclaveStatus. */
export const ENCLAVE_STATUS = { None: 0n, Active: 1n, Revoked: 2n } as const;

/** An enclave the chain vouches for: the node's keys, equal to the roster's. */
export interface TrustedEnclave {
  address: Hex;
  hpkePublicKey: Hex;
  mlsSignatureKey: Hex;
  mrenclave: Hex;
  mode: NodeEnclaveInfo["mode"];
  group: Hex;
  joinedAtEpoch: bigint;
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/;

function shapeCheck(info: unknown): NodeEnclaveInfo {
  const i = info as Partial<NodeEnclaveInfo> | null;
  const problems: string[] = [];
  if (i === null || typeof i !== "object") throw new EnclaveNotTrustedError("malformed_enclave_info", "the node's /enclave answer is not an object");
  if (typeof i.address !== "string" || !isAddress(i.address)) problems.push("address");
  if (typeof i.group !== "string" || !isAddress(i.group)) problems.push("group");
  for (const key of ["hpkePublicKey", "mlsSignatureKey", "mrenclave"] as const) {
    if (typeof i[key] !== "string" || !HEX32.test(i[key] as string)) problems.push(key);
  }
  if (problems.length > 0) {
    throw new EnclaveNotTrustedError("malformed_enclave_info", `the node's /enclave answer has no valid ${problems.join(", ")}`);
  }
  return i as NodeEnclaveInfo;
}

/**
 * Checks a node's enclave description against the roster of `group` (at `blockTag`, default latest). Throws
 * `EnclaveNotTrustedError` with the first failing reason; returns the trusted enclave otherwise.
 */
export async function checkEnclaveTrust(
  runner: ContractRunner,
  group: string,
  nodeInfo: unknown,
  options: { blockTag?: BlockTag } = {},
): Promise<TrustedEnclave> {
  const info = shapeCheck(nodeInfo);
  const address = lowerHex(getAddress(info.address));
  if (getAddress(info.group) !== getAddress(group)) {
    throw new EnclaveNotTrustedError("group_mismatch", `the node serves group ${info.group}, the client uses ${getAddress(group)}`, address);
  }
  const groupContract = new Contract(getAddress(group), CLIENT_GROUP_ABI, runner);
  const overrides = options.blockTag === undefined ? {} : { blockTag: options.blockTag };
  const record = await groupContract.enclave(address, overrides);
  const status = BigInt(record.status);
  if (status === ENCLAVE_STATUS.None) {
    throw new EnclaveNotTrustedError("not_registered", `${address} is not in the roster of ${getAddress(group)}`, address);
  }
  if (status === ENCLAVE_STATUS.Revoked) {
    throw new EnclaveNotTrustedError("revoked", `${address} was revoked from ${getAddress(group)}`, address);
  }
  if (lowerHex(record.hpkePublicKey) !== lowerHex(info.hpkePublicKey)) {
    throw new EnclaveNotTrustedError(
      "hpke_key_mismatch",
      `the node offers HPKE key ${lowerHex(info.hpkePublicKey)}, the roster has ${lowerHex(record.hpkePublicKey)} for ${address}`,
      address,
    );
  }
  if (lowerHex(record.mlsSignatureKey) !== lowerHex(info.mlsSignatureKey)) {
    throw new EnclaveNotTrustedError(
      "mls_key_mismatch",
      `the node offers MLS key ${lowerHex(info.mlsSignatureKey)}, the roster has ${lowerHex(record.mlsSignatureKey)} for ${address}`,
      address,
    );
  }
  if (lowerHex(record.mrenclave) !== lowerHex(info.mrenclave)) {
    throw new EnclaveNotTrustedError("mrenclave_mismatch", `the node claims ${lowerHex(info.mrenclave)}, ${address} attested ${lowerHex(record.mrenclave)}`, address);
  }
  const verifier = new Contract(await groupContract.verifier(overrides), CLIENT_VERIFIER_ABI, runner);
  if (!(await verifier.isMrenclaveAllowed(record.mrenclave, overrides))) {
    throw new EnclaveNotTrustedError("mrenclave_disallowed", `MRENCLAVE ${lowerHex(record.mrenclave)} of ${address} is no longer allowed`, address);
  }
  return {
    address,
    hpkePublicKey: lowerHex(record.hpkePublicKey),
    mlsSignatureKey: lowerHex(record.mlsSignatureKey),
    mrenclave: lowerHex(record.mrenclave),
    mode: info.mode,
    group: lowerHex(getAddress(group)),
    joinedAtEpoch: BigInt(record.joinedAtEpoch),
  };
}

export const JOIN_ABI = [
  "event EnclaveJoined(address indexed enclave, bytes32 indexed mrenclave, uint64 joinedAtEpoch, bytes32 hpkePublicKey, bytes32 mlsSignatureKey)",
  "function join(bytes evidence, bytes32 hpkePublicKey, bytes32 mlsSignatureKey, bytes handshake, bytes handshakeSignature)",
] as const;

/** Why 64 bytes of REPORTDATA do not attest `address` with these keys (undefined when they do). */
export function reportDataProblem(reportData: Uint8Array, address: string, hpkePublicKey: string, mlsSignatureKey: string): string | undefined {
  if (reportData.length !== 64) return `REPORTDATA is ${reportData.length} bytes, not 64`;
  const named = lowerHex(hexlify(reportData.slice(0, 20)));
  if (named !== lowerHex(getAddress(address))) return `REPORTDATA names ${named}, not ${lowerHex(address)}`;
  const bound = lowerHex(hexlify(reportData.slice(20, 52)));
  const keysHash = lowerHex(sha256(concat([hpkePublicKey, mlsSignatureKey])));
  if (bound !== keysHash) return `REPORTDATA binds keys hash ${bound}, the keys hash to ${keysHash}`;
  if (reportData.slice(52).some((b) => b !== 0)) return "REPORTDATA's reserved tail is not zero";
  return undefined;
}

/**
 * Re-reads the enclave's own join from the chain (the `EnclaveJoined` event and the `join` calldata) and checks
 * that the attested REPORTDATA names the enclave and binds exactly the trusted keys, and that the report's
 * MRENCLAVE is the roster's, for either evidence kind (the group's verifier's `evidenceKind()`). This does not rely
 * on the contract having checked it (defence in depth); the IAS signature itself is re-verified by `anonify:audit`.
 */
export async function checkJoinReportData(provider: Provider, enclave: TrustedEnclave): Promise<void> {
  const iface = new Interface(JOIN_ABI);
  const event = iface.getEvent("EnclaveJoined")!;
  const logs = await provider.getLogs({
    address: getAddress(enclave.group),
    topics: [event.topicHash, "0x" + enclave.address.slice(2).padStart(64, "0")],
    fromBlock: 0,
  });
  if (logs.length !== 1) {
    throw new EnclaveNotTrustedError("join_report_unavailable", `${logs.length} EnclaveJoined events for ${enclave.address}, expected 1`, enclave.address);
  }
  const tx = await provider.getTransaction(logs[0].transactionHash);
  const call = tx && tx.to !== null && getAddress(tx.to) === getAddress(enclave.group) ? iface.parseTransaction({ data: tx.data }) : null;
  if (!call || call.name !== "join") {
    throw new EnclaveNotTrustedError("join_report_unavailable", `the join of ${enclave.address} was not a direct join call; its report cannot be read`, enclave.address);
  }
  // The evidence's layout is the group's verifier's: a raw DCAP quote, or IAS keyId ‖ signature ‖ report.
  const verifier = new Contract(await new Contract(getAddress(enclave.group), CLIENT_GROUP_ABI, provider).verifier(), CLIENT_VERIFIER_ABI, provider);
  let quote: { reportData: Uint8Array; mrenclave: Uint8Array };
  try {
    const kind = evidenceKindName((await verifier.evidenceKind()) as bigint);
    quote =
      kind === "dcap"
        ? decodeQuote(getBytes(call.args.evidence as string)).report
        : decodeQuoteBody(readReportFields(decodeIasEvidence(call.args.evidence).report).quoteBody);
  } catch (error) {
    throw new EnclaveNotTrustedError("join_report_unavailable", `the join report of ${enclave.address} does not parse: ${(error as Error).message}`, enclave.address);
  }
  const problem =
    reportDataProblem(quote.reportData, enclave.address, enclave.hpkePublicKey, enclave.mlsSignatureKey) ??
    (lowerHex(hexlify(quote.mrenclave)) !== enclave.mrenclave ? `the report's MRENCLAVE is ${lowerHex(hexlify(quote.mrenclave))}` : undefined);
  if (problem !== undefined) throw new EnclaveNotTrustedError("report_data_mismatch", problem, enclave.address);
}

export const CHECKPOINT_ABI = ["event CheckpointPosted(address indexed enclave, uint64 indexed stateCounter, bytes32 stateHash, bytes16 logHash)"] as const;

/** How a trusted enclave's latest checkpoint compares with the other enclaves' checkpoints at the same counter. */
export interface CheckpointAgreementResult {
  /** The enclave's latest checkpointed counter (0: it has not checkpointed yet). */
  stateCounter: bigint;
  stateHash: Hex;
  /** Other active enclaves that checkpointed the same state at that counter. */
  agreeing: Hex[];
}

/**
 * Compares `enclave`'s latest checkpoint on chain with every other **active** enclave's checkpoint at the same
 * counter (CheckpointPosted events). Any different hash is `EnclaveNotTrustedError("checkpoint_divergence")`: one
 * of the two enclaves applied another log (a host reordering or omitting entries, or a fork). At least `quorum`
 * other enclaves must agree (default 0: none needed, but none may differ); fewer is `checkpoint_quorum`. An
 * enclave without a checkpoint passes only with quorum 0.
 */
export async function checkCheckpointAgreement(
  runner: ContractRunner & { provider: Provider | null },
  enclave: TrustedEnclave,
  options: { quorum?: number; blockTag?: BlockTag } = {},
): Promise<CheckpointAgreementResult> {
  const quorum = options.quorum ?? 0;
  const overrides = options.blockTag === undefined ? {} : { blockTag: options.blockTag };
  const group = new Contract(getAddress(enclave.group), CLIENT_GROUP_ABI, runner);
  const own = await group.enclave(enclave.address, overrides);
  const counter = BigInt(own.checkpointStateCounter);
  const hash = lowerHex(own.checkpointStateHash);
  const result: CheckpointAgreementResult = { stateCounter: counter, stateHash: hash, agreeing: [] };
  if (counter === 0n) {
    if (quorum > 0) throw new EnclaveNotTrustedError("checkpoint_quorum", `${enclave.address} has not posted a checkpoint yet`, enclave.address);
    return result;
  }
  const provider = runner.provider;
  if (provider === null) throw new EnclaveNotTrustedError("checkpoint_quorum", "no provider to read checkpoints with", enclave.address);
  const iface = new Interface(CHECKPOINT_ABI);
  const event = iface.getEvent("CheckpointPosted")!;
  const logs = await provider.getLogs({
    address: getAddress(enclave.group),
    topics: [event.topicHash, null, "0x" + counter.toString(16).padStart(64, "0")],
    fromBlock: 0,
    toBlock: options.blockTag ?? "latest",
  });
  // An enclave may checkpoint one counter more than once: its last post counts (the roster keeps that one).
  const latest = new Map<Hex, Hex>();
  for (const log of logs) {
    const parsed = iface.parseLog(log);
    if (parsed === null) continue;
    latest.set(lowerHex(getAddress(parsed.args.enclave as string)), lowerHex(parsed.args.stateHash as string));
  }
  for (const [other, otherHash] of latest) {
    if (other === enclave.address) continue;
    const record = await group.enclave(other, overrides);
    if (BigInt(record.status) !== ENCLAVE_STATUS.Active) continue;
    if (otherHash !== hash) {
      throw new EnclaveNotTrustedError(
        "checkpoint_divergence",
        `at stateCounter ${counter} ${enclave.address} checkpointed ${hash}, ${other} checkpointed ${otherHash}`,
        enclave.address,
      );
    }
    result.agreeing.push(other);
  }
  if (result.agreeing.length < quorum) {
    throw new EnclaveNotTrustedError(
      "checkpoint_quorum",
      `${result.agreeing.length} other active enclave(s) checkpointed ${enclave.address}'s state at ${counter}; ${quorum} required`,
      enclave.address,
    );
  }
  return result;
}
