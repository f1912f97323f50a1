/**
 * The development ("SIMULATION") PCS over HTTP: the Intel PCS API v4 paths, query rules, status codes and
 * headers (pcsApi.ts), serving what `DevelopmentPcs` signs, so the node's real PCS client is tested against
 * it over a socket. Bound to 127.0.0.1 only; port 0 picks a free port.
 *
 *   GET /sgx/certification/v4/tcb?fmspc=…[&update=early|standard | &tcbEvaluationDataNumber=n]
 *       200 application/json, TCB-Info-Issuer-Chain; 400 bad query; 404 unknown FMSPC or a newer number;
 *       410 an older number than the one served
 *   GET /sgx/certification/v4/qe/identity[?update=… | ?tcbEvaluationDataNumber=n]
 *       200 application/json, SGX-Enclave-Identity-Issuer-Chain; 400; 404; 410 as above
 *   GET /sgx/certification/v4/pckcrl?ca=platform|processor[&encoding=pem|der]
 *       200 application/x-pem-file (default) or application/pkix-crl, SGX-PCK-CRL-Issuer-Chain; 400 bad query
 *   GET /sgx/certification/v4/rootcacrl   (as Intel's PCCS serves it: the DER CRL as hex text)
 * Anything else is 404; every response carries a Request-ID.
 */
import http from "node:http";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { CollateralKind } from "./errors";
import { parseQeIdentity, parseTcbInfo, splitSignedCollateral } from "./collateral";
import { DevelopmentPcs, type DevTime } from "./devPcs";
import {
  CONTENT_TYPE_CRL_DER,
  CONTENT_TYPE_JSON,
  CONTENT_TYPE_PEM,
  CRL_ENCODINGS,
  EVALUATION_NUMBER_PATTERN,
  FMSPC_PATTERN,
  HEADER_ENCLAVE_IDENTITY_ISSUER_CHAIN,
  HEADER_ERROR_CODE,
  HEADER_ERROR_MESSAGE,
  HEADER_PCK_CRL_ISSUER_CHAIN,
  HEADER_REQUEST_ID,
  HEADER_TCB_INFO_ISSUER_CHAIN,
  HTTP_BAD_REQUEST,
  HTTP_GONE,
  HTTP_NOT_FOUND,
  HTTP_OK,
  PCK_CAS,
  PCS_PATH_PCK_CRL,
  PCS_PATH_QE_IDENTITY,
  PCS_PATH_ROOT_CA_CRL,
  PCS_PATH_TCB,
  UPDATE_TYPES,
  crlPem,
  encodeIssuerChainHeader,
} from "./pcsApi";

/** What the server serves; replace it with `setContent` (e.g. to serve expired or revoked collateral). */
export interface DevPcsContent {
  /** TCB Info bodies, one per FMSPC (read from the body). */
  tcbInfos: readonly Uint8Array[];
  qeIdentity: Uint8Array;
  /** TCB Signing certificate then root, PEM. */
  tcbSigningChainPem: Uint8Array;
  rootCaCrl: Uint8Array;
  pckCrls: { platform: Uint8Array; processor: Uint8Array };
  pckCrlIssuerChains: { platform: Uint8Array; processor: Uint8Array };
}

/** Current collateral from `pcs` for the window [issueDate, nextUpdate]: the default levels, empty CRLs. */
export function developmentPcsContent(pcs: DevelopmentPcs, issueDate: DevTime, nextUpdate: DevTime): DevPcsContent {
  const crl = { thisUpdate: issueDate, nextUpdate };
  return {
    tcbInfos: [pcs.tcbInfo({ issueDate, nextUpdate })],
    qeIdentity: pcs.qeIdentity({ issueDate, nextUpdate }),
    tcbSigningChainPem: pcs.tcbSigningChainPem(),
    rootCaCrl: pcs.rootCaCrl(crl),
    pckCrls: { platform: pcs.pckCrl("platform", crl), processor: pcs.pckCrl("processor", crl) },
    pckCrlIssuerChains: { platform: pcs.pckCaChainPem("platform"), processor: pcs.pckCaChainPem("processor") },
  };
}

interface Indexed {
  content: DevPcsContent;
  tcbInfoByFmspc: Map<string, { body: Uint8Array; number: number }>;
  qeNumber: number;
}

function index(content: DevPcsContent): Indexed {
  const tcbInfoByFmspc = new Map<string, { body: Uint8Array; number: number }>();
  for (const body of content.tcbInfos) {
    const info = parseTcbInfo(splitSignedCollateral(CollateralKind.TcbInfo, body, "tcbInfo").body);
    if (tcbInfoByFmspc.has(info.fmspc)) throw new RangeError(`two TCB Info bodies for FMSPC ${info.fmspc}`);
    tcbInfoByFmspc.set(info.fmspc, { body, number: info.tcbEvaluationDataNumber });
  }
  const qe = parseQeIdentity(splitSignedCollateral(CollateralKind.QeIdentity, content.qeIdentity, "enclaveIdentity").body);
  return { content, tcbInfoByFmspc, qeNumber: qe.tcbEvaluationDataNumber };
}

export interface DevPcsServerOptions {
  content: DevPcsContent;
  /** Default 0: any free port. */
  port?: number;
}

export interface ServedRequest {
  method: string;
  url: string;
  status: number;
}

/** A SIMULATION-only PCS on 127.0.0.1. */
export class DevelopmentPcsServer {
  private state: Indexed;
  /** Every request answered, in order (for tests). */
  readonly requests: ServedRequest[] = [];

  private constructor(
    private readonly server: http.Server,
    content: DevPcsContent,
  ) {
    this.state = index(content);
  }

  static async start(options: DevPcsServerOptions): Promise<DevelopmentPcsServer> {
    const server = http.createServer();
    const pcs = new DevelopmentPcsServer(server, options.content);
    server.on("request", (req, res) => pcs.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    return pcs;
  }

  /** `http://127.0.0.1:<port>`: the base URL a PCS client takes. */
  get url(): string {
    const address = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  setContent(content: DevPcsContent): void {
    this.state = index(content);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((e) => (e ? reject(e) : resolve())));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const requestId = randomBytes(16).toString("hex");
    const send = (status: number, headers: Record<string, string>, body?: Uint8Array | string) => {
      this.requests.push({ method: req.method ?? "", url: req.url ?? "", status });
      const payload = body === undefined ? undefined : typeof body === "string" ? Buffer.from(body, "latin1") : Buffer.from(body);
      res.writeHead(status, { [HEADER_REQUEST_ID]: requestId, ...(payload ? { "Content-Length": String(payload.length) } : { "Content-Length": "0" }), ...headers });
      res.end(payload);
    };
    const badRequest = (message: string) => send(HTTP_BAD_REQUEST, { [HEADER_ERROR_CODE]: "InvalidRequestSyntax", [HEADER_ERROR_MESSAGE]: message });
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://127.0.0.1");
    } catch {
      return badRequest("Malformed URL");
    }
    if (req.method !== "GET") return send(HTTP_NOT_FOUND, {});
    const q = url.searchParams;
    const s = this.state;
    const only = (...allowed: string[]) => [...q.keys()].every((k) => allowed.includes(k)) && [...new Set(q.keys())].every((k) => q.getAll(k).length === 1);
    /** update / tcbEvaluationDataNumber: 400 when bad or both; the status for a number against `served`. */
    const versionQuery = (served: number): number | "bad" => {
      const update = q.get("update");
      const number = q.get("tcbEvaluationDataNumber");
      if (update !== null && number !== null) return "bad";
      if (update !== null && !(UPDATE_TYPES as readonly string[]).includes(update)) return "bad";
      if (number === null) return HTTP_OK;
      if (!EVALUATION_NUMBER_PATTERN.test(number)) return "bad";
      const n = Number(number);
      return n === served ? HTTP_OK : n < served ? HTTP_GONE : HTTP_NOT_FOUND;
    };

    switch (url.pathname) {
      case PCS_PATH_TCB: {
        const fmspc = q.get("fmspc");
        if (!only("fmspc", "update", "tcbEvaluationDataNumber") || fmspc === null || !FMSPC_PATTERN.test(fmspc)) return badRequest("fmspc");
        const item = s.tcbInfoByFmspc.get(fmspc.toLowerCase());
        const v = versionQuery(item?.number ?? 0);
        if (v === "bad") return badRequest("update/tcbEvaluationDataNumber");
        if (item === undefined) return send(HTTP_NOT_FOUND, {});
        if (v !== HTTP_OK) return send(v, {});
        return send(HTTP_OK, { "Content-Type": CONTENT_TYPE_JSON, [HEADER_TCB_INFO_ISSUER_CHAIN]: encodeIssuerChainHeader(s.content.tcbSigningChainPem) }, item.body);
      }
      case PCS_PATH_QE_IDENTITY: {
        if (!only("update", "tcbEvaluationDataNumber")) return badRequest("query");
        const v = versionQuery(s.qeNumber);
        if (v === "bad") return badRequest("update/tcbEvaluationDataNumber");
        if (v !== HTTP_OK) return send(v, {});
        return send(HTTP_OK, { "Content-Type": CONTENT_TYPE_JSON, [HEADER_ENCLAVE_IDENTITY_ISSUER_CHAIN]: encodeIssuerChainHeader(s.content.tcbSigningChainPem) }, s.content.qeIdentity);
      }
      case PCS_PATH_PCK_CRL: {
        const ca = q.get("ca");
        const encoding = q.get("encoding") ?? "pem";
        if (!only("ca", "encoding") || ca === null || !(PCK_CAS as readonly string[]).includes(ca) || !(CRL_ENCODINGS as readonly string[]).includes(encoding)) return badRequest("ca/encoding");
        const which = ca as "platform" | "processor";
        const der = s.content.pckCrls[which];
        const headers = { [HEADER_PCK_CRL_ISSUER_CHAIN]: encodeIssuerChainHeader(s.content.pckCrlIssuerChains[which]) };
        return encoding === "der"
          ? send(HTTP_OK, { "Content-Type": CONTENT_TYPE_CRL_DER, ...headers }, der)
          : send(HTTP_OK, { "Content-Type": CONTENT_TYPE_PEM, ...headers }, crlPem(der));
      }
      case PCS_PATH_ROOT_CA_CRL: {
        if (!only()) return badRequest("query");
        // Intel's PCCS answers with the DER CRL as hex text (its "backward compatibility" conversion).
        return send(HTTP_OK, { "Content-Type": "text/plain; charset=utf-8" }, Buffer.from(s.content.rootCaCrl).toString("hex"));
      }
      default:
        return send(HTTP_NOT_FOUND, {});
    }
  }
}
