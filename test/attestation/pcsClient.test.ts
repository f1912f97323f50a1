/**
 * The PCS client against the development PCS over real HTTP (127.0.0.1): Intel's v4 paths, query rules, status
 * codes and headers; fetched collateral verifies a development quote; and every error path of the client
 * (status, missing or malformed headers, bodies that are not what the endpoint serves, size limit, no server).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import {
  DevelopmentPcs,
  DevelopmentPcsServer,
  DevelopmentQuotingEnclave,
  DEV_PLATFORM,
  PcsClient,
  PcsClientError,
  HEADER_ENCLAVE_IDENTITY_ISSUER_CHAIN,
  HEADER_PCK_CRL_ISSUER_CHAIN,
  HEADER_TCB_INFO_ISSUER_CHAIN,
  developmentPcsContent,
  encodeIssuerChainHeader,
  parseCertificate,
  CertificateRole,
  pinRoot,
  splitPemChain,
  verifyQuote,
  type PcsErrorCode,
} from "../../src/attestation/dcap";
import { FIXTURE_ISSUE, FIXTURE_NEXT_UPDATE, FIXTURE_VERIFY_AT } from "../../scripts/dcap-dev-fixtures";

const NOW = FIXTURE_VERIFY_AT;
const FMSPC = DEV_PLATFORM.fmspc;

async function expectPcsError(p: Promise<unknown>, code: PcsErrorCode, status?: number): Promise<PcsClientError> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof PcsClientError)) throw e;
    expect(e.code, e.message).to.equal(code);
    if (status !== undefined) expect(e.details.status, e.message).to.equal(status);
    return e;
  }
  throw new Error(`expected ${code}, got a response`);
}

/** A raw GET: status and headers, for what the client never sends. */
async function rawGet(url: string, method = "GET"): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(url, { method });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** A one-route server answering every request with `reply` (to feed the client broken responses). */
async function fakePcs(reply: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(reply);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe("attestation: PCS client against the development PCS over HTTP", function () {
  this.timeout(120_000);
  const pcs = new DevelopmentPcs();
  const qe = new DevelopmentQuotingEnclave();
  let server: DevelopmentPcsServer;
  let client: PcsClient;

  before(async function () {
    server = await DevelopmentPcsServer.start({ content: developmentPcsContent(pcs, FIXTURE_ISSUE, FIXTURE_NEXT_UPDATE) });
    client = new PcsClient({ baseUrl: server.url });
  });

  after(async function () {
    await server.close();
  });

  afterEach(function () {
    server.setContent(developmentPcsContent(pcs, FIXTURE_ISSUE, FIXTURE_NEXT_UPDATE));
  });

  it("binds 127.0.0.1 on a free port", function () {
    expect(server.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("fetches TCB Info, QE Identity and both CRLs whose use verifies a development quote", async function () {
    const fetched = await client.collateral(FMSPC.toUpperCase(), "platform");
    expect(fetched.tcbInfo.tcbInfo.fmspc).to.equal(FMSPC);
    expect(fetched.tcbInfo.issuerChainPem.equals(pcs.tcbSigningChainPem())).to.equal(true);
    expect(fetched.qeIdentity.issuerChainPem.equals(pcs.tcbSigningChainPem())).to.equal(true);
    expect(fetched.pckCrl.issuerChainPem!.equals(pcs.pckCaChainPem("platform"))).to.equal(true);
    expect(fetched.rootCaCrl.der.equals(pcs.rootCaCrl({ thisUpdate: FIXTURE_ISSUE, nextUpdate: FIXTURE_NEXT_UPDATE }))).to.equal(true);
    const body = new Uint8Array(384).fill(7, 64, 96); // MRENCLAVE 07…07, not DEBUG
    const v = verifyQuote(qe.quote(body), fetched.collateral, { now: NOW, root: pinRoot(pcs.rootDer) });
    expect([v.tcbStatus, v.revocationChecked, v.mrenclave]).to.deep.equal(["UpToDate", true, "0x" + "07".repeat(32)]);
    const paths = server.requests.map((r) => r.url.split("?")[0]).sort();
    expect(paths).to.deep.equal(["/sgx/certification/v4/pckcrl", "/sgx/certification/v4/qe/identity", "/sgx/certification/v4/rootcacrl", "/sgx/certification/v4/tcb"]);
  });

  it("serves Intel's headers and content types: URL-encoded issuer chains, JSON, PEM or DER CRLs, a Request-ID", async function () {
    const tcb = await rawGet(`${server.url}/sgx/certification/v4/tcb?fmspc=${FMSPC}`);
    expect(tcb.status).to.equal(200);
    expect(tcb.headers.get("content-type")).to.equal("application/json");
    expect(tcb.headers.get(HEADER_TCB_INFO_ISSUER_CHAIN)).to.equal(encodeIssuerChainHeader(pcs.tcbSigningChainPem()));
    expect(tcb.headers.get(HEADER_TCB_INFO_ISSUER_CHAIN)).to.match(/^-----BEGIN%20CERTIFICATE-----%0A/);
    expect(tcb.headers.get("request-id")).to.match(/^[0-9a-f]{32}$/);
    const qeId = await rawGet(`${server.url}/sgx/certification/v4/qe/identity`);
    expect(qeId.headers.get(HEADER_ENCLAVE_IDENTITY_ISSUER_CHAIN)).to.equal(encodeIssuerChainHeader(pcs.tcbSigningChainPem()));
    const pem = await rawGet(`${server.url}/sgx/certification/v4/pckcrl?ca=processor`);
    expect([pem.status, pem.headers.get("content-type")]).to.deep.equal([200, "application/x-pem-file"]);
    expect(pem.body.toString()).to.match(/^-----BEGIN X509 CRL-----\n/);
    expect(decodeURIComponent(pem.headers.get(HEADER_PCK_CRL_ISSUER_CHAIN)!)).to.equal(pcs.pckCaChainPem("processor").toString("latin1"));
    const der = await rawGet(`${server.url}/sgx/certification/v4/pckcrl?ca=platform&encoding=der`);
    expect([der.status, der.headers.get("content-type"), der.body[0]]).to.deep.equal([200, "application/pkix-crl", 0x30]);
    const root = await rawGet(`${server.url}/sgx/certification/v4/rootcacrl`);
    expect(root.body.toString()).to.match(/^30[0-9a-f]+$/);
    // The client reads the PEM encoding too, and a base URL already ending in /sgx/certification/v4/.
    const viaPem = await new PcsClient({ baseUrl: `${server.url}/sgx/certification/v4/` }).pckCrl("processor", "pem");
    expect(parseCertificate(splitPemChain(viaPem.issuerChainPem!)[0], CertificateRole.PckCa).serial).to.have.length(40);
    expect(viaPem.der.equals(pcs.pckCrl("processor", { thisUpdate: FIXTURE_ISSUE, nextUpdate: FIXTURE_NEXT_UPDATE }))).to.equal(true);
  });

  it("answers bad queries 400 (with Error-Code), unknown FMSPC and paths 404, an older evaluation number 410", async function () {
    const cases: [string, number, string?][] = [
      ["/sgx/certification/v4/tcb", 400],
      ["/sgx/certification/v4/tcb?fmspc=00dec00000", 400],
      ["/sgx/certification/v4/tcb?fmspc=00dec000000g", 400],
      [`/sgx/certification/v4/tcb?fmspc=${FMSPC}&fmspc=${FMSPC}`, 400],
      [`/sgx/certification/v4/tcb?fmspc=${FMSPC}&update=early&tcbEvaluationDataNumber=17`, 400],
      [`/sgx/certification/v4/tcb?fmspc=${FMSPC}&update=late`, 400],
      [`/sgx/certification/v4/tcb?fmspc=${FMSPC}&tcbEvaluationDataNumber=-1`, 400],
      [`/sgx/certification/v4/tcb?fmspc=${FMSPC}&extra=1`, 400],
      ["/sgx/certification/v4/tcb?fmspc=00606a000000", 404],
      [`/sgx/certification/v4/tcb?fmspc=${FMSPC}&tcbEvaluationDataNumber=18`, 404],
      [`/sgx/certification/v4/tcb?fmspc=${FMSPC}&tcbEvaluationDataNumber=16`, 410],
      [`/sgx/certification/v4/tcb?fmspc=${FMSPC}&tcbEvaluationDataNumber=17`, 200],
      [`/sgx/certification/v4/tcb?fmspc=${FMSPC}&update=early`, 200],
      ["/sgx/certification/v4/qe/identity?tcbEvaluationDataNumber=3", 410],
      ["/sgx/certification/v4/qe/identity?update=standard", 200],
      ["/sgx/certification/v4/pckcrl", 400],
      ["/sgx/certification/v4/pckcrl?ca=intel", 400],
      ["/sgx/certification/v4/pckcrl?ca=platform&encoding=base64", 400],
      ["/sgx/certification/v4/rootcacrl?x=1", 400],
      ["/sgx/certification/v3/tcb?fmspc=" + FMSPC, 404],
      ["/sgx/certification/v4/pckcert", 404],
      ["/tdx/certification/v4/tcb?fmspc=" + FMSPC, 404],
      ["/", 404],
    ];
    for (const [path, status] of cases) {
      const r = await rawGet(server.url + path);
      expect(r.status, path).to.equal(status);
      expect(r.headers.get("request-id"), path).to.match(/^[0-9a-f]{32}$/);
      if (status === 400) expect(r.headers.get("error-code"), path).to.equal("InvalidRequestSyntax");
    }
    expect((await rawGet(`${server.url}/sgx/certification/v4/qe/identity`, "POST")).status).to.equal(404);
  });

  it("maps statuses to PcsHttpStatus with the PCS's Error-Code, and refuses bad arguments before sending", async function () {
    const notFound = await expectPcsError(client.tcbInfo("00606a000000"), "PcsHttpStatus", 404);
    expect(notFound.details.requestId).to.match(/^[0-9a-f]{32}$/);
    await expectPcsError(client.tcbInfo(FMSPC, { tcbEvaluationDataNumber: 16 }), "PcsHttpStatus", 410);
    await expectPcsError(client.qeIdentity({ tcbEvaluationDataNumber: 99 }), "PcsHttpStatus", 404);
    expect((await client.tcbInfo(FMSPC, { tcbEvaluationDataNumber: 17 })).tcbInfo.tcbEvaluationDataNumber).to.equal(17);
    expect((await client.qeIdentity({ update: "early" })).qeIdentity.isvProdId).to.equal(1);
    const before = server.requests.length;
    await expectPcsError(client.tcbInfo("00dec0"), "PcsRequestInvalid");
    await expectPcsError(client.tcbInfo(FMSPC, { update: "early", tcbEvaluationDataNumber: 17 }), "PcsRequestInvalid");
    await expectPcsError(client.tcbInfo(FMSPC, { tcbEvaluationDataNumber: -1 }), "PcsRequestInvalid");
    await expectPcsError(client.pckCrl("other" as never), "PcsRequestInvalid");
    await expectPcsError(client.pckCrl("platform", "base64" as never), "PcsRequestInvalid");
    expect(server.requests.length, "nothing sent").to.equal(before);
    for (const base of ["not a url", "ftp://127.0.0.1/", "http://127.0.0.1/?a=1", "http://user:pw@127.0.0.1/"]) {
      expect(() => new PcsClient({ baseUrl: base }), base).to.throw(PcsClientError).with.property("code", "PcsRequestInvalid");
    }
  });

  it("serves replaced content: an expired TCB Info is fetched and then refused by the verifier", async function () {
    const content = developmentPcsContent(pcs, FIXTURE_ISSUE, FIXTURE_NEXT_UPDATE);
    server.setContent({ ...content, tcbInfos: [pcs.tcbInfo({ issueDate: FIXTURE_ISSUE, nextUpdate: NOW - 1n })] });
    const fetched = await client.collateral(FMSPC);
    expect(() => verifyQuote(qe.quote(new Uint8Array(384)), fetched.collateral, { now: NOW, root: pinRoot(pcs.rootDer) }))
      .to.throw()
      .with.property("code", "CollateralExpired");
  });

  it("reports unreachable servers, missing and malformed headers, wrong bodies and oversized bodies specifically", async function () {
    const content = developmentPcsContent(pcs, FIXTURE_ISSUE, FIXTURE_NEXT_UPDATE);
    const chain = encodeIssuerChainHeader(pcs.tcbSigningChainPem());
    const tcbBody = Buffer.from(content.tcbInfos[0]);
    let reply: (req: http.IncomingMessage, res: http.ServerResponse) => void = () => undefined;
    const fake = await fakePcs((req, res) => reply(req, res));
    const c = new PcsClient({ baseUrl: fake.url, maxBodyBytes: 64 * 1024 });
    const respond = (headers: Record<string, string>, body: Uint8Array | string, status = 200) => {
      reply = (_req, res) => {
        res.writeHead(status, headers);
        res.end(body);
      };
    };
    try {
      respond({}, tcbBody);
      const missing = await expectPcsError(c.tcbInfo(FMSPC), "PcsHeaderMissing");
      expect(missing.details.header).to.equal(HEADER_TCB_INFO_ISSUER_CHAIN);
      // PCCS's (and v3's) header name is accepted for TCB Info.
      respond({ "SGX-TCB-Info-Issuer-Chain": chain }, tcbBody);
      expect((await c.tcbInfo(FMSPC)).issuerChainPem.equals(pcs.tcbSigningChainPem())).to.equal(true);
      respond({ [HEADER_TCB_INFO_ISSUER_CHAIN]: "%E0%A4%A" }, tcbBody);
      await expectPcsError(c.tcbInfo(FMSPC), "PcsHeaderInvalid");
      respond({ [HEADER_TCB_INFO_ISSUER_CHAIN]: encodeIssuerChainHeader(pcs.tcbSigningChainPem().subarray(0, 900)) }, tcbBody);
      await expectPcsError(c.tcbInfo(FMSPC), "PcsHeaderInvalid");
      respond({ [HEADER_TCB_INFO_ISSUER_CHAIN]: encodeIssuerChainHeader(pcs.tcbSigningChainPem().toString("latin1").split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n") }, tcbBody);
      const one = await expectPcsError(c.tcbInfo(FMSPC), "PcsHeaderInvalid");
      expect(one.message).to.include("1 certificates");
      respond({ [HEADER_TCB_INFO_ISSUER_CHAIN]: chain }, "{}");
      await expectPcsError(c.tcbInfo(FMSPC), "PcsBodyInvalid");
      respond({ [HEADER_TCB_INFO_ISSUER_CHAIN]: chain }, pcs.tcbInfo({ issueDate: FIXTURE_ISSUE, nextUpdate: FIXTURE_NEXT_UPDATE, fmspc: "00606a000000" }));
      expect((await expectPcsError(c.tcbInfo(FMSPC), "PcsBodyInvalid")).message).to.include("requested");
      respond({ [HEADER_TCB_INFO_ISSUER_CHAIN]: chain }, content.qeIdentity);
      await expectPcsError(c.tcbInfo(FMSPC), "PcsBodyInvalid");
      respond({ [HEADER_ENCLAVE_IDENTITY_ISSUER_CHAIN]: chain }, tcbBody);
      await expectPcsError(c.qeIdentity(), "PcsBodyInvalid");
      respond({ [HEADER_PCK_CRL_ISSUER_CHAIN]: encodeIssuerChainHeader(content.pckCrlIssuerChains.platform) }, Buffer.from("30030201", "hex"));
      await expectPcsError(c.pckCrl("platform"), "PcsBodyInvalid");
      respond({ [HEADER_PCK_CRL_ISSUER_CHAIN]: encodeIssuerChainHeader(content.pckCrlIssuerChains.platform) }, "-----BEGIN X509 CRL-----\n*\n-----END X509 CRL-----\n");
      await expectPcsError(c.pckCrl("platform", "pem"), "PcsBodyInvalid");
      respond({}, "not hex");
      await expectPcsError(c.rootCaCrl(), "PcsBodyInvalid");
      respond({ "Content-Type": "application/pkix-crl" }, content.rootCaCrl);
      expect((await c.rootCaCrl()).der.equals(Buffer.from(content.rootCaCrl))).to.equal(true);
      respond({ [HEADER_TCB_INFO_ISSUER_CHAIN]: chain }, Buffer.alloc(70 * 1024, 0x20));
      await expectPcsError(c.tcbInfo(FMSPC), "PcsBodyTooLarge");
      reply = (_req, res) => {
        res.writeHead(200, { [HEADER_TCB_INFO_ISSUER_CHAIN]: chain }); // chunked, no Content-Length
        for (let i = 0; i < 80; i++) res.write(Buffer.alloc(1024, 0x20));
        res.end();
      };
      await expectPcsError(c.tcbInfo(FMSPC), "PcsBodyTooLarge");
      respond({ "Error-Code": "InvalidRequestSyntax", "Error-Message": "bad" }, "", 400);
      const status = await expectPcsError(c.qeIdentity(), "PcsHttpStatus", 400);
      expect([status.details.errorCode, status.details.errorMessage]).to.deep.equal(["InvalidRequestSyntax", "bad"]);
      respond({ Location: "https://example.invalid/" }, "", 302);
      await expectPcsError(c.qeIdentity(), "PcsUnreachable");
    } finally {
      await fake.close();
    }
    // Nothing listens there any more.
    await expectPcsError(c.qeIdentity(), "PcsUnreachable");
    // TCB Info and QE Identity whose TCB Signing chains differ: collateral() refuses to pick one.
    const split = await fakePcs((req, res) => {
      const path = (req.url ?? "").split("?")[0];
      if (path.endsWith("/tcb")) res.writeHead(200, { [HEADER_TCB_INFO_ISSUER_CHAIN]: chain }).end(tcbBody);
      else if (path.endsWith("/qe/identity")) res.writeHead(200, { [HEADER_ENCLAVE_IDENTITY_ISSUER_CHAIN]: encodeIssuerChainHeader(content.pckCrlIssuerChains.platform) }).end(content.qeIdentity);
      else if (path.endsWith("/rootcacrl")) res.writeHead(200).end(Buffer.from(content.rootCaCrl).toString("hex"));
      else res.writeHead(200, { [HEADER_PCK_CRL_ISSUER_CHAIN]: encodeIssuerChainHeader(content.pckCrlIssuerChains.platform) }).end(content.pckCrls.platform);
    });
    try {
      const differ = await expectPcsError(new PcsClient({ baseUrl: split.url }).collateral(FMSPC), "PcsHeaderInvalid");
      expect(differ.details.header).to.equal(HEADER_ENCLAVE_IDENTITY_ISSUER_CHAIN);
    } finally {
      await split.close();
    }
    const slow = await fakePcs(() => undefined);
    try {
      await expectPcsError(new PcsClient({ baseUrl: slow.url, timeoutMs: 200 }).qeIdentity(), "PcsUnreachable");
    } finally {
      await slow.close();
    }
  });
});
