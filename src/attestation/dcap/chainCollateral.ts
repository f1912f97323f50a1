/**
 * DCAP collateral as the chain held it (for nodes admitting other enclaves' joins and for the auditor): a
 * DcapVerifier's stores and pinned root, and for a join the TCB Info, QE Identity and CRL bodies of the latest
 * upsert transactions before it (their calldata: the stores keep only a compact form). That is the collateral the
 * group's verifier judged the join with, so a replay of an old log verifies old joins with what was current then.
 * Upserts sent through another contract (not a direct call to the store) cannot be read back this way.
 */
import { Contract, Interface, keccak256, type Provider } from "ethers";
import { dcapRootDer, type DcapRootName } from "./roots";
import { decodeQuote } from "./quote";
import { parseCertificate, pinRoot, readSgxExtension, splitPemChain, type PinnedRoot } from "./x509";
import { CertificateRole } from "./errors";
import { DCAP_COLLATERAL_ABI, DCAP_CRLS_ABI } from "./collateralSync";
import { TCB_STATUSES, type TcbStatus } from "./collateral";

/** The slice of `DcapVerifier` read here and by the node. */
export const DCAP_VERIFIER_ABI = [
  "function policy() view returns ((uint8 allowedTcbStatuses, bool debugAllowed, bool mrenclaveCheck, bool signerCheck, uint16 isvProdId, uint16 minIsvSvn, uint32 minTcbEvaluationDataNumber, uint64 collateralGrace, bytes32 mrsigner))",
  "function pinnedRootHash() view returns (bytes32)",
  "function collateralStore() view returns (address)",
  "function crlStore() view returns (address)",
  "function isMrenclaveAllowed(bytes32 mrenclave) view returns (bool)",
] as const;

/** The TCB statuses a `DcapVerifier.policy().allowedTcbStatuses` mask allows (bit i: `TcbStatus(i)`; Revoked never). */
export function tcbStatusesOfMask(mask: bigint | number): TcbStatus[] {
  return TCB_STATUSES.filter((status, bit) => status !== "Revoked" && ((BigInt(mask) >> BigInt(bit)) & 1n) === 1n);
}

/** No upsert of an item the join needs precedes it. */
export class CollateralUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CollateralUnavailableError";
  }
}

/** A DcapVerifier's stores and root (`root` undefined: neither Intel's nor the development PCS's). */
export interface DcapStores {
  verifier: string;
  collateral: string;
  crls: string;
  rootHash: string;
  root: DcapRootName | undefined;
  pinned: PinnedRoot | undefined;
}

export async function readDcapStores(verifierAddress: string, provider: Provider): Promise<DcapStores> {
  const verifier = new Contract(verifierAddress, DCAP_VERIFIER_ABI, provider);
  const [rootHash, collateral, crls] = (await Promise.all([verifier.pinnedRootHash(), verifier.collateralStore(), verifier.crlStore()])) as [string, string, string];
  const roots: DcapRootName[] = ["simulation", "intel"];
  const root = roots.find((name) => keccak256(dcapRootDer(name)) === rootHash.toLowerCase());
  return { verifier: verifierAddress, collateral, crls, rootHash, root, pinned: root === undefined ? undefined : pinRoot(dcapRootDer(root)) };
}

/** The collateral a DCAP verdict takes, as `mls_admit_evidence` takes it. */
export interface DcapCollateralBundle {
  tcbInfo: Uint8Array;
  qeIdentity: Uint8Array;
  tcbSigningChainPem: Uint8Array;
  rootCaCrl: Uint8Array;
  pckCaCrl: Uint8Array;
}

/** What a quote's PCK certificate says about the platform: which TCB Info and which PCK CA CRL apply. */
export interface QuotePlatform {
  fmspc: string;
  pceId: string;
  ca: "platform" | "processor";
  /** keccak256 of the PCK CA's subject (DcapCrls' key of its CRL). */
  pckIssuerHash: string;
}

/** Reads the platform of a quote from its PCK certificate (no signature checked: the verifiers do that). */
export function quotePlatform(quote: Uint8Array): QuotePlatform {
  const chain = splitPemChain(decodeQuote(quote).pckChainPem);
  const pck = parseCertificate(chain[0], CertificateRole.Pck);
  const pckCa = parseCertificate(chain[1], CertificateRole.PckCa);
  const sgx = readSgxExtension(pck);
  // Intel names its two PCK CAs "Intel SGX PCK Platform CA" and "Intel SGX PCK Processor CA" (the development PKI alike).
  const ca = Buffer.from(pckCa.subject).toString("latin1").includes("Processor CA") ? "processor" : "platform";
  return { fmspc: sgx.fmspc, pceId: sgx.pceId, ca, pckIssuerHash: keccak256(pck.issuer) };
}

const COLLATERAL_INTERFACE = new Interface([
  ...DCAP_COLLATERAL_ABI,
  "event TcbInfoUpdated(bytes6 indexed fmspc, bytes2 indexed pceId, uint32 tcbEvaluationDataNumber, uint64 issueDate, uint64 nextUpdate, address blob, string[][] advisoryIds)",
  "event QeIdentityUpdated(bytes32 indexed mrsigner, uint16 isvProdId, uint32 tcbEvaluationDataNumber, uint64 issueDate, uint64 nextUpdate, address blob, string[][] advisoryIds)",
]);
const CRLS_INTERFACE = new Interface([
  ...DCAP_CRLS_ABI,
  "event CrlUpdated(uint8 indexed kind, bytes32 indexed issuerSubjectHash, uint64 thisUpdate, uint64 nextUpdate, bytes32[] revokedSerialHashes)",
]);

/** The collateral the chain held at a block: the bodies of the latest upsert transactions (see the module's comment). */
export class ChainCollateral {
  constructor(
    private readonly provider: Provider,
    private readonly deployment: { collateral: string; crls: string; pinned: PinnedRoot },
  ) {}

  /** The collateral held just before `position` (the join's log): what the group's verifier judged the join with. */
  async at(quote: Uint8Array, position: { blockNumber: number; logIndex: number }): Promise<DcapCollateralBundle> {
    const platform = quotePlatform(quote);
    const rootSubjectHash = keccak256(this.deployment.pinned.certificate.subject);
    const tcb = await this.latestCall(this.deployment.collateral, COLLATERAL_INTERFACE, "TcbInfoUpdated", [`0x${platform.fmspc}`, `0x${platform.pceId}`], "upsertTcbInfo", position);
    const qe = await this.latestCall(this.deployment.collateral, COLLATERAL_INTERFACE, "QeIdentityUpdated", [], "upsertQeIdentity", position);
    const rootCrl = await this.latestCall(this.deployment.crls, CRLS_INTERFACE, "CrlUpdated", [null, rootSubjectHash], "upsertCrl", position);
    const pckCrl = await this.latestCall(this.deployment.crls, CRLS_INTERFACE, "CrlUpdated", [null, platform.pckIssuerHash], "upsertCrl", position);
    const bytes = (v: unknown) => Buffer.from((v as string).slice(2), "hex");
    return { tcbInfo: bytes(tcb[0]), tcbSigningChainPem: bytes(tcb[1]), qeIdentity: bytes(qe[0]), rootCaCrl: bytes(rootCrl[0]), pckCaCrl: bytes(pckCrl[0]) };
  }

  /** The arguments of the upsert call behind the latest `event` log before `position`. */
  private async latestCall(address: string, iface: Interface, event: string, topics: (string | null)[], method: string, position: { blockNumber: number; logIndex: number }): Promise<readonly unknown[]> {
    const fragment = iface.getEvent(event)!;
    // encodeFilterTopics pads bytes6 / bytes2 values to the 32-byte topics the logs carry.
    const logs = await this.provider.getLogs({ address, topics: iface.encodeFilterTopics(fragment, topics), fromBlock: 0, toBlock: position.blockNumber });
    const before = logs.filter((log) => log.blockNumber < position.blockNumber || log.index < position.logIndex);
    for (const log of before.reverse()) {
      const tx = await this.provider.getTransaction(log.transactionHash);
      const call = tx === null ? null : iface.parseTransaction({ data: tx.data, value: tx.value });
      if (call !== null && call.name === method) return call.args.toArray();
    }
    throw new CollateralUnavailableError(`no ${method} transaction of ${address} before block ${position.blockNumber} log ${position.logIndex} (${event}): the chain held no such collateral for this join`);
  }
}
