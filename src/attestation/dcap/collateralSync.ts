/**
 * Keeps DCAP collateral on chain current (`anonify:collateral`; the node before a join): fetches TCB Info, QE
 * Identity, the root CA CRL and a PCK CA CRL from a PCS or PCCS, and upserts into `DcapCollateral` / `DcapCrls`
 * every item that is newer than the stored one.
 *
 * Each fetched item is first judged off chain at the chain's latest block time under the root the stores pin,
 * with the TypeScript verifier whose verdicts and error codes equal the contracts' (docs/attestation-dcap.md): an
 * item the contract would refuse is reported with that error and nothing is sent for it. An item the stores
 * already hold (or a newer one) is left alone: the upsert's dry run answers `CollateralNotNewer` / `CrlNotNewer`.
 */
import { Contract, Interface, ZeroHash, keccak256, type Signer } from "ethers";
import { DcapVerificationError, CollateralKind, dcapError } from "./errors";
import { checkCollateralSignature, checkFreshness, parseQeIdentity, parseTcbInfo, splitSignedCollateral } from "./collateral";
import { crlSignedBy } from "./crl";
import { equalBytes } from "./der";
import { checkPckCaChain, checkTcbSigningChain, splitPemChain, type PinnedRoot } from "./x509";
import type { FetchedCollateral, FetchedCrl, FetchedQeIdentity, FetchedTcbInfo, PcsClient } from "./pcsClient";

/** The slice of `DcapCollateral` this module calls (the full ABI is in the contract's artifact). */
export const DCAP_COLLATERAL_ABI = [
  "function upsertTcbInfo(bytes body, bytes tcbSigningChainPem)",
  "function upsertQeIdentity(bytes body, bytes tcbSigningChainPem)",
  "function tcbInfo(bytes6 fmspc, bytes2 pceId) view returns (uint32 tcbEvaluationDataNumber, uint64 issueDate, uint64 nextUpdate, (bytes16 components, uint16 pceSvn, uint8 status, bytes32 advisoryHash)[] levels)",
  "function qeIdentity() view returns ((uint32 tcbEvaluationDataNumber, uint64 issueDate, uint64 nextUpdate, uint16 isvProdId, uint32 miscselect, uint32 miscselectMask, bytes32 mrsigner, bytes16 attributes, bytes16 attributesMask, (uint16 isvSvn, uint8 status, bytes32 advisoryHash)[] levels) v)",
  "error CollateralNotNewer(uint8 kind, uint256 storedEvaluationDataNumber, uint256 storedIssueDate, uint256 evaluationDataNumber, uint256 issueDate)",
  "error TcbInfoNotStored(bytes6 fmspc, bytes2 pceId)",
  "error QeIdentityNotStored()",
] as const;

/** The slice of `DcapCrls` this module calls. */
export const DCAP_CRLS_ABI = [
  "function upsertCrl(bytes der, bytes pckCaChainPem)",
  "function isRevoked(bytes32 issuerSubjectHash, bytes32 serialHash) view returns (bool revoked, uint64 nextUpdate)",
  "error CrlNotNewer(uint8 kind, uint256 storedThisUpdate, uint256 thisUpdate)",
  "error CrlNotStored(bytes32 issuerSubjectHash)",
] as const;

export type CollateralItemName = "tcbInfo" | "qeIdentity" | "rootCaCrl" | "pckCrl";

/** What happened to one item. */
export interface CollateralItemResult {
  item: CollateralItemName;
  /** FMSPC for TCB Info, the CA for a PCK CA CRL. */
  id: string;
  /** `updated`: upserted now; `current`: the stores hold it or a newer one; `stale`: newer than the stores' (dry run); `refused`: the contract would refuse it (see `error`). */
  action: "updated" | "current" | "stale" | "refused";
  /** The fetched item's dates (unix seconds): issueDate / thisUpdate and nextUpdate. */
  fetched: { issued: number; nextUpdate: number; tcbEvaluationDataNumber?: number };
  /** What the stores hold after the run (nextUpdate, and for TCB Info / QE Identity the issue date and number); absent when nothing is stored. */
  onChain?: { issued?: number; nextUpdate: number; tcbEvaluationDataNumber?: number };
  /** `Code(args)` of the contract's (and the TypeScript verifier's) refusal. */
  error?: string;
  transactionHash?: string;
  gasUsed?: bigint;
}

export interface SyncCollateralOptions {
  pcs: PcsClient;
  /** `DcapCollateral` and `DcapCrls` addresses. */
  collateral: string;
  crls: string;
  /** Sends the upserts (and reads through its provider). */
  signer: Signer;
  /** The root the stores pin (Intel's SGX Root CA, or the SIMULATION root in simulation). */
  root: PinnedRoot;
  /** The platform family (12 hex digits) whose TCB Info to keep. */
  fmspc: string;
  /** Which PCK CA issued the platform's PCK certificate. Default "platform". */
  ca?: "platform" | "processor";
  /** Collateral already fetched from `pcs` for this platform (the node keeps it for its own admission): not fetched again. */
  fetched?: FetchedCollateral;
  /** Report what is stale without sending anything. */
  dryRun?: boolean;
  /** One line per step (fetching, judging, sending). */
  progress?: (line: string) => void;
}

const COLLATERAL_INTERFACE = new Interface(DCAP_COLLATERAL_ABI);
const CRLS_INTERFACE = new Interface(DCAP_CRLS_ABI);
const NOT_NEWER = new Set(["CollateralNotNewer", "CrlNotNewer"]);
const FMSPC = /^[0-9a-fA-F]{12}$/;

/** The error name a reverted dry run carries, when one of `iface`'s. */
function revertName(error: unknown, iface: Interface): string | undefined {
  const data = (error as { data?: unknown })?.data ?? (error as { info?: { error?: { data?: unknown } } })?.info?.error?.data;
  if (typeof data !== "string") return undefined;
  try {
    return iface.parseError(data)?.name;
  } catch {
    return undefined;
  }
}

function judged(check: () => void): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    if (error instanceof DcapVerificationError) return error.signature;
    throw error;
  }
}

/** Fetches the platform's collateral and upserts what is newer than the stores' (see the module's comment). */
export async function syncCollateral(options: SyncCollateralOptions): Promise<CollateralItemResult[]> {
  if (!FMSPC.test(options.fmspc)) throw new RangeError(`an FMSPC is 12 hex digits, got ${JSON.stringify(options.fmspc)}`);
  const fmspc = options.fmspc.toLowerCase();
  const ca = options.ca ?? "platform";
  const progress = options.progress ?? (() => undefined);
  const provider = options.signer.provider;
  if (provider === null) throw new RangeError("the signer has no provider");
  const collateral = new Contract(options.collateral, COLLATERAL_INTERFACE, options.signer);
  const crls = new Contract(options.crls, CRLS_INTERFACE, options.signer);

  if (options.fetched === undefined) progress(`fetching TCB Info (FMSPC ${fmspc}), QE Identity, root CA CRL and PCK ${ca} CA CRL from ${options.pcs.urlOf("").origin}`);
  const fetched = options.fetched ?? (await options.pcs.collateral(fmspc, ca));
  const latest = await provider.getBlock("latest");
  if (latest === null) throw new RangeError("the chain has no latest block");
  const now = BigInt(latest.timestamp);
  const tcbSigning = () => checkTcbSigningChain(splitPemChain(fetched.tcbInfo.issuerChainPem), options.root, now);

  const results: CollateralItemResult[] = [];
  const upsert = async (
    result: CollateralItemResult,
    refusal: string | undefined,
    contract: Contract,
    method: string,
    args: readonly Uint8Array[],
  ): Promise<void> => {
    if (refusal !== undefined) {
      progress(`${result.item} ${result.id}: the contract would refuse it: ${refusal}`);
      results.push({ ...result, action: "refused", error: refusal });
      return;
    }
    try {
      await contract.getFunction(method).staticCall(...args);
    } catch (error) {
      const name = revertName(error, contract.interface);
      if (name !== undefined && NOT_NEWER.has(name)) {
        results.push({ ...result, action: "current" });
        return;
      }
      throw error;
    }
    if (options.dryRun === true) {
      results.push({ ...result, action: "stale" });
      return;
    }
    progress(`${result.item} ${result.id}: upserting`);
    const receipt = await (await contract.getFunction(method).send(...args)).wait();
    results.push({ ...result, action: "updated", transactionHash: receipt?.hash, gasUsed: receipt?.gasUsed });
  };

  const tcb: FetchedTcbInfo = fetched.tcbInfo;
  await upsert(
    {
      item: "tcbInfo",
      id: fmspc,
      action: "current",
      fetched: { issued: Number(tcb.tcbInfo.issueDate), nextUpdate: Number(tcb.tcbInfo.nextUpdate), tcbEvaluationDataNumber: tcb.tcbInfo.tcbEvaluationDataNumber },
    },
    judged(() => {
      // DcapCollateral.verifyTcbInfo's order: the TCB Signing chain, the form, the signature, the fields, freshness.
      const signer = tcbSigning();
      const signed = splitSignedCollateral(CollateralKind.TcbInfo, tcb.body, "tcbInfo");
      checkCollateralSignature(CollateralKind.TcbInfo, signed, signer);
      const info = parseTcbInfo(signed.body);
      checkFreshness(CollateralKind.TcbInfo, info.issueDate, info.nextUpdate, now, 0n);
    }),
    collateral,
    "upsertTcbInfo",
    [tcb.body, tcb.issuerChainPem],
  );

  const qe: FetchedQeIdentity = fetched.qeIdentity;
  await upsert(
    {
      item: "qeIdentity",
      id: "QE",
      action: "current",
      fetched: { issued: Number(qe.qeIdentity.issueDate), nextUpdate: Number(qe.qeIdentity.nextUpdate), tcbEvaluationDataNumber: qe.qeIdentity.tcbEvaluationDataNumber },
    },
    judged(() => {
      const signer = tcbSigning();
      const signed = splitSignedCollateral(CollateralKind.QeIdentity, qe.body, "enclaveIdentity");
      checkCollateralSignature(CollateralKind.QeIdentity, signed, signer);
      const identity = parseQeIdentity(signed.body);
      checkFreshness(CollateralKind.QeIdentity, identity.issueDate, identity.nextUpdate, now, 0n);
    }),
    collateral,
    "upsertQeIdentity",
    [qe.body, qe.issuerChainPem],
  );

  const crlItem = async (item: "rootCaCrl" | "pckCrl", id: string, crl: FetchedCrl): Promise<void> => {
    await upsert(
      { item, id, action: "current", fetched: { issued: Number(crl.crl.thisUpdate), nextUpdate: Number(crl.crl.nextUpdate) } },
      judged(() => {
        // DcapCrls.verifyCrl's order: the PCK CA chain (when given), the issuer by name, the signature, freshness.
        const pckCa = item === "pckCrl" ? checkPckCaChain(splitPemChain(crl.issuerChainPem ?? new Uint8Array()), options.root, now) : undefined;
        const root = options.root.certificate;
        const [kind, issuer] = equalBytes(crl.crl.issuer, root.subject)
          ? [CollateralKind.RootCaCrl, root]
          : pckCa !== undefined && equalBytes(crl.crl.issuer, pckCa.subject)
            ? [CollateralKind.PckCaCrl, pckCa]
            : dcapError("CrlIssuerUnknown");
        if (!crlSignedBy(crl.crl, issuer)) dcapError("CollateralSignatureInvalid", BigInt(kind));
        checkFreshness(kind, crl.crl.thisUpdate, crl.crl.nextUpdate, now, 0n);
      }),
      crls,
      "upsertCrl",
      [crl.der, item === "rootCaCrl" ? new Uint8Array() : (crl.issuerChainPem ?? new Uint8Array())],
    );
  };
  await crlItem("rootCaCrl", "root", fetched.rootCaCrl);
  await crlItem("pckCrl", ca, fetched.pckCrl);

  // What the stores hold now.
  for (const result of results) {
    try {
      if (result.item === "tcbInfo") {
        const [number, issueDate, nextUpdate] = await collateral.tcbInfo(`0x${fmspc}`, `0x${tcb.tcbInfo.pceId}`);
        result.onChain = { issued: Number(issueDate), nextUpdate: Number(nextUpdate), tcbEvaluationDataNumber: Number(number) };
      } else if (result.item === "qeIdentity") {
        const stored = await collateral.qeIdentity();
        result.onChain = { issued: Number(stored.issueDate), nextUpdate: Number(stored.nextUpdate), tcbEvaluationDataNumber: Number(stored.tcbEvaluationDataNumber) };
      } else {
        const crl = result.item === "rootCaCrl" ? fetched.rootCaCrl : fetched.pckCrl;
        const [, nextUpdate] = await crls.isRevoked(keccak256(crl.crl.issuer), ZeroHash);
        result.onChain = { nextUpdate: Number(nextUpdate) };
      }
    } catch (error) {
      const name = revertName(error, result.item.endsWith("Crl") ? CRLS_INTERFACE : COLLATERAL_INTERFACE);
      if (name === undefined || !name.endsWith("NotStored")) throw error;
    }
  }
  return results;
}
