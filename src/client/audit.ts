/**
 * The auditor: replays an AnonifyGroup's whole log from chain data alone and re-checks what the contract checked
 * plus what it cannot (checkpoint agreement). It needs no enclave and no key: every join's evidence is re-verified
 * with the TypeScript verifier under the deployment's trust anchor and the policy in force at that block (an IAS
 * report under the pinned CA; a DCAP quote under the pinned root with the collateral the stores held then), every
 * enclave signature is recovered from calldata and checked against the roster replayed up to that point, the
 * epoch sequence and stateCounter must be contiguous, the log hash chain is recomputed from the entries (every
 * checkpoint must name the log hash of the entries up to its counter, audit F-8), and all enclaves' checkpoints at
 * one counter must agree.
 */
import {
  Contract,
  Interface,
  getAddress,
  getBytes,
  hexlify,
  keccak256,
  sha256,
  concat,
  verifyTypedData,
  type Log,
  type Provider,
  type TransactionResponse,
  type TypedDataDomain,
} from "ethers";
import { IasReportVerifier, type VerificationPolicy } from "../attestation/verifier";
import { IasVerificationError } from "../attestation/errors";
import { caDerOf, leafDerOf, type TrustAnchor } from "../attestation/roots";
import { pinCa } from "../attestation/certificate";
import { decodeIasEvidence, evidenceKindName, type IasEvidence } from "../attestation/evidence";
import { ChainCollateral, DCAP_VERIFIER_ABI, readDcapStores, tcbStatusesOfMask } from "../attestation/dcap/chainCollateral";
import { decodeQuote } from "../attestation/dcap/quote";
import { verifyQuote } from "../attestation/dcap/verifier";
import { EMPTY_LOG_HASH, nextLogHash } from "../logHash";
import { groupDomain, lowerHex, type Hex } from "./wire";

export const AUDIT_GROUP_ABI = [
  "function join(bytes evidence, bytes32 hpkePublicKey, bytes32 mlsSignatureKey, bytes handshake, bytes handshakeSignature)",
  "function postHandshake(uint64 epoch, bytes handshake, bytes signature)",
  "function postRemovalCommit(uint64 epoch, bytes handshake, address[] removed, bytes signature)",
  "function postCiphertext(uint64 epoch, uint64 sequence, bytes ciphertext, bytes signature)",
  "function postCiphertextBatch(uint64 epoch, uint64 firstSequence, bytes[] ciphertexts, bytes signature)",
  "function postSnapshot(uint64 epoch, uint64 stateCounter, bytes snapshot, bytes signature)",
  "function postCheckpoint(uint64 stateCounter, bytes32 stateHash, bytes16 logHash, bytes32[] laterEntryHashes, bytes signature)",
  "function revokeEnclave(address enclave)",
  "function evictEnclave(address enclave)",
  "function verifier() view returns (address)",
  "function currentEpoch() view returns (uint64)",
  "function stateCounter() view returns (uint64)",
  "function logHash() view returns (bytes16)",
  "event EnclaveJoined(address indexed enclave, bytes32 indexed mrenclave, uint64 joinedAtEpoch, bytes32 hpkePublicKey, bytes32 mlsSignatureKey)",
  "event EnclaveRevoked(address indexed enclave, bytes32 indexed mrenclave, uint8 reason, address by)",
  "event HandshakePosted(uint64 indexed epoch, address indexed sender, bytes handshake)",
  "event CiphertextPosted(uint64 indexed stateCounter, uint64 indexed epoch, address indexed sender, bytes ciphertext)",
  "event CiphertextBatchPosted(uint64 indexed firstStateCounter, uint64 indexed epoch, address indexed sender, bytes[] ciphertexts)",
  "event CheckpointPosted(address indexed enclave, uint64 indexed stateCounter, bytes32 stateHash, bytes16 logHash)",
] as const;

export const AUDIT_VERIFIER_ABI = [
  "function registerSigningCertificate(bytes der) returns (bytes32 keyId)",
  "function caModulus() view returns (bytes)",
  "function caSubject() view returns (bytes)",
  "function policy() view returns ((bool debugAllowed, bool mrenclaveCheck, bool signerCheck, uint16 isvProdId, uint16 minIsvSvn, uint64 maxReportAge, uint32 deniedSigningKeys, bytes32 mrsigner))",
  "function isQuoteStatusAllowed(string status) view returns (bool)",
  "function isMrenclaveAllowed(bytes32 mrenclave) view returns (bool)",
  "function evidenceKind() view returns (uint8)",
  "event SigningKeyRegistered(bytes32 indexed keyId, uint64 notBefore, uint64 notAfter)",
] as const;

const TYPES = {
  Handshake: { Handshake: [{ name: "epoch", type: "uint64" }, { name: "handshakeHash", type: "bytes32" }] },
  RemovalCommit: {
    RemovalCommit: [{ name: "epoch", type: "uint64" }, { name: "handshakeHash", type: "bytes32" }, { name: "removed", type: "address[]" }],
  },
  Ciphertext: { Ciphertext: [{ name: "epoch", type: "uint64" }, { name: "sequence", type: "uint64" }, { name: "payloadHash", type: "bytes32" }] },
  CiphertextBatch: {
    CiphertextBatch: [{ name: "epoch", type: "uint64" }, { name: "firstSequence", type: "uint64" }, { name: "payloadsHash", type: "bytes32" }],
  },
  Snapshot: { Snapshot: [{ name: "epoch", type: "uint64" }, { name: "stateCounter", type: "uint64" }, { name: "payloadHash", type: "bytes32" }] },
  Checkpoint: { Checkpoint: [{ name: "stateCounter", type: "uint64" }, { name: "stateHash", type: "bytes32" }, { name: "logHash", type: "bytes16" }] },
};

export type AuditFindingCode =
  | "ca_unknown"
  | "signing_certificate_unavailable"
  | "signing_certificate_invalid"
  | "calldata_unavailable"
  | "report_invalid"
  | "report_data_mismatch"
  | "signature_mismatch"
  | "sender_not_active"
  | "epoch_gap"
  | "ciphertext_epoch_mismatch"
  | "state_counter_gap"
  | "post_sequence_mismatch"
  | "checkpoint_ahead_of_log"
  | "checkpoint_log_mismatch"
  | "checkpoint_disagreement"
  | "head_mismatch";

export interface AuditFinding {
  code: AuditFindingCode;
  message: string;
  blockNumber?: number;
  txHash?: string;
}

export interface AuditedEnclave {
  address: Hex;
  mrenclave: Hex;
  joinedAtEpoch: bigint;
  joinedAtBlock: number;
  reportStatus?: string;
  reportTimestamp?: bigint;
  revokedAtBlock?: number;
}

export interface CheckpointAgreement {
  stateCounter: bigint;
  hashes: Record<Hex, Hex>;
  agree: boolean;
}

export interface AuditReport {
  group: Hex;
  verifier: Hex;
  chainId: bigint;
  trustAnchor: TrustAnchor | "unknown";
  fromBlock: number;
  toBlock: number;
  enclaves: AuditedEnclave[];
  epochs: bigint;
  entries: bigint;
  /** L at the last entry, recomputed from the entries (undefined when the replay did not see every entry). */
  logHash: Hex | undefined;
  handshakes: number;
  checkpoints: CheckpointAgreement[];
  findings: AuditFinding[];
}

export interface AuditOptions {
  fromBlock?: number;
  toBlock?: number;
}

interface Member {
  status: "active" | "revoked";
  record: AuditedEnclave;
}

/** Replays the log of `group` and returns every finding (none = clean). */
export async function auditGroup(provider: Provider, groupAddress: string, options: AuditOptions = {}): Promise<AuditReport> {
  const group = new Contract(getAddress(groupAddress), AUDIT_GROUP_ABI, provider);
  const groupIface = group.interface;
  const verifierAddress = getAddress(await group.verifier());
  const verifier = new Contract(verifierAddress, AUDIT_VERIFIER_ABI, provider);
  const { chainId } = await provider.getNetwork();
  const domain: TypedDataDomain = groupDomain(chainId, groupAddress);
  const toBlock = options.toBlock ?? (await provider.getBlockNumber());
  const fromBlock = options.fromBlock ?? 0;
  const findings: AuditFinding[] = [];
  const find = (code: AuditFindingCode, message: string, log?: Log) =>
    findings.push({ code, message, blockNumber: log?.blockNumber, txHash: log?.transactionHash });

  // --- the evidence kind; for IAS the deployment's CA and its signing keys, for DCAP the root and the stores
  const kind = evidenceKindName((await verifier.evidenceKind()) as bigint);
  const dcapStores = kind === "dcap" ? await readDcapStores(verifierAddress, provider) : undefined;
  const chainCollateral = dcapStores?.pinned !== undefined ? new ChainCollateral(provider, { ...dcapStores, pinned: dcapStores.pinned }) : undefined;
  const trustAnchor = dcapStores !== undefined ? (dcapStores.root ?? "unknown") : await identifyCa(verifier);
  if (dcapStores !== undefined && chainCollateral === undefined) {
    find("ca_unknown", `the DcapVerifier ${verifierAddress} pins a root that is neither Intel's SGX Root CA nor the development PCS's; quotes cannot be re-verified`);
  }
  const tsVerifier = trustAnchor === "unknown" || kind === "dcap" ? undefined : new IasReportVerifier(caDerOf(trustAnchor));
  if (!tsVerifier && kind === "ias") find("ca_unknown", `the verifier ${verifierAddress} pins a CA that is neither Intel's nor the SIMULATION CA; reports cannot be re-verified`);
  if (tsVerifier) {
    // Keys are usually registered before the group is deployed: read them from the verifier's whole history.
    const keyLogs = await verifier.queryFilter(verifier.filters.SigningKeyRegistered(), 0, toBlock);
    for (const log of keyLogs) {
      const keyId = lowerHex((log as unknown as { args: { keyId: string } }).args.keyId);
      const der = await signingCertificateOf(provider, verifier.interface, verifierAddress, log, trustAnchor as TrustAnchor, keyId);
      if (!der) {
        find("signing_certificate_unavailable", `the certificate of signing key ${keyId} is not in a direct registerSigningCertificate call`, log);
        continue;
      }
      try {
        const key = tsVerifier.registerSigningCertificate(der);
        if (key.keyId !== keyId) find("signing_certificate_invalid", `the registered certificate has key id ${key.keyId}, the event says ${keyId}`, log);
      } catch (error) {
        find("signing_certificate_invalid", `signing key ${keyId}: ${describeError(error)}`, log);
      }
    }
  }

  // --- the group's log in chain order
  const logs = (await provider.getLogs({ address: group.target as string, fromBlock, toBlock })).sort(
    (a, b) => a.blockNumber - b.blockNumber || a.index - b.index,
  );
  const transactions = new Map<string, TransactionResponse | null>();
  const callOf = async (log: Log) => {
    if (!transactions.has(log.transactionHash)) transactions.set(log.transactionHash, await provider.getTransaction(log.transactionHash));
    const tx = transactions.get(log.transactionHash);
    if (!tx || tx.to === null || getAddress(tx.to) !== getAddress(groupAddress)) return undefined;
    return groupIface.parseTransaction({ data: tx.data, value: tx.value }) ?? undefined;
  };

  const roster = new Map<string, Member>();
  const enclaves: AuditedEnclave[] = [];
  let epoch = 0n;
  let counter = 0n;
  /** Each enclave's next post number in the current epoch (numbers restart at 0 in every epoch). */
  const postSequences = new Map<string, bigint>();
  let handshakes = 0;
  const checkpoints = new Map<bigint, Map<Hex, Hex>>();
  /**
   * logHashes[n] = L_n recomputed from the entries (src/logHash.ts), while the replay has seen every entry from the
   * first; after a gap (a replay from a later block, or a log the contract would not have written) it stops.
   */
  const logHashes: Hex[] = [EMPTY_LOG_HASH];
  let logHashKnown = true;

  const requireActive = (sender: string, what: string, log: Log) => {
    const member = roster.get(lowerHex(sender));
    if (!member || member.status !== "active") {
      find("sender_not_active", `${what} by ${lowerHex(sender)}, which is ${member ? "revoked" : "not in the roster"} at this point`, log);
    }
  };
  const checkSignature = (type: keyof typeof TYPES, value: Record<string, unknown>, signature: string, expected: string, what: string, log: Log) => {
    let recovered: string;
    try {
      recovered = verifyTypedData(domain, TYPES[type], value, signature);
    } catch (error) {
      find("signature_mismatch", `${what}: the signature does not recover (${describeError(error)})`, log);
      return;
    }
    if (getAddress(recovered) !== getAddress(expected)) {
      find("signature_mismatch", `${what}: the signature recovers to ${lowerHex(recovered)}, the event names ${lowerHex(expected)}`, log);
    }
  };

  for (const log of logs) {
    const parsed = groupIface.parseLog(log);
    if (!parsed) continue;
    const args = parsed.args;
    switch (parsed.name) {
      case "EnclaveJoined": {
        const address = lowerHex(args.enclave);
        const record: AuditedEnclave = {
          address,
          mrenclave: lowerHex(args.mrenclave),
          joinedAtEpoch: BigInt(args.joinedAtEpoch),
          joinedAtBlock: log.blockNumber,
        };
        enclaves.push(record);
        roster.set(address, { status: "active", record });
        const call = await callOf(log);
        if (!call || call.name !== "join") {
          find("calldata_unavailable", `join of ${address}: not a direct join call, the report cannot be re-verified`, log);
          break;
        }
        await auditJoin(call.args, record, args, log);
        break;
      }
      case "EnclaveRevoked": {
        const member = roster.get(lowerHex(args.enclave));
        if (member) {
          member.status = "revoked";
          member.record.revokedAtBlock = log.blockNumber;
        }
        break;
      }
      case "HandshakePosted": {
        handshakes += 1;
        const logged = BigInt(args.epoch);
        if (logged !== epoch) find("epoch_gap", `handshake for epoch ${logged}, expected ${epoch}`, log);
        requireActive(args.sender, `handshake of epoch ${logged}`, log);
        const call = await callOf(log);
        const signature =
          call?.name === "join"
            ? call.args.handshakeSignature
            : call?.name === "postHandshake" || call?.name === "postRemovalCommit"
              ? call.args.signature
              : undefined;
        // A removal commit naming enclaves is signed as RemovalCommit (audit F-6); with an empty list as Handshake.
        const removed = call?.name === "postRemovalCommit" ? (call.args.removed as string[]) : [];
        if (signature === undefined) find("calldata_unavailable", `handshake of epoch ${logged}: no direct call carries its signature`, log);
        else if (removed.length > 0) {
          checkSignature("RemovalCommit", { epoch: logged, handshakeHash: keccak256(args.handshake), removed }, signature, args.sender, `removal commit of epoch ${logged}`, log);
        } else checkSignature("Handshake", { epoch: logged, handshakeHash: keccak256(args.handshake) }, signature, args.sender, `handshake of epoch ${logged}`, log);
        epoch = logged + 1n;
        postSequences.clear();
        break;
      }
      case "CiphertextPosted":
      case "CiphertextBatchPosted": {
        const batch = parsed.name === "CiphertextBatchPosted";
        const first = BigInt(batch ? args.firstStateCounter : args.stateCounter);
        const count = batch ? BigInt(args.ciphertexts.length) : 1n;
        const logged = BigInt(args.epoch);
        if (first !== counter + 1n) {
          find("state_counter_gap", `entry ${first} follows entry ${counter}`, log);
          logHashKnown = false;
        }
        if (logHashKnown) {
          const payloads: string[] = batch ? args.ciphertexts : [args.ciphertext];
          for (const payload of payloads) logHashes.push(lowerHex(nextLogHash(logHashes[logHashes.length - 1], keccak256(payload))));
        }
        if (logged !== epoch) find("ciphertext_epoch_mismatch", `entry ${first} is in epoch ${logged}, the handshake log is at epoch ${epoch}`, log);
        requireActive(args.sender, `entry ${first}`, log);
        const call = await callOf(log);
        const expectedNames = batch ? ["postCiphertextBatch"] : ["postCiphertext", "postSnapshot"];
        // Each signed post is accepted once: an enclave's posts of an epoch carry the numbers 0, 1, 2, … in order.
        const takeSequence = (sequence: bigint, taken: bigint) => {
          const sender = lowerHex(args.sender);
          const expected = postSequences.get(sender) ?? 0n;
          if (sequence !== expected) find("post_sequence_mismatch", `entry ${first} by ${sender} carries post number ${sequence}, expected ${expected}`, log);
          postSequences.set(sender, sequence + taken);
        };
        if (!call || !expectedNames.includes(call.name)) {
          find("calldata_unavailable", `entry ${first}: no direct ${expectedNames.join(" or ")} call carries its signature`, log);
        } else if (batch) {
          const payloadsHash = keccak256(concat((args.ciphertexts as string[]).map((c) => keccak256(c))));
          const firstSequence = BigInt(call.args.firstSequence);
          checkSignature("CiphertextBatch", { epoch: logged, firstSequence, payloadsHash }, call.args.signature, args.sender, `batch at entry ${first}`, log);
          takeSequence(firstSequence, count);
        } else if (call.name === "postSnapshot") {
          const position = BigInt(call.args.stateCounter);
          if (position !== first) find("state_counter_gap", `snapshot signed for entry ${position} logged as entry ${first}`, log);
          checkSignature("Snapshot", { epoch: logged, stateCounter: position, payloadHash: keccak256(args.ciphertext) }, call.args.signature, args.sender, `snapshot at entry ${first}`, log);
        } else {
          const sequence = BigInt(call.args.sequence);
          checkSignature("Ciphertext", { epoch: logged, sequence, payloadHash: keccak256(args.ciphertext) }, call.args.signature, args.sender, `entry ${first}`, log);
          takeSequence(sequence, 1n);
        }
        counter = first + count - 1n;
        break;
      }
      case "CheckpointPosted": {
        const at = BigInt(args.stateCounter);
        const enclave = lowerHex(args.enclave);
        requireActive(enclave, `checkpoint at ${at}`, log);
        if (at > counter) find("checkpoint_ahead_of_log", `checkpoint at ${at} by ${enclave} while the log is at ${counter}`, log);
        const call = await callOf(log);
        const logged = lowerHex(args.logHash);
        if (!call || call.name !== "postCheckpoint") find("calldata_unavailable", `checkpoint at ${at} by ${enclave}: no direct call carries its signature`, log);
        else checkSignature("Checkpoint", { stateCounter: at, stateHash: args.stateHash, logHash: logged }, call.args.signature, enclave, `checkpoint at ${at} by ${enclave}`, log);
        // The checkpoint vouches for the entries up to `at`: its log hash must be theirs (audit F-8).
        if (logHashKnown && at <= counter && logged !== logHashes[Number(at)]) {
          find("checkpoint_log_mismatch", `checkpoint at ${at} by ${enclave} names log hash ${logged}; the log's entries 1..${at} hash to ${logHashes[Number(at)]}`, log);
        }
        if (!checkpoints.has(at)) checkpoints.set(at, new Map());
        checkpoints.get(at)!.set(enclave, lowerHex(args.stateHash));
        break;
      }
      default:
        break;
    }
  }

  const agreement: CheckpointAgreement[] = [...checkpoints.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([stateCounter, byEnclave]) => {
      const hashes = Object.fromEntries(byEnclave) as Record<Hex, Hex>;
      const agree = new Set(byEnclave.values()).size === 1;
      if (!agree) {
        findings.push({
          code: "checkpoint_disagreement",
          message: `at stateCounter ${stateCounter} the enclaves' state hashes differ: ${[...byEnclave].map(([e, h]) => `${e}=${h}`).join(", ")}`,
        });
      }
      return { stateCounter, hashes, agree };
    });

  // The replay must end where the contract's head is (when auditing up to the latest block from genesis).
  if (options.toBlock === undefined && fromBlock === 0) {
    const [headEpoch, headCounter, headLogHash] = await Promise.all([
      group.currentEpoch({ blockTag: toBlock }),
      group.stateCounter({ blockTag: toBlock }),
      group.logHash({ blockTag: toBlock }),
    ]);
    if (BigInt(headEpoch) !== epoch || BigInt(headCounter) !== counter) {
      find("head_mismatch", `the replay ends at epoch ${epoch}, entry ${counter}; the contract says epoch ${headEpoch}, entry ${headCounter}`);
    } else if (logHashKnown && lowerHex(headLogHash) !== logHashes[Number(counter)]) {
      find("head_mismatch", `the replayed entries hash to log hash ${logHashes[Number(counter)]}; the contract says ${lowerHex(headLogHash)}`);
    }
  }

  return {
    group: lowerHex(getAddress(groupAddress)),
    verifier: lowerHex(verifierAddress),
    chainId,
    trustAnchor,
    fromBlock,
    toBlock,
    enclaves,
    epochs: epoch,
    entries: counter,
    logHash: logHashKnown ? logHashes[Number(counter)] : undefined,
    handshakes,
    checkpoints: agreement,
    findings,
  };

  /** What the contract checked of REPORTDATA and MRENCLAVE, checked again. */
  function checkBinding(reportData: Uint8Array, mrenclave: string, call: import("ethers").Result, record: AuditedEnclave, event: import("ethers").Result, log: Log): void {
    const boundAddress = lowerHex(hexlify(reportData.slice(0, 20)));
    const boundKeys = lowerHex(hexlify(reportData.slice(20, 52)));
    const keysHash = lowerHex(sha256(concat([call.hpkePublicKey, call.mlsSignatureKey])));
    if (boundAddress !== record.address) find("report_data_mismatch", `REPORTDATA names ${boundAddress}, the roster ${record.address}`, log);
    if (boundKeys !== keysHash) find("report_data_mismatch", `REPORTDATA binds keys hash ${boundKeys}, the submitted keys hash to ${keysHash}`, log);
    if (reportData.slice(52).some((b) => b !== 0)) find("report_data_mismatch", `REPORTDATA's reserved tail of ${record.address} is not zero`, log);
    if (lowerHex(mrenclave) !== record.mrenclave) find("report_data_mismatch", `the report's MRENCLAVE ${mrenclave} is not the roster's ${record.mrenclave}`, log);
    if (lowerHex(event.hpkePublicKey) !== lowerHex(call.hpkePublicKey) || lowerHex(event.mlsSignatureKey) !== lowerHex(call.mlsSignatureKey)) {
      find("report_data_mismatch", `the keys registered for ${record.address} are not the submitted ones`, log);
    }
  }

  /**
   * DCAP: the quote re-verified under the pinned root with the collateral the stores held before the join (their
   * upsert calldata), at the join block's time, under the verifier's policy at the block before.
   */
  async function auditDcapJoin(call: import("ethers").Result, record: AuditedEnclave, event: import("ethers").Result, log: Log): Promise<void> {
    if (chainCollateral === undefined || dcapStores?.pinned === undefined) return;
    const block = await provider.getBlock(log.blockNumber);
    const now = BigInt(block?.timestamp ?? 0);
    try {
      const quote = getBytes(call.evidence);
      const collateral = await chainCollateral.at(quote, { blockNumber: log.blockNumber, logIndex: log.index });
      const dcapVerifier = new Contract(verifierAddress, DCAP_VERIFIER_ABI, provider);
      const overrides = { blockTag: log.blockNumber - 1 };
      const policy = (await dcapVerifier.policy(overrides)) as { allowedTcbStatuses: bigint; debugAllowed: boolean; signerCheck: boolean; mrsigner: string; isvProdId: bigint; minIsvSvn: bigint; minTcbEvaluationDataNumber: bigint; collateralGrace: bigint };
      const mrenclave = lowerHex(hexlify(decodeQuote(quote).report.mrenclave));
      const allowed = (await dcapVerifier.isMrenclaveAllowed(mrenclave, overrides)) as boolean;
      const verified = verifyQuote(
        quote,
        { tcbInfo: collateral.tcbInfo, qeIdentity: collateral.qeIdentity, tcbSigningChainPem: collateral.tcbSigningChainPem, crls: [collateral.rootCaCrl, collateral.pckCaCrl] },
        {
          now,
          root: dcapStores.pinned,
          policy: {
            allowedTcbStatuses: tcbStatusesOfMask(policy.allowedTcbStatuses),
            collateralGrace: policy.collateralGrace,
            minTcbEvaluationDataNumber: Number(policy.minTcbEvaluationDataNumber),
            allowDebug: policy.debugAllowed,
            // The group requires an allowlisted MRENCLAVE whether or not the verifier's own check is on.
            allowedMrenclaves: allowed ? [mrenclave] : [],
            signer: policy.signerCheck ? { mrsigner: policy.mrsigner, isvProdId: Number(policy.isvProdId), minIsvSvn: Number(policy.minIsvSvn) } : undefined,
          },
        },
      );
      record.reportStatus = verified.tcbStatus;
      record.reportTimestamp = now;
      checkBinding(getBytes(verified.reportData), verified.mrenclave, call, record, event, log);
    } catch (error) {
      find("report_invalid", `the quote of ${record.address} does not verify: ${describeError(error)}`, log);
    }
  }

  async function auditJoin(call: import("ethers").Result, record: AuditedEnclave, event: import("ethers").Result, log: Log): Promise<void> {
    if (kind === "dcap") return auditDcapJoin(call, record, event, log);
    if (!tsVerifier) return;
    const before = log.blockNumber - 1;
    const block = await provider.getBlock(log.blockNumber);
    const now = BigInt(block?.timestamp ?? 0);
    let evidence: IasEvidence;
    try {
      evidence = decodeIasEvidence(call.evidence);
    } catch (error) {
      find("report_invalid", `join of ${record.address}: ${(error as Error).message}`, log);
      return;
    }
    const { keyId, report, signature } = evidence;
    try {
      const unpolicied = tsVerifier.verifyReportWithoutPolicy(keyId, report, signature);
      tsVerifier.policy = await policyAt(verifier, unpolicied.status, unpolicied.mrenclave, before);
      const verified = tsVerifier.verifyReport(keyId, report, signature, now);
      record.reportStatus = verified.status;
      record.reportTimestamp = verified.timestamp;
      checkBinding(getBytes(verified.reportData), verified.mrenclave, call, record, event, log);
    } catch (error) {
      find("report_invalid", `the report of ${record.address} does not verify: ${describeError(error)}`, log);
    }
  }
}

/** The verifier's policy at `blockTag`, narrowed to what decides one report (status and MRENCLAVE lists are mappings). */
async function policyAt(verifier: Contract, status: string, mrenclave: string, blockTag: number): Promise<VerificationPolicy> {
  const overrides = { blockTag };
  const [policy, statusAllowed, mrenclaveAllowed] = await Promise.all([
    verifier.policy(overrides),
    verifier.isQuoteStatusAllowed(status, overrides),
    verifier.isMrenclaveAllowed(mrenclave, overrides),
  ]);
  return {
    allowedStatuses: statusAllowed ? [status] : [],
    allowDebug: policy.debugAllowed,
    // The group requires an allowlisted MRENCLAVE whether or not the verifier's own check is on.
    allowedMrenclaves: mrenclaveAllowed ? [mrenclave] : [],
    signer: policy.signerCheck ? { mrsigner: policy.mrsigner, isvProdId: Number(policy.isvProdId), minIsvSvn: Number(policy.minIsvSvn) } : undefined,
    maxReportAge: BigInt(policy.maxReportAge),
  };
}

/** Which known CA the verifier pinned (compared by modulus and subject bytes). */
async function identifyCa(verifier: Contract): Promise<TrustAnchor | "unknown"> {
  const [modulus, subject] = [lowerHex(await verifier.caModulus()), lowerHex(await verifier.caSubject())];
  for (const anchor of ["intel", "simulation"] as const) {
    const pinned = pinCa(caDerOf(anchor));
    if (lowerHex(hexlify(pinned.modulus)) === modulus && lowerHex(hexlify(pinned.subject)) === subject) return anchor;
  }
  return "unknown";
}

/** The DER a SigningKeyRegistered event came from: the calldata of a direct call, else the anchor's known leaf. */
async function signingCertificateOf(
  provider: Provider,
  iface: Interface,
  verifierAddress: string,
  log: Log,
  anchor: TrustAnchor,
  keyId: string,
): Promise<Uint8Array | undefined> {
  const tx = await provider.getTransaction(log.transactionHash);
  if (tx && tx.to !== null && getAddress(tx.to) === verifierAddress) {
    const call = iface.parseTransaction({ data: tx.data });
    if (call?.name === "registerSigningCertificate") return getBytes(call.args.der);
  }
  // Registered from another contract (e.g. a deployment helper): accept the anchor's own leaf if it is that key.
  const leaf = leafDerOf(anchor);
  try {
    const key = new IasReportVerifier(caDerOf(anchor)).registerSigningCertificate(leaf);
    if (key.keyId === keyId) return leaf;
  } catch {
    return undefined;
  }
  return undefined;
}

function describeError(error: unknown): string {
  if (error instanceof IasVerificationError) return `${error.code}${error.args.length ? `(${error.args.map(String).join(", ")})` : ""}`;
  return (error as Error).message ?? String(error);
}

/** A readable, line-oriented rendering of the report. */
export function formatAuditReport(report: AuditReport): string {
  const lines: string[] = [];
  lines.push(`Audit of AnonifyGroup ${report.group} on chain ${report.chainId}, blocks ${report.fromBlock}..${report.toBlock}`);
  lines.push(`  verifier ${report.verifier}, pinned CA: ${report.trustAnchor}`);
  lines.push(`  enclaves: ${report.enclaves.length}`);
  for (const e of report.enclaves) {
    const report_ = e.reportStatus ? `report ${e.reportStatus} @ ${new Date(Number(e.reportTimestamp) * 1000).toISOString()}` : "report not verified";
    lines.push(`    ${e.address}  MRENCLAVE ${e.mrenclave.slice(0, 18)}…  joined epoch ${e.joinedAtEpoch} (block ${e.joinedAtBlock})  ${report_}${e.revokedAtBlock !== undefined ? `  REVOKED at block ${e.revokedAtBlock}` : ""}`);
  }
  lines.push(`  handshakes: ${report.handshakes} (epochs 0..${report.epochs - 1n > 0n ? report.epochs - 1n : 0n}, current epoch ${report.epochs})`);
  lines.push(`  log entries: ${report.entries}${report.logHash !== undefined ? ` (log hash ${report.logHash})` : ""}`);
  lines.push(`  checkpoints: ${report.checkpoints.length} counters`);
  for (const c of report.checkpoints) {
    const n = Object.keys(c.hashes).length;
    lines.push(`    stateCounter ${c.stateCounter}: ${n} enclave${n === 1 ? "" : "s"}, ${c.agree ? "agree" : "DISAGREE"}${c.agree ? ` (${Object.values(c.hashes)[0].slice(0, 18)}…)` : ""}`);
  }
  if (report.findings.length === 0) {
    lines.push("Result: clean (0 findings)");
  } else {
    lines.push(`Result: ${report.findings.length} finding${report.findings.length === 1 ? "" : "s"}`);
    for (const f of report.findings) {
      lines.push(`  [${f.code}] ${f.message}${f.blockNumber !== undefined ? ` (block ${f.blockNumber}${f.txHash ? `, tx ${f.txHash}` : ""})` : ""}`);
    }
  }
  return lines.join("\n");
}
