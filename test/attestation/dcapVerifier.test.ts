import { expect } from "chai";
import { sha256 } from "@noble/hashes/sha2.js";
import {
  CertificateRole,
  CollateralKind,
  DcapVerificationError,
  decodeQuote,
  encodeQuote,
  partsOf,
  splitPemChain,
  verifyP256,
  verifyQuote,
  type DcapCollateral,
  type DcapPolicy,
  type PinnedRoot,
  type TcbStatus,
} from "../../src/attestation/dcap";
import {
  DCAP_VECTOR_TIME,
  REAL_MRENCLAVE,
  TestPki,
  dcapFile,
  flipS,
  patched,
  pem,
  realCollateral,
  realQuote,
  realTcbInfo,
  realQeIdentity,
  replaceHex,
  xorByte,
} from "./dcapVectors";
import { CERT_TYPE, ISV_SIGNATURE, SIGNED_FIELD_MUTATIONS, rootCrlWithEntry, signedFieldMutation, withChain } from "./dcapMutations";

/** The real platform's status (its PCK certificate's TCB level in the 0825 TCB Info). */
const REAL_STATUS: TcbStatus = "SWHardeningNeeded";
const ALLOW_REAL: DcapPolicy = { allowedTcbStatuses: ["UpToDate", REAL_STATUS] };

function expectError(fn: () => unknown, code: string, args?: unknown[]): DcapVerificationError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof DcapVerificationError)) throw e;
    expect(e.code, e.message).to.equal(code);
    if (args !== undefined) expect(e.args, e.signature).to.deep.equal(args);
    expect(e.message).to.be.a("string").and.not.equal("");
    return e;
  }
  throw new Error(`expected ${code}, got a valid verdict`);
}

function verifyReal(quote: Uint8Array = realQuote(), collateral: DcapCollateral = realCollateral(), policy: DcapPolicy = ALLOW_REAL, now = DCAP_VECTOR_TIME) {
  return verifyQuote(quote, collateral, { now, policy });
}

describe("attestation: DCAP verifier (TypeScript)", function () {
  describe("the real Intel quote (v3, PCK chain, 0825 collateral)", function () {
    it("verifies at 1755236700 and yields its MRENCLAVE, TCB status, FMSPC and advisories", function () {
      const v = verifyReal(realQuote(), realCollateral(), { ...ALLOW_REAL, allowedMrenclaves: [REAL_MRENCLAVE] });
      expect(v.mrenclave).to.equal(REAL_MRENCLAVE);
      expect(v.mrsigner).to.equal("0x8f2dbc0f9c5d3378d596974b2deed1f93223cc49242899f83809bcc92546132c");
      expect([v.quoteVersion, v.isvProdId, v.isvSvn, v.debug]).to.deep.equal([3, 0, 0, false]);
      expect(v.tcbStatus).to.equal(REAL_STATUS);
      expect(v.qeTcbStatus).to.equal("UpToDate");
      expect(v.advisoryIds).to.deep.equal(["INTEL-SA-00615"]);
      expect(v.fmspc).to.equal("0x00606a000000");
      expect(v.pceId).to.equal("0x0000");
      expect(v.reportData).to.equal("0x" + "00".repeat(64));
      expect(v.revocationChecked).to.equal(true);
      expect(v.pckSerial).to.equal("0xd52864cbb1cefa9de768485947ebdc026799b496");
      expect(v.tcbEvaluationDataNumber).to.equal(17);
      // QE Identity's nextUpdate (2025-09-14T04:36:46Z) is the earliest.
      expect(v.collateralNextUpdate).to.equal(BigInt(Date.UTC(2025, 8, 14, 4, 36, 46) / 1000));
    });

    it("says revocation was not checked unless both CRLs are given", function () {
      const c = realCollateral();
      expect(verifyReal(realQuote(), { ...c, crls: [] }).revocationChecked).to.equal(false);
      expect(verifyReal(realQuote(), { ...c, crls: [realCollateral().crls![1]] }).revocationChecked).to.equal(false);
    });

    it("refuses the platform's TCB status under the default policy (only UpToDate)", function () {
      expectError(() => verifyReal(realQuote(), realCollateral(), {}), "TcbStatusNotAllowed", [REAL_STATUS]);
    });

    it("accepts Intel's high-s signatures as made (and the same signature with s flipped)", function () {
      const q = decodeQuote(realQuote());
      const flipped = flipS(q.isvSignature);
      expect(verifyP256(q.signedBytes, q.isvSignature, q.attestationKey)).to.equal(true);
      expect(verifyP256(q.signedBytes, flipped, q.attestationKey)).to.equal(true);
      const quote = Buffer.from(realQuote());
      Buffer.from(flipped).copy(quote, ISV_SIGNATURE);
      expect(verifyReal(quote).mrenclave).to.equal(REAL_MRENCLAVE);
      // r or s zero, or s = n, never verifies.
      const n = Buffer.from("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", "hex");
      expect(verifyP256(q.signedBytes, Uint8Array.from([...q.isvSignature.subarray(0, 32), ...new Uint8Array(32)]), q.attestationKey)).to.equal(false);
      expect(verifyP256(q.signedBytes, Uint8Array.from([...new Uint8Array(32), ...q.isvSignature.subarray(32)]), q.attestationKey)).to.equal(false);
      expect(verifyP256(q.signedBytes, Uint8Array.from([...q.isvSignature.subarray(0, 32), ...n]), q.attestationKey)).to.equal(false);
    });

    it("applies the enclave policy: MRENCLAVE allowlist, MRSIGNER, ISVPRODID, minimum ISVSVN", function () {
      const mrsigner = "0x8f2dbc0f9c5d3378d596974b2deed1f93223cc49242899f83809bcc92546132c";
      expectError(() => verifyReal(realQuote(), realCollateral(), { ...ALLOW_REAL, allowedMrenclaves: ["0x" + "11".repeat(32)] }), "MrenclaveNotAllowed", [REAL_MRENCLAVE]);
      expectError(() => verifyReal(realQuote(), realCollateral(), { ...ALLOW_REAL, signer: { mrsigner: "0x" + "22".repeat(32), isvProdId: 0, minIsvSvn: 0 } }), "MrsignerMismatch", ["0x" + "22".repeat(32), mrsigner]);
      expectError(() => verifyReal(realQuote(), realCollateral(), { ...ALLOW_REAL, signer: { mrsigner, isvProdId: 7, minIsvSvn: 0 } }), "IsvProdIdMismatch", [7n, 0n]);
      expectError(() => verifyReal(realQuote(), realCollateral(), { ...ALLOW_REAL, signer: { mrsigner, isvProdId: 0, minIsvSvn: 1 } }), "IsvSvnTooLow", [1n, 0n]);
      expect(verifyReal(realQuote(), realCollateral(), { ...ALLOW_REAL, signer: { mrsigner, isvProdId: 0, minIsvSvn: 0 } }).isvSvn).to.equal(0);
    });

    it("refuses a Revoked or unknown allowed status as a policy error, not a verdict", function () {
      expect(() => verifyReal(realQuote(), realCollateral(), { allowedTcbStatuses: ["Revoked"] })).to.throw(TypeError);
      expect(() => verifyReal(realQuote(), realCollateral(), { allowedTcbStatuses: ["Fine" as TcbStatus] })).to.throw(TypeError);
    });
  });

  describe("quote layout", function () {
    it("refuses TDX quotes (v4 and v5) by their TEE type", function () {
      expectError(() => verifyReal(dcapFile("quote_v4_tdx.bin")), "QuoteTeeTypeUnsupported", [0x81n]);
      expectError(() => verifyReal(dcapFile("quotes_tdx_quote_5.dat")), "QuoteTeeTypeUnsupported", [0x81n]);
      expectError(() => verifyReal(patched(realQuote(), 4, [0x81])), "QuoteTeeTypeUnsupported", [0x81n]);
    });

    it("refuses other versions, key types, QE vendors and certification data types", function () {
      expectError(() => verifyReal(patched(realQuote(), 0, [2, 0])), "QuoteVersionUnsupported", [2n]);
      expectError(() => verifyReal(patched(realQuote(), 0, [5, 0])), "QuoteVersionUnsupported", [5n]);
      expectError(() => verifyReal(patched(realQuote(), 2, [3, 0])), "AttestationKeyTypeUnsupported", [3n]);
      expectError(() => verifyReal(xorByte(realQuote(), 12)), "QeVendorIdUnsupported", ["0x929a7233f79c4ca9940a0db3957f0607"]);
      expectError(() => verifyReal(patched(realQuote(), CERT_TYPE, [1, 0])), "CertificationDataTypeUnsupported", [1n]);
      expectError(() => verifyReal(patched(realQuote(), CERT_TYPE, [6, 0])), "CertificationDataTypeUnsupported", [6n]);
    });

    it("checks every length: truncated, lengths past the end, trailing bytes", function () {
      const q = realQuote();
      expectError(() => verifyReal(q.subarray(0, 47)), "QuoteTruncated", [47n]);
      expectError(() => verifyReal(q.subarray(0, 300)), "QuoteTruncated", [48n]);
      expectError(() => verifyReal(q.subarray(0, 434)), "QuoteTruncated", [432n]);
      expectError(() => verifyReal(q.subarray(0, q.length - 1)), "QuoteTruncated", [436n]);
      expectError(() => verifyReal(Buffer.concat([q, Buffer.from([0])])), "QuoteTrailingBytes", [BigInt(q.length)]);
      // QE auth data length pointing past the signature data.
      expectError(() => verifyReal(patched(q, 1012, [0xff, 0xff])), "QuoteTruncated", [1014n]);
      // Certification data size one short: a byte is left inside the signature data.
      const size = q.readUInt32LE(1048);
      const short = Buffer.from(q);
      short.writeUInt32LE(size - 1, 1048);
      expectError(() => verifyReal(short), "QuoteTrailingBytes", [BigInt(q.length - 1)]);
      const long = Buffer.from(q);
      long.writeUInt32LE(size + 1, 1048);
      expectError(() => verifyReal(long), "QuoteTruncated", [1052n]);
    });

    it("decodes the v4 layout (QE report certification data, type 6) to the same fields", function () {
      const v3 = decodeQuote(realQuote());
      const v4bytes = encodeQuote({ ...partsOf(v3), header: patched(partsOf(v3).header, 0, [4, 0]) });
      const v4 = decodeQuote(v4bytes);
      expect(v4.version).to.equal(4);
      expect(v4.qeReport.raw).to.deep.equal(v3.qeReport.raw);
      expect(v4.pckChainPem).to.deep.equal(v3.pckChainPem);
      // The version is signed: Intel's signature no longer verifies.
      expectError(() => verifyReal(v4bytes), "QuoteSignatureInvalid", []);
    });
  });

  describe("mutations of the real quote's signed fields", function () {
    for (const [what, offset, code] of SIGNED_FIELD_MUTATIONS) {
      it(`${what} (byte ${offset}) -> ${code}`, function () {
        expectError(() => verifyReal(signedFieldMutation(offset)), code);
      });
    }
  });

  describe("the PCK certificate chain", function () {
    const chain = () => splitPemChain(decodeQuote(realQuote()).pckChainPem);

    it("refuses a chain of the wrong length, in the wrong order, or under another root", function () {
      const [pck, pckCa, root] = chain();
      expectError(() => verifyReal(withChain(realQuote(), [pck, root])), "PckChainLengthInvalid", [2n]);
      expectError(() => verifyReal(withChain(realQuote(), [pck, pckCa, root, root])), "PckChainLengthInvalid", [4n]);
      expectError(() => verifyReal(withChain(realQuote(), [pckCa, pck, root])), "CertificateIssuerMismatch", [BigInt(CertificateRole.PckCa)]);
      expectError(() => verifyReal(withChain(realQuote(), [pck, pckCa, dcapFile("signingDer.der")])), "RootCaNotPinned", [BigInt(CertificateRole.Root)]);
      const test = new TestPki();
      expectError(() => verifyReal(withChain(realQuote(), [pck, pckCa, test.rootDer])), "RootCaNotPinned", [BigInt(CertificateRole.Root)]);
    });

    it("refuses a PCK certificate whose signed bytes changed, per certificate", function () {
      const [pck, pckCa, root] = chain();
      // The case of one letter of the subject's locality ("Santa Clara", its last occurrence) in each TBS.
      const flipName = (der: Uint8Array) => xorByte(der, Buffer.from(der).lastIndexOf(Buffer.from("Santa Clara")), 0x20);
      expectError(() => verifyReal(withChain(realQuote(), [flipName(pck), pckCa, root])), "CertificateSignatureInvalid", [BigInt(CertificateRole.Pck)]);
      // The chain is checked from the root down: the PCK CA's own signature fails before the PCK's issuer link.
      expectError(() => verifyReal(withChain(realQuote(), [pck, flipName(pckCa), root])), "CertificateSignatureInvalid", [BigInt(CertificateRole.PckCa)]);
      // The signature itself.
      const badSig = Buffer.from(pck);
      badSig[badSig.length - 5] ^= 1;
      expectError(() => verifyReal(withChain(realQuote(), [badSig, pckCa, root])), "CertificateSignatureInvalid", [BigInt(CertificateRole.Pck)]);
    });

    it("refuses a chain that is not PEM CERTIFICATE blocks, and a malformed DER certificate", function () {
      const [pck, pckCa, root] = chain();
      expectError(() => verifyReal(withChain(realQuote(), "garbage")), "PckChainEncodingInvalid", [0n]);
      expectError(() => verifyReal(withChain(realQuote(), pem(pck) + pem(pckCa).replace("BEGIN CERTIFICATE", "BEGIN PRIVATE KEY"))), "PckChainEncodingInvalid", [1n]);
      expectError(() => verifyReal(withChain(realQuote(), pem(pck) + pem(pckCa) + pem(root).replace("-----\nMII", "-----\nM*I"))), "PckChainEncodingInvalid", [2n]);
      expectError(() => verifyReal(withChain(realQuote(), [pck.subarray(0, 100), pckCa, root])), "CertificateMalformed", [BigInt(CertificateRole.Pck), 0n]);
    });

    it("judges validity at the verification time", function () {
      const before = BigInt(Date.UTC(2024, 0, 1) / 1000);
      const after = BigInt(Date.UTC(2031, 5, 1) / 1000);
      const e = expectError(() => verifyReal(realQuote(), realCollateral(), ALLOW_REAL, before), "CertificateNotValidAt");
      expect(e.args[0]).to.equal(BigInt(CertificateRole.Pck));
      expect(e.args[1]).to.equal(BigInt(Date.UTC(2024, 2, 7, 15, 1, 4) / 1000));
      expectError(() => verifyReal(realQuote(), realCollateral(), ALLOW_REAL, after), "CertificateNotValidAt");
      // The shipped TCB Signing certificate starts 2025-05-06: collateral verified earlier needs its own chain.
      const e2 = expectError(() => verifyReal(realQuote(), realCollateral(), ALLOW_REAL, BigInt(Date.UTC(2025, 0, 1) / 1000)), "CertificateNotValidAt");
      expect(e2.args[0]).to.equal(BigInt(CertificateRole.TcbSigning));
    });
  });

  describe("collateral", function () {
    it("refuses TCB Info and QE Identity whose signed bytes or signature changed", function () {
      const tcb = realTcbInfo();
      const qe = realQeIdentity();
      const at = (b: Buffer, text: string) => b.indexOf(Buffer.from(text));
      expectError(() => verifyReal(realQuote(), { ...realCollateral(), tcbInfo: xorByte(tcb, at(tcb, '"pcesvn":13') + 10) }), "CollateralSignatureInvalid", [BigInt(CollateralKind.TcbInfo)]);
      expectError(() => verifyReal(realQuote(), { ...realCollateral(), tcbInfo: xorByte(tcb, at(tcb, '"signature":"') + 20) }), "CollateralSignatureInvalid", [BigInt(CollateralKind.TcbInfo)]);
      expectError(() => verifyReal(realQuote(), { ...realCollateral(), qeIdentity: xorByte(qe, at(qe, '"isvprodid":1') + 12, 0x03) }), "CollateralSignatureInvalid", [BigInt(CollateralKind.QeIdentity)]);
      expectError(() => verifyReal(realQuote(), { ...realCollateral(), qeIdentity: xorByte(qe, at(qe, '"signature":"') + 100) }), "CollateralSignatureInvalid", [BigInt(CollateralKind.QeIdentity)]);
    });

    it("refuses bodies not in the PCS form", function () {
      const tcb = realTcbInfo();
      const kind = BigInt(CollateralKind.TcbInfo);
      expectError(() => verifyReal(realQuote(), { ...realCollateral(), tcbInfo: realQeIdentity() }), "CollateralMalformed", [kind, 0n]);
      expectError(() => verifyReal(realQuote(), { ...realCollateral(), tcbInfo: Buffer.concat([tcb.subarray(0, tcb.length - 2), Buffer.from(',"x":1}')]) }), "CollateralMalformed");
      expectError(() => verifyReal(realQuote(), { ...realCollateral(), tcbInfo: Buffer.concat([tcb, Buffer.from("x")]) }), "CollateralMalformed");
      expectError(() => verifyReal(realQuote(), { ...realCollateral(), tcbInfo: tcb.subarray(0, 500) }), "CollateralMalformed", [kind, 11n]);
      // Trailing whitespace (a file saved with a newline) is fine.
      expect(verifyReal(realQuote(), { ...realCollateral(), tcbInfo: Buffer.concat([tcb, Buffer.from("\n")]) }).tcbStatus).to.equal(REAL_STATUS);
    });

    it("refuses expired collateral (each item at its own nextUpdate), unless within the policy's grace", function () {
      const qeNext = BigInt(Date.UTC(2025, 8, 14, 4, 36, 46) / 1000);
      const tcbNext = BigInt(Date.UTC(2025, 8, 14, 5, 8, 18) / 1000);
      const crlNext = BigInt(Date.UTC(2025, 8, 14, 5, 41, 26) / 1000);
      const noCrl = { ...realCollateral(), crls: [] };
      expect(verifyReal(realQuote(), noCrl, ALLOW_REAL, qeNext).tcbStatus).to.equal(REAL_STATUS);
      expectError(() => verifyReal(realQuote(), noCrl, ALLOW_REAL, qeNext + 1n), "CollateralExpired", [BigInt(CollateralKind.QeIdentity), qeNext, qeNext + 1n]);
      expectError(() => verifyReal(realQuote(), noCrl, ALLOW_REAL, tcbNext + 1n), "CollateralExpired", [BigInt(CollateralKind.TcbInfo), tcbNext, tcbNext + 1n]);
      expectError(() => verifyReal(realQuote(), realCollateral(), ALLOW_REAL, crlNext + 1n), "CollateralExpired", [BigInt(CollateralKind.PckCaCrl), crlNext, crlNext + 1n]);
      expect(verifyReal(realQuote(), noCrl, { ...ALLOW_REAL, collateralGrace: 3600 }, qeNext + 1n).tcbStatus).to.equal(REAL_STATUS);
      expect(verifyReal(realQuote(), realCollateral(), { ...ALLOW_REAL, collateralGrace: 3600 }, qeNext + 1800n).tcbStatus).to.equal(REAL_STATUS);
      expectError(() => verifyReal(realQuote(), noCrl, { ...ALLOW_REAL, collateralGrace: 3600 }, qeNext + 3601n), "CollateralExpired", [BigInt(CollateralKind.QeIdentity), qeNext, qeNext + 3601n]);
      // The older (0625) PCK CA CRL has expired by August.
      expectError(() => verifyReal(realQuote(), { ...realCollateral(), crls: [dcapFile("platformCrl_0625.der")] }), "CollateralExpired");
    });

    it("refuses collateral issued after the verification time", function () {
      const tcbIssued = BigInt(Date.UTC(2025, 7, 15, 5, 8, 18) / 1000);
      const noCrl = { ...realCollateral(), crls: [] };
      expectError(() => verifyReal(realQuote(), noCrl, ALLOW_REAL, tcbIssued - 1n), "CollateralNotYetValid", [BigInt(CollateralKind.TcbInfo), tcbIssued, tcbIssued - 1n]);
      expectError(() => verifyReal(realQuote(), realCollateral(), ALLOW_REAL, tcbIssued), "CollateralNotYetValid", [BigInt(CollateralKind.PckCaCrl), BigInt(Date.UTC(2025, 7, 15, 5, 41, 26) / 1000), tcbIssued]);
    });

    it("enforces the policy's minimum tcbEvaluationDataNumber", function () {
      expectError(() => verifyReal(realQuote(), realCollateral(), { ...ALLOW_REAL, minTcbEvaluationDataNumber: 18 }), "TcbEvaluationDataNumberTooLow", [BigInt(CollateralKind.TcbInfo), 18n, 17n]);
      expect(verifyReal(realQuote(), realCollateral(), { ...ALLOW_REAL, minTcbEvaluationDataNumber: 17 }).tcbEvaluationDataNumber).to.equal(17);
    });

    it("refuses TDX collateral signed by Intel (TCB Info id TDX, QE Identity id TD_QE)", function () {
      // Signed by Intel under the same TCB Signing key; refused on its id (or at its date, whichever comes first).
      const r = expectError(() => verifyReal(realQuote(), { ...realCollateral(), tcbInfo: dcapFile("0625_tcbinfov3_00806f050000.json") }), "CollateralFieldInvalid");
      expect(r.args).to.deep.equal([BigInt(CollateralKind.TcbInfo), "id"]);
      const q = expectError(() => verifyReal(realQuote(), { ...realCollateral(), qeIdentity: dcapFile("0625_qe_td.json") }), "CollateralFieldInvalid");
      expect(q.args).to.deep.equal([BigInt(CollateralKind.QeIdentity), "id"]);
    });

    it("refuses CRLs that are malformed, from an unknown issuer, or with a bad signature", function () {
      const c = realCollateral();
      expectError(() => verifyReal(realQuote(), { ...c, crls: [Buffer.from("not a crl")] }), "CrlMalformed");
      const crl = realCollateral().crls![1];
      const serialAt = Buffer.from(crl).indexOf(Buffer.from("6fc34e5023e728923435d61aa4b83c618166ad35", "hex"));
      expectError(() => verifyReal(realQuote(), { ...c, crls: [xorByte(crl, serialAt)] }), "CollateralSignatureInvalid", [BigInt(CollateralKind.PckCaCrl)]);
      const test = new TestPki();
      expectError(() => verifyReal(realQuote(), { ...c, crls: [test.pckCrl()] }), "CollateralSignatureInvalid", [BigInt(CollateralKind.PckCaCrl)]);
      const otherIssuer = test.pckCrl((tbs) => replaceHex(tbs, Buffer.from("PCK Platform CA").toString("hex"), Buffer.from("PCK Processor C").toString("hex")));
      expectError(() => verifyReal(realQuote(), { ...c, crls: [otherIssuer] }), "CrlIssuerUnknown", []);
    });
  });
});

describe("attestation: DCAP verifier under a test PKI (fields behind Intel's signatures)", function () {
  const verify = (pki: TestPki, quote: Uint8Array, collateral: DcapCollateral = pki.collateral(), policy: DcapPolicy = ALLOW_REAL, now = DCAP_VECTOR_TIME, root: PinnedRoot = pki.root) =>
    verifyQuote(quote, collateral, { now, policy, root });
  const pki = new TestPki();

  it("a quote re-signed under the test PKI verifies when its root is pinned, and never under Intel's root", function () {
    const v = verify(pki, pki.quote());
    expect(v.mrenclave).to.equal(REAL_MRENCLAVE);
    expect(v.revocationChecked).to.equal(true);
    expectError(() => verifyQuote(pki.quote(), pki.collateral(), { now: DCAP_VECTOR_TIME, policy: ALLOW_REAL }), "RootCaNotPinned");
    // A v4 quote (QE report certification data) verifies the same.
    const v4 = verify(pki, pki.quote((p) => ({ ...p, header: patched(p.header, 0, [4, 0]) })));
    expect([v4.quoteVersion, v4.mrenclave]).to.deep.equal([4, REAL_MRENCLAVE]);
  });

  it("DEBUG enclaves are refused unless the policy allows them", function () {
    const debug = pki.quote((p) => ({ ...p, report: xorByte(p.report, 48, 0x02) }));
    expectError(() => verify(pki, debug), "DebugEnclaveNotAllowed", [REAL_MRENCLAVE]);
    expect(verify(pki, debug, pki.collateral(), { ...ALLOW_REAL, allowDebug: true }).debug).to.equal(true);
  });

  it("revoked certificates are refused: PCK by the PCK CA CRL, PCK CA and TCB Signing by the root CRL", function () {
    // Put the PCK's serial in place of a revoked one of the same length (both 21-byte DER INTEGERs).
    const revokedPck = pki.pckCrl((tbs) => replaceHex(tbs, "00efae6e9715fca13b87e333e8261ed6d990a926ad", "00d52864cbb1cefa9de768485947ebdc026799b496"));
    expectError(() => verify(pki, pki.quote(), pki.collateral({ crls: [revokedPck] })), "CertificateRevoked", [BigInt(CertificateRole.Pck), "0xd52864cbb1cefa9de768485947ebdc026799b496"]);
    // The root CRL has no entries: give it one, the PCK CA's serial (00 + 956f5d...).
    const rootCrlWith = (serial: string) => rootCrlWithEntry(pki, serial);
    expectError(() => verify(pki, pki.quote(), pki.collateral({ crls: [rootCrlWith("00956f5dcdbd1be1e94049c9d4f433ce01570bde54")] })), "CertificateRevoked", [BigInt(CertificateRole.PckCa), "0x956f5dcdbd1be1e94049c9d4f433ce01570bde54"]);
    expectError(() => verify(pki, pki.quote(), pki.collateral({ crls: [rootCrlWith("7e3882d5fb55294a40498e458403e91491bdf455")] })), "CertificateRevoked", [BigInt(CertificateRole.TcbSigning), "0x7e3882d5fb55294a40498e458403e91491bdf455"]);
  });

  it("the QE identity: MRSIGNER, ISVPRODID, masked MISCSELECT and attributes, TCB level and status", function () {
    const qe = (edit: (j: string) => string) => pki.collateral({ qeIdentity: pki.qeIdentity(edit) });
    const qeMrsigner = "0x8c4f5775d796503e96137f77c68a829a0056ac8ded70140b081b094490c57bff";
    expectError(() => verify(pki, pki.quote(), qe((j) => j.replace("8C4F5775", "8C4F5776"))), "QeMrsignerMismatch", ["0x8c4f5776" + qeMrsigner.slice(10), qeMrsigner]);
    expectError(() => verify(pki, pki.quote(), qe((j) => j.replace('"isvprodid":1', '"isvprodid":2'))), "QeIsvProdIdMismatch", [2n, 1n]);
    expectError(() => verify(pki, pki.quote(), qe((j) => j.replace('"miscselect":"00000000"', '"miscselect":"00000001"'))), "QeMiscselectMismatch", [1n, 0n]);
    // Outside the mask a difference is ignored; inside it is not.
    expect(verify(pki, pki.quote(), qe((j) => j.replace('"miscselect":"00000000","miscselectMask":"FFFFFFFF"', '"miscselect":"00000001","miscselectMask":"FFFFFFFE"'))).qeTcbStatus).to.equal("UpToDate");
    expectError(() => verify(pki, pki.quote(), qe((j) => j.replace('"attributes":"11', '"attributes":"13'))), "QeAttributesMismatch", ["0x13" + "00".repeat(15), "0x11" + "00".repeat(15)]);
    // Bit 2 of the first byte is outside attributesMask (FB): a difference there is ignored.
    expect(verify(pki, pki.quote(), qe((j) => j.replace('"attributes":"11', '"attributes":"15'))).qeTcbStatus).to.equal("UpToDate");
    expectError(() => verify(pki, pki.quote(), qe((j) => j.replace('"isvsvn":8}', '"isvsvn":10}').replace(/"isvsvn":[1-6]}/g, '"isvsvn":10}'))), "QeTcbLevelNotFound", [9n]);
    expectError(() => verify(pki, pki.quote(), qe((j) => j.replace('"isvsvn":8}', '"isvsvn":10}'))), "QeTcbStatusNotAllowed", ["OutOfDate"]);
    expect(verify(pki, pki.quote(), qe((j) => j.replace('"isvsvn":8}', '"isvsvn":10}')), { allowedTcbStatuses: [REAL_STATUS, "OutOfDate"] }).advisoryIds).to.deep.equal(["INTEL-SA-00615"]);
  });

  it("the platform TCB level: first level all 16 components and PCESVN reach; FMSPC and PCEID must match", function () {
    const tcb = (edit: (j: string) => string) => pki.collateral({ tcbInfo: pki.tcbInfo(edit) });
    expectError(() => verify(pki, pki.quote(), tcb((j) => j.replace('"fmspc":"00606a000000"', '"fmspc":"00606a000001"'))), "FmspcMismatch", ["0x00606a000000", "0x00606a000001"]);
    expectError(() => verify(pki, pki.quote(), tcb((j) => j.replace('"pceId":"0000"', '"pceId":"0001"'))), "PceIdMismatch", ["0x0000", "0x0001"]);
    // All levels need PCESVN 14: the platform's 13 reaches none.
    expectError(() => verify(pki, pki.quote(), tcb((j) => j.replace(/"pcesvn":\d+/g, '"pcesvn":14'))), "TcbLevelNotFound", ["0x00606a000000"]);
    // First level UpToDate: the platform now matches it.
    const up = verify(pki, pki.quote(), tcb((j) => j.replace('"tcbStatus":"SWHardeningNeeded"', '"tcbStatus":"UpToDate"')), {});
    expect(up.tcbStatus).to.equal("UpToDate");
    // Component 7 of the first level raised to 2: the platform (1) falls to the next level.
    const second = verify(pki, pki.quote(), tcb((j) => j.replace('{"svn":255},{"svn":255},{"svn":1}', '{"svn":255},{"svn":255},{"svn":2}')), { allowedTcbStatuses: ["UpToDate", "ConfigurationAndSWHardeningNeeded"] });
    expect(second.tcbStatus).to.equal("ConfigurationAndSWHardeningNeeded");
  });

  it("TCB Info and QE Identity fields are typed and their ids and versions fixed", function () {
    const tcbKind = BigInt(CollateralKind.TcbInfo);
    const tcb = (edit: (j: string) => string) => pki.collateral({ tcbInfo: pki.tcbInfo(edit) });
    expectError(() => verify(pki, pki.quote(), tcb((j) => j.replace('"id":"SGX"', '"id":"TDX"'))), "CollateralFieldInvalid", [tcbKind, "id"]);
    expectError(() => verify(pki, pki.quote(), tcb((j) => j.replace('"version":3', '"version":2'))), "CollateralFieldInvalid", [tcbKind, "version"]);
    expectError(() => verify(pki, pki.quote(), tcb((j) => j.replace('"tcbType":0', '"tcbType":1'))), "CollateralFieldInvalid", [tcbKind, "tcbType"]);
    expectError(() => verify(pki, pki.quote(), tcb((j) => j.replace('"nextUpdate":"2025-09-14T05:08:18Z"', '"nextUpdate":"2025-09-14 05:08:18"'))), "CollateralFieldInvalid", [tcbKind, "nextUpdate"]);
    expectError(() => verify(pki, pki.quote(), tcb((j) => j.replace('"tcbStatus":"SWHardeningNeeded"', '"tcbStatus":"Fine"'))), "CollateralFieldInvalid", [tcbKind, "tcbLevels[0].tcbStatus"]);
    expectError(() => verify(pki, pki.quote(), tcb((j) => j.replace('{"svn":255},{"svn":255},{"svn":1},', '{"svn":255},{"svn":256},{"svn":1},'))), "CollateralFieldInvalid", [tcbKind, "tcbLevels[0].tcb.sgxtcbcomponents[5].svn"]);
    expectError(() => verify(pki, pki.quote(), tcb((j) => j.replace(',{"svn":0}]', "]"))), "CollateralFieldInvalid", [tcbKind, "tcbLevels[0].tcb.sgxtcbcomponents"]);
    expectError(() => verify(pki, pki.quote(), tcb((j) => j.replace(/"tcbLevels":\[.*\]/, '"tcbLevels":[]'))), "CollateralFieldInvalid", [tcbKind, "tcbLevels"]);
    expectError(() => verify(pki, pki.quote(), tcb((j) => j.slice(0, -1) + ",}")), "CollateralMalformed", [tcbKind, 0n]);
    const qeKind = BigInt(CollateralKind.QeIdentity);
    const qe = (edit: (j: string) => string) => pki.collateral({ qeIdentity: pki.qeIdentity(edit) });
    expectError(() => verify(pki, pki.quote(), qe((j) => j.replace('"id":"QE"', '"id":"QVE"'))), "CollateralFieldInvalid", [qeKind, "id"]);
    expectError(() => verify(pki, pki.quote(), qe((j) => j.replace('"mrsigner":"8C4F', '"mrsigner":"8C4'))), "CollateralFieldInvalid", [qeKind, "mrsigner"]);
    expectError(() => verify(pki, pki.quote(), qe((j) => j.replace('"isvprodid":1', '"isvprodid":"1"'))), "CollateralFieldInvalid", [qeKind, "isvprodid"]);
    // A collateral item signed by another key than the TCB Signing certificate's.
    const other = new TestPki();
    expectError(() => verify(pki, pki.quote(), pki.collateral({ tcbInfo: other.tcbInfo() })), "CollateralSignatureInvalid", [tcbKind]);
  });

  it("certificate constraints, key usage, algorithm, key and SGX extension", function () {
    const role = (r: CertificateRole) => BigInt(r);
    // PCK CA with cA FALSE (basicConstraints 30 06 01 01 ff 02 01 00 -> 00).
    const notCa = new TestPki({ pckCa: (tbs) => replaceHex(tbs, "30060101ff020100", "3006010100020100") });
    expectError(() => verify(notCa, notCa.quote()), "CertificateConstraintsInvalid", [role(CertificateRole.PckCa)]);
    // PCK keyUsage: digitalSignature | nonRepudiation (06 c0) -> nonRepudiation only (06 40).
    const noDs = new TestPki({ pck: (tbs) => replaceHex(tbs, "030206c0", "03020640") });
    expectError(() => verify(noDs, noDs.quote()), "CertificateKeyUsageInvalid", [role(CertificateRole.Pck)]);
    // The TBS signature algorithm ecdsa-with-SHA384.
    const sha384 = new TestPki({ pck: (tbs) => replaceHex(tbs, "2a8648ce3d040302", "2a8648ce3d040303") });
    expectError(() => verify(sha384, sha384.quote()), "CertificateAlgorithmUnsupported", [role(CertificateRole.Pck)]);
    // FMSPC's OID arc 4 -> 8: the field is missing.
    const noFmspc = new TestPki({ pck: (tbs) => replaceHex(tbs, "060a2a864886f84d010d01040406", "060a2a864886f84d010d01080406") });
    expectError(() => verify(noFmspc, noFmspc.quote()), "SgxExtensionFieldMissing", ["fmspc"]);
    const noComp = new TestPki({ pck: (tbs) => replaceHex(tbs, "060b2a864886f84d010d01020302", "060b2a864886f84d010d01021302") });
    expectError(() => verify(noComp, noComp.quote()), "SgxExtensionFieldMissing", ["sgxTcbComp03Svn"]);
    // FMSPC as a 6-byte INTEGER instead of an OCTET STRING.
    const badFmspc = new TestPki({ pck: (tbs) => replaceHex(tbs, "060a2a864886f84d010d01040406", "060a2a864886f84d010d01040206") });
    expectError(() => verify(badFmspc, badFmspc.quote()), "SgxExtensionMalformed");
    // A lower CPUSVN component in the PCK certificate: comp 01 at 8 reaches the OutOfDate level [7, 9, ...];
    // at 3 it reaches none.
    const older = new TestPki({ pck: (tbs) => replaceHex(tbs, "060b2a864886f84d010d01020102010e", "060b2a864886f84d010d010201020108") });
    expectError(() => verify(older, older.quote()), "TcbStatusNotAllowed", ["OutOfDate"]);
    const oldest = new TestPki({ pck: (tbs) => replaceHex(tbs, "060b2a864886f84d010d01020102010e", "060b2a864886f84d010d010201020103") });
    expectError(() => verify(oldest, oldest.quote()), "TcbLevelNotFound", ["0x00606a000000"]);
  });

  it("an attestation key off the curve, and a QE report data not bound to it", function () {
    const offCurve = pki.quote((p) => ({ ...p, attestationKey: new Uint8Array(64).fill(1) }));
    expectError(() => verify(pki, offCurve), "AttestationKeyInvalid", []);
    // The real QE report data (bound to Intel's attestation key) kept beside the test attestation key.
    const unbound = pki.quote((p) => p, { bindReportData: false });
    const expected = "0x" + Buffer.from(sha256(Uint8Array.from([...pki.attestationKey.public, ...decodeQuote(unbound).qeAuthData]))).toString("hex") + "00".repeat(32);
    expectError(() => verify(pki, unbound), "QeReportDataMismatch", [expected, "0x" + Buffer.from(decodeQuote(realQuote()).qeReport.reportData).toString("hex")]);
    // The right hash but a non-zero upper half.
    const upper = pki.quote((p) => {
      const qeReport = Uint8Array.from(p.qeReport);
      qeReport.fill(0, 320, 384);
      qeReport.set(sha256(Uint8Array.from([...p.attestationKey, ...p.qeAuthData])), 320);
      qeReport[383] = 1;
      return { ...p, qeReport };
    }, { bindReportData: false });
    expectError(() => verify(pki, upper), "QeReportDataMismatch");
  });
});
