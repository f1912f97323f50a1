/**
 * A client of the Intel PCS API v4 (or a PCCS, or the development PCS) for the collateral a DCAP verdict needs:
 * TCB Info for an FMSPC, QE Identity, the PCK CA CRL and the root CA CRL, each with its issuer chain from the
 * response headers. It checks what comes back (status code, headers present and URL-decoded to a two-certificate
 * PEM chain, body form and the fields that tie it to the request) and fails with a `PcsClientError` naming what
 * was wrong; signatures, chains and freshness are the verifier's job (verifier.ts), not the transport's.
 * The base URL is configurable (`anonify.dcap.pcsUrl` for the node).
 */
import { CollateralKind, DcapVerificationError } from "./errors";
import { parseQeIdentity, parseTcbInfo, splitSignedCollateral, type QeIdentity, type TcbInfo } from "./collateral";
import { parseCrl, type Crl } from "./crl";
import { splitPemChain } from "./x509";
import type { DcapCollateral } from "./verifier";
import {
  CONTENT_TYPE_CRL_DER,
  EVALUATION_NUMBER_PATTERN,
  FMSPC_PATTERN,
  HEADER_ENCLAVE_IDENTITY_ISSUER_CHAIN,
  HEADER_ERROR_CODE,
  HEADER_ERROR_MESSAGE,
  HEADER_PCK_CRL_ISSUER_CHAIN,
  HEADER_REQUEST_ID,
  HEADER_SUBSCRIPTION_KEY,
  HEADER_TCB_INFO_ISSUER_CHAIN,
  HEADER_TCB_INFO_ISSUER_CHAIN_V3,
  HTTP_OK,
  PCS_PATH_PCK_CRL,
  PCS_PATH_QE_IDENTITY,
  PCS_PATH_ROOT_CA_CRL,
  PCS_PATH_TCB,
  PCS_V4_PREFIX,
  UPDATE_TYPES,
  type CrlEncoding,
  type UpdateType,
} from "./pcsApi";

export type PcsErrorCode =
  /** The base URL or a request argument is unusable (nothing was sent). */
  | "PcsRequestInvalid"
  /** The connection failed or timed out. */
  | "PcsUnreachable"
  /** A status other than 200. */
  | "PcsHttpStatus"
  /** A required response header is absent. */
  | "PcsHeaderMissing"
  /** A header is present but not a percent-encoded PEM chain of the expected length. */
  | "PcsHeaderInvalid"
  /** The body is not what the endpoint serves (form, JSON, DER, or a field that contradicts the request). */
  | "PcsBodyInvalid"
  /** The body exceeds the client's limit. */
  | "PcsBodyTooLarge";

export class PcsClientError extends Error {
  constructor(
    readonly code: PcsErrorCode,
    message: string,
    /** Which request: the path. */
    readonly path: string,
    readonly details: { status?: number; header?: string; requestId?: string; errorCode?: string; errorMessage?: string; cause?: unknown } = {},
  ) {
    super(`${path}: ${message}`);
    this.name = "PcsClientError";
  }
}

export interface PcsClientOptions {
  /**
   * The PCS or PCCS: `https://api.trustedservices.intel.com`, `https://pccs.example:8081`, or either with
   * `/sgx/certification/v4` already appended (as `PCCS_URL` is written in sgx_default_qcnl.conf).
   */
  baseUrl: string;
  /** Sent as Ocp-Apim-Subscription-Key when set. */
  apiKey?: string;
  /** Per request. Default 10 s. */
  timeoutMs?: number;
  /** Default 4 MiB (Intel's largest PCK CRL is ~100 KiB). */
  maxBodyBytes?: number;
}

export interface FetchedTcbInfo {
  /** The body exactly as served: `{"tcbInfo":…,"signature":…}`. */
  body: Buffer;
  /** Decoded TCB-Info-Issuer-Chain (TCB Signing certificate, root). */
  issuerChainPem: Buffer;
  /** Parsed fields (not yet signature-checked). */
  tcbInfo: TcbInfo;
}

export interface FetchedQeIdentity {
  body: Buffer;
  issuerChainPem: Buffer;
  qeIdentity: QeIdentity;
}

export interface FetchedCrl {
  der: Buffer;
  /** Parsed (not yet signature-checked). */
  crl: Crl;
  /** Decoded SGX-PCK-CRL-Issuer-Chain (PCK CA, root); absent for the root CA CRL. */
  issuerChainPem?: Buffer;
}

export interface FetchedCollateral {
  collateral: Required<DcapCollateral>;
  tcbInfo: FetchedTcbInfo;
  qeIdentity: FetchedQeIdentity;
  rootCaCrl: FetchedCrl;
  pckCrl: FetchedCrl;
}

export interface VersionQuery {
  update?: UpdateType;
  tcbEvaluationDataNumber?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BODY = 4 * 1024 * 1024;
const ISSUER_CHAIN_LENGTH = 2;

function normalizeBase(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new PcsClientError("PcsRequestInvalid", `base URL ${JSON.stringify(baseUrl)} is not a URL`, "");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new PcsClientError("PcsRequestInvalid", `base URL must be http(s), got ${url.protocol}`, "");
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") throw new PcsClientError("PcsRequestInvalid", "base URL must not carry a query, fragment or credentials", "");
  let p = url.pathname.replace(/\/+$/, "");
  if (p.endsWith(PCS_V4_PREFIX)) p = p.slice(0, -PCS_V4_PREFIX.length);
  url.pathname = p === "" ? "/" : p;
  return url;
}

export class PcsClient {
  private readonly base: URL;
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;

  constructor(private readonly options: PcsClientOptions) {
    this.base = normalizeBase(options.baseUrl);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  }

  /** The URL of `path` (one of the PCS_PATH_* constants) with `query`. */
  urlOf(path: string, query: Record<string, string> = {}): URL {
    const url = new URL(this.base.toString());
    url.pathname = (this.base.pathname === "/" ? "" : this.base.pathname) + path;
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url;
  }

  private async get(path: string, query: Record<string, string>): Promise<{ headers: Headers; body: Buffer }> {
    const url = this.urlOf(path, query);
    const headers: Record<string, string> = {};
    if (this.options.apiKey !== undefined) headers[HEADER_SUBSCRIPTION_KEY] = this.options.apiKey;
    let res: Response;
    try {
      res = await fetch(url, { method: "GET", headers, redirect: "error", signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (cause) {
      throw new PcsClientError("PcsUnreachable", `GET ${url.toString()} failed: ${(cause as Error).message}`, path, { cause });
    }
    const requestId = res.headers.get(HEADER_REQUEST_ID) ?? undefined;
    const body = await this.readBody(res, path, requestId);
    if (res.status !== HTTP_OK) {
      const errorCode = res.headers.get(HEADER_ERROR_CODE) ?? undefined;
      const errorMessage = res.headers.get(HEADER_ERROR_MESSAGE) ?? undefined;
      const detail = errorCode !== undefined ? ` (${errorCode}${errorMessage !== undefined ? `: ${errorMessage}` : ""})` : "";
      throw new PcsClientError("PcsHttpStatus", `HTTP ${res.status}${detail}`, path, { status: res.status, requestId, errorCode, errorMessage });
    }
    return { headers: res.headers, body };
  }

  private async readBody(res: Response, path: string, requestId: string | undefined): Promise<Buffer> {
    const declared = Number(res.headers.get("content-length") ?? "0");
    if (declared > this.maxBodyBytes) {
      await res.body?.cancel();
      throw new PcsClientError("PcsBodyTooLarge", `body of ${declared} bytes exceeds ${this.maxBodyBytes}`, path, { status: res.status, requestId });
    }
    const chunks: Buffer[] = [];
    let total = 0;
    if (res.body !== null) {
      for await (const chunk of res.body) {
        total += chunk.length;
        if (total > this.maxBodyBytes) {
          await res.body.cancel().catch(() => undefined);
          throw new PcsClientError("PcsBodyTooLarge", `body exceeds ${this.maxBodyBytes} bytes`, path, { status: res.status, requestId });
        }
        chunks.push(Buffer.from(chunk));
      }
    }
    return Buffer.concat(chunks);
  }

  /** A percent-encoded PEM chain of two certificates from header `names[0]` (or a fallback name). */
  private issuerChain(headers: Headers, path: string, names: readonly string[]): Buffer {
    const name = names.find((n) => headers.get(n) !== null);
    if (name === undefined) throw new PcsClientError("PcsHeaderMissing", `response has no ${names[0]} header`, path, { header: names[0] });
    let pem: Buffer;
    try {
      pem = Buffer.from(decodeURIComponent(headers.get(name) as string), "latin1");
    } catch (cause) {
      throw new PcsClientError("PcsHeaderInvalid", `${name} is not percent-encoded`, path, { header: name, cause });
    }
    let count: number;
    try {
      count = splitPemChain(pem).length;
    } catch (cause) {
      throw new PcsClientError("PcsHeaderInvalid", `${name} is not a PEM certificate chain`, path, { header: name, cause });
    }
    if (count !== ISSUER_CHAIN_LENGTH) throw new PcsClientError("PcsHeaderInvalid", `${name} holds ${count} certificates, expected ${ISSUER_CHAIN_LENGTH}`, path, { header: name });
    return pem;
  }

  private static versionQuery(path: string, v: VersionQuery): Record<string, string> {
    if (v.update !== undefined && v.tcbEvaluationDataNumber !== undefined) throw new PcsClientError("PcsRequestInvalid", "update and tcbEvaluationDataNumber cannot be used together", path);
    const q: Record<string, string> = {};
    if (v.update !== undefined) {
      if (!(UPDATE_TYPES as readonly string[]).includes(v.update)) throw new PcsClientError("PcsRequestInvalid", `update must be early or standard, got ${JSON.stringify(v.update)}`, path);
      q.update = v.update;
    }
    if (v.tcbEvaluationDataNumber !== undefined) {
      const n = String(v.tcbEvaluationDataNumber);
      if (!Number.isSafeInteger(v.tcbEvaluationDataNumber) || !EVALUATION_NUMBER_PATTERN.test(n)) throw new PcsClientError("PcsRequestInvalid", `tcbEvaluationDataNumber must be a non-negative integer, got ${n}`, path);
      q.tcbEvaluationDataNumber = n;
    }
    return q;
  }

  private static bodyError(path: string, what: string, cause: unknown): PcsClientError {
    const detail = cause instanceof DcapVerificationError ? `${cause.code}(${cause.args.map(String).join(", ")})` : (cause as Error).message;
    return new PcsClientError("PcsBodyInvalid", `${what}: ${detail}`, path, { cause });
  }

  /** GET /sgx/certification/v4/tcb?fmspc=… */
  async tcbInfo(fmspc: string, version: VersionQuery = {}): Promise<FetchedTcbInfo> {
    const path = PCS_PATH_TCB;
    if (!FMSPC_PATTERN.test(fmspc)) throw new PcsClientError("PcsRequestInvalid", `fmspc must be 12 hex digits, got ${JSON.stringify(fmspc)}`, path);
    const { headers, body } = await this.get(path, { fmspc, ...PcsClient.versionQuery(path, version) });
    const issuerChainPem = this.issuerChain(headers, path, [HEADER_TCB_INFO_ISSUER_CHAIN, HEADER_TCB_INFO_ISSUER_CHAIN_V3]);
    let tcbInfo: TcbInfo;
    try {
      tcbInfo = parseTcbInfo(splitSignedCollateral(CollateralKind.TcbInfo, body, "tcbInfo").body);
    } catch (cause) {
      throw PcsClient.bodyError(path, "not a TCB Info v3 body", cause);
    }
    if (tcbInfo.fmspc !== fmspc.toLowerCase()) throw new PcsClientError("PcsBodyInvalid", `TCB Info is for FMSPC ${tcbInfo.fmspc}, requested ${fmspc.toLowerCase()}`, path);
    if (version.tcbEvaluationDataNumber !== undefined && tcbInfo.tcbEvaluationDataNumber !== version.tcbEvaluationDataNumber) {
      throw new PcsClientError("PcsBodyInvalid", `TCB Info has tcbEvaluationDataNumber ${tcbInfo.tcbEvaluationDataNumber}, requested ${version.tcbEvaluationDataNumber}`, path);
    }
    return { body, issuerChainPem, tcbInfo };
  }

  /** GET /sgx/certification/v4/qe/identity */
  async qeIdentity(version: VersionQuery = {}): Promise<FetchedQeIdentity> {
    const path = PCS_PATH_QE_IDENTITY;
    const { headers, body } = await this.get(path, PcsClient.versionQuery(path, version));
    const issuerChainPem = this.issuerChain(headers, path, [HEADER_ENCLAVE_IDENTITY_ISSUER_CHAIN]);
    let qeIdentity: QeIdentity;
    try {
      qeIdentity = parseQeIdentity(splitSignedCollateral(CollateralKind.QeIdentity, body, "enclaveIdentity").body);
    } catch (cause) {
      throw PcsClient.bodyError(path, "not a QE Identity v2 body", cause);
    }
    if (version.tcbEvaluationDataNumber !== undefined && qeIdentity.tcbEvaluationDataNumber !== version.tcbEvaluationDataNumber) {
      throw new PcsClientError("PcsBodyInvalid", `QE Identity has tcbEvaluationDataNumber ${qeIdentity.tcbEvaluationDataNumber}, requested ${version.tcbEvaluationDataNumber}`, path);
    }
    return { body, issuerChainPem, qeIdentity };
  }

  /** GET /sgx/certification/v4/pckcrl?ca=…&encoding=… (DER by default; PEM is decoded). */
  async pckCrl(ca: "platform" | "processor", encoding: CrlEncoding = "der"): Promise<FetchedCrl> {
    const path = PCS_PATH_PCK_CRL;
    if (ca !== "platform" && ca !== "processor") throw new PcsClientError("PcsRequestInvalid", `ca must be platform or processor, got ${JSON.stringify(ca)}`, path);
    if (encoding !== "der" && encoding !== "pem") throw new PcsClientError("PcsRequestInvalid", `encoding must be der or pem, got ${JSON.stringify(encoding)}`, path);
    const { headers, body } = await this.get(path, { ca, encoding });
    const issuerChainPem = this.issuerChain(headers, path, [HEADER_PCK_CRL_ISSUER_CHAIN]);
    const der = encoding === "der" ? body : PcsClient.crlFromPem(path, body);
    return { der, crl: PcsClient.parse(path, der), issuerChainPem };
  }

  /** GET /sgx/certification/v4/rootcacrl (PCCS): hex text of the DER CRL, or the DER itself. */
  async rootCaCrl(): Promise<FetchedCrl> {
    const path = PCS_PATH_ROOT_CA_CRL;
    const { headers, body } = await this.get(path, {});
    const contentType = headers.get("content-type") ?? "";
    let der: Buffer;
    if (contentType.startsWith(CONTENT_TYPE_CRL_DER) || body[0] === 0x30) {
      der = body;
    } else {
      const text = body.toString("latin1").trim();
      if (!/^(?:[0-9a-fA-F]{2})+$/.test(text)) throw new PcsClientError("PcsBodyInvalid", "root CA CRL is neither DER nor hex text", path);
      der = Buffer.from(text, "hex");
    }
    return { der, crl: PcsClient.parse(path, der) };
  }

  private static crlFromPem(path: string, body: Buffer): Buffer {
    const m = /^-----BEGIN X509 CRL-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END X509 CRL-----\s*$/.exec(body.toString("latin1"));
    const b64 = m?.[1].replace(/[\r\n]/g, "");
    if (b64 === undefined || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64)) throw new PcsClientError("PcsBodyInvalid", "not a PEM X509 CRL", path);
    return Buffer.from(b64, "base64");
  }

  private static parse(path: string, der: Buffer): Crl {
    try {
      return parseCrl(der);
    } catch (cause) {
      throw PcsClient.bodyError(path, "not a CRL", cause);
    }
  }

  /**
   * Everything `verifyQuote` takes for a platform: TCB Info for `fmspc`, QE Identity, the root CA CRL and the
   * PCK CA CRL of `ca`. The two TCB Signing chains (TCB Info's and QE Identity's) must be the same bytes.
   */
  async collateral(fmspc: string, ca: "platform" | "processor" = "platform", version: VersionQuery = {}): Promise<FetchedCollateral> {
    const [tcbInfo, qeIdentity, rootCaCrl, pckCrl] = await Promise.all([this.tcbInfo(fmspc, version), this.qeIdentity(version), this.rootCaCrl(), this.pckCrl(ca)]);
    if (!tcbInfo.issuerChainPem.equals(qeIdentity.issuerChainPem)) {
      throw new PcsClientError("PcsHeaderInvalid", `${HEADER_TCB_INFO_ISSUER_CHAIN} and ${HEADER_ENCLAVE_IDENTITY_ISSUER_CHAIN} differ`, PCS_PATH_QE_IDENTITY, { header: HEADER_ENCLAVE_IDENTITY_ISSUER_CHAIN });
    }
    return {
      collateral: { tcbInfo: tcbInfo.body, qeIdentity: qeIdentity.body, tcbSigningChainPem: tcbInfo.issuerChainPem, crls: [rootCaCrl.der, pckCrl.der] },
      tcbInfo,
      qeIdentity,
      rootCaCrl,
      pckCrl,
    };
  }
}
