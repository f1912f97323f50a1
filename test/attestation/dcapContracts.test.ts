import { expect } from "chai";
import hre from "hardhat";
import type { BaseContract, Interface } from "ethers";
import {
  DcapVerificationError,
  checkPckChain,
  checkQeReport,
  checkQuoteSignature,
  decodeQuote,
  pinRoot,
  splitPemChain,
  type PckChain,
} from "../../src/attestation/dcap";
import { decodeRevert } from "../../src/attestation/onchain";
import { DCAP_VECTOR_TIME, TestPki, dcapFile, flipS, patched, realQuote, replaceHex, xorByte } from "./dcapVectors";
import { PCK_TBS_EDITS, certificateFlips, chainFaults, layoutMutations, tbsFlips } from "./dcapMutations";

type Outcome = { valid: true; value: Record<string, unknown> } | { valid: false; code: string; args: unknown[] };

interface Probe extends BaseContract {
  decodeQuote(quote: Uint8Array): Promise<{ version: bigint; pckChain: bigint; pckChainLength: bigint; qeAuthData: bigint; qeAuthDataLength: bigint }>;
  verifyPckChain(pem: Uint8Array, now: bigint): Promise<PckVerified>;
  verifyQuotePckChain(quote: Uint8Array, now: bigint): Promise<[PckVerified, bigint]>;
  checkQuoteSignatures(quote: Uint8Array, pckX: Uint8Array, pckY: Uint8Array): Promise<bigint>;
  p256Verify(digest: Uint8Array, r: Uint8Array, s: Uint8Array, x: Uint8Array, y: Uint8Array): Promise<boolean>;
}

interface PckVerified {
  pckKeyX: string;
  pckKeyY: string;
  tcb: { fmspc: string; pceId: string; components: string; pceSvn: bigint; cpuSvn: string };
  pckSerial: string;
  pckCaSerial: string;
}

function bigints(_k: string, v: unknown): unknown {
  return typeof v === "bigint" ? v.toString() : v;
}

function tsOutcome(fn: () => Record<string, unknown>): Outcome {
  try {
    return { valid: true, value: fn() };
  } catch (e) {
    if (!(e instanceof DcapVerificationError)) throw e;
    return { valid: false, code: e.code, args: [...e.args] };
  }
}

async function chainOutcome(iface: Interface, fn: () => Promise<Record<string, unknown>>): Promise<Outcome> {
  try {
    return { valid: true, value: await fn() };
  } catch (e) {
    const { code, args } = decodeRevert(iface, e);
    return { valid: false, code, args };
  }
}

function expectSame(ts: Outcome, sol: Outcome, what: string): void {
  expect(JSON.stringify(sol, bigints), what).to.equal(JSON.stringify(ts, bigints));
}

const hex = (b: Uint8Array) => "0x" + Buffer.from(b).toString("hex");

/** The fields both sides report for a verified chain. */
function tsChainView(c: PckChain): Record<string, unknown> {
  return {
    pckKey: hex(c.pck.publicKey),
    fmspc: "0x" + c.sgx.fmspc,
    pceId: "0x" + c.sgx.pceId,
    components: hex(Uint8Array.from(c.sgx.cpuSvnComponents)),
    pceSvn: c.sgx.pceSvn,
    cpuSvn: "0x" + c.sgx.cpuSvn,
    pckSerial: "0x" + c.pck.serial,
    pckCaSerial: "0x" + c.pckCa.serial,
  };
}

function solChainView(v: PckVerified): Record<string, unknown> {
  return {
    pckKey: v.pckKeyX + v.pckKeyY.slice(2),
    fmspc: v.tcb.fmspc,
    pceId: v.tcb.pceId,
    components: v.tcb.components,
    pceSvn: Number(v.tcb.pceSvn),
    cpuSvn: v.tcb.cpuSvn,
    pckSerial: v.pckSerial,
    pckCaSerial: v.pckCaSerial,
  };
}

describe("attestation: DCAP on-chain libraries against the TypeScript verifier (differential)", function () {
  this.timeout(600_000);
  let intel: Probe;
  const intelRoot = dcapFile("rootCaDer.der");

  async function deployProbe(rootDer: Uint8Array): Promise<Probe> {
    const factory = await hre.ethers.getContractFactory("DcapProbe");
    const probe = await factory.deploy(rootDer);
    await probe.waitForDeployment();
    return probe as unknown as Probe;
  }

  before(async function () {
    intel = await deployProbe(intelRoot);
  });

  describe("quote layout (DcapQuote.decode vs decodeQuote)", function () {
    it("gives the same verdict and offsets for the real quote, TDX quotes and every layout mutation", async function () {
      for (const [what, quote] of layoutMutations()) {
        const ts = tsOutcome(() => {
          const d = decodeQuote(quote);
          return { version: d.version, pem: hex(d.pckChainPem), auth: hex(d.qeAuthData) };
        });
        const sol = await chainOutcome(intel.interface, async () => {
          const r = await intel.decodeQuote(quote);
          const b = Buffer.from(quote);
          return {
            version: Number(r.version),
            pem: hex(b.subarray(Number(r.pckChain), Number(r.pckChain + r.pckChainLength))),
            auth: hex(b.subarray(Number(r.qeAuthData), Number(r.qeAuthData + r.qeAuthDataLength))),
          };
        });
        expectSame(ts, sol, what);
      }
    });
  });

  describe("PCK chain (PckChain.verify vs checkPckChain)", function () {
    async function compare(probe: Probe, rootDer: Uint8Array, chainPem: Uint8Array, now: bigint, what: string): Promise<Outcome> {
      const pinned = pinRoot(rootDer);
      const ts = tsOutcome(() => tsChainView(checkPckChain(splitPemChain(chainPem), pinned, now)));
      const sol = await chainOutcome(probe.interface, async () => solChainView(await probe.verifyPckChain(chainPem, now)));
      expectSame(ts, sol, what);
      return ts;
    }

    it("agrees on the real chain: the PCK key, FMSPC, PCEID, the 16 components, PCESVN, CPUSVN and serials", async function () {
      const out = await compare(intel, intelRoot, decodeQuote(realQuote()).pckChainPem, DCAP_VECTOR_TIME, "real");
      expect(out.valid).to.equal(true);
      const v = (out as { value: Record<string, unknown> }).value;
      expect(v.fmspc).to.equal("0x00606a000000");
      expect(v.components).to.equal("0x0e0e0303ffff01000000000000000000");
      expect(v.pceSvn).to.equal(13);
      expect(v.pckSerial).to.equal("0xd52864cbb1cefa9de768485947ebdc026799b496");
    });

    it("agrees on chain faults: length, order, foreign root, PEM, DER, validity", async function () {
      const cases = chainFaults();
      for (const [what, chainPem, now] of cases) {
        const out = await compare(intel, intelRoot, chainPem, now, what);
        if (what === "tabs and CRLF") expect(out.valid, what).to.equal(true);
        else expect(out.valid, what).to.equal(false);
      }
    });

    it("agrees on 60 random byte flips of the PCK certificate (Intel's signature) and of the PCK CA", async function () {
      for (const [what, chainPem] of certificateFlips(60)) await compare(intel, intelRoot, chainPem, DCAP_VECTOR_TIME, what);
    });

    it("agrees on fields behind the signatures (test PKI): constraints, key usage, algorithm, extension faults", async function () {
      const pki = new TestPki();
      const probe = await deployProbe(pki.rootDer);
      for (const [what, edit] of PCK_TBS_EDITS) {
        const out = await compare(probe, pki.rootDer, pki.chainPem([pki.pckWith(edit), pki.pckCaDer, pki.rootDer]), DCAP_VECTOR_TIME, what);
        expect(out.valid, what).to.equal(what === "as is" || what === "comp 1 = 8" || what === "pcesvn 0");
      }
      // PCK CA not a CA; PCK CA without keyCertSign.
      const notCa = new TestPki({ pckCa: (t) => replaceHex(t, "30060101ff020100", "3006010100020100") });
      await compare(await deployProbe(notCa.rootDer), notCa.rootDer, notCa.chainPem(), DCAP_VECTOR_TIME, "PCK CA not a CA");
    });

    it("agrees on 80 random byte flips inside the PCK TBS, re-signed (reaching the parse and the SGX extension)", async function () {
      const pki = new TestPki();
      const probe = await deployProbe(pki.rootDer);
      const codes = new Set<string>();
      for (const [what, pckDer] of tbsFlips(pki, 80)) {
        const out = await compare(probe, pki.rootDer, pki.chainPem([pckDer, pki.pckCaDer, pki.rootDer]), DCAP_VECTOR_TIME, what);
        codes.add(out.valid ? "valid" : out.code);
      }
      // The corpus reaches several distinct checks, not one.
      expect(codes.size).to.be.greaterThan(3);
    });
  });

  describe("quote signatures (QuoteSignatures vs checkQeReport + checkQuoteSignature)", function () {
    async function compareSignatures(quote: Uint8Array, pckKey: Uint8Array, what: string): Promise<Outcome> {
      const ts = tsOutcome(() => {
        const q = decodeQuote(quote);
        checkQeReport(q, pckKey);
        checkQuoteSignature(q);
        return {};
      });
      const sol = await chainOutcome(intel.interface, async () => {
        await intel.checkQuoteSignatures(quote, pckKey.subarray(0, 32), pckKey.subarray(32));
        return {};
      });
      expectSame(ts, sol, what);
      return ts;
    }

    it("agree on the real quote, every signed field mutated, a high-s twin, and re-signed quotes (test PKI)", async function () {
      const realPck = checkPckChain(splitPemChain(decodeQuote(realQuote()).pckChainPem), pinRoot(intelRoot), DCAP_VECTOR_TIME).pck.publicKey;
      expect((await compareSignatures(realQuote(), realPck, "real")).valid).to.equal(true);
      const offsets = [30, 8, 48, 96, 112, 176, 306, 368, 436, 499, 505, 564, 692, 884, 958, 1014];
      for (const at of offsets) {
        const out = await compareSignatures(xorByte(realQuote(), at), realPck, `byte ${at}`);
        expect(out.valid, `byte ${at}`).to.equal(false);
      }
      const highS = Buffer.from(realQuote());
      Buffer.from(flipS(decodeQuote(realQuote()).isvSignature)).copy(highS, 436);
      expect((await compareSignatures(highS, realPck, "high s")).valid).to.equal(true);
      expect((await compareSignatures(realQuote(), xorByte(realPck, 3), "other PCK key")).valid).to.equal(false);

      const pki = new TestPki();
      expect((await compareSignatures(pki.quote(), pki.pckKey.public, "test PKI")).valid).to.equal(true);
      const offCurve = pki.quote((p) => ({ ...p, attestationKey: new Uint8Array(64).fill(1) }));
      expect((await compareSignatures(offCurve, pki.pckKey.public, "off curve")).valid).to.equal(false);
      const unbound = pki.quote((p) => p, { bindReportData: false });
      expect((await compareSignatures(unbound, pki.pckKey.public, "unbound")).valid).to.equal(false);
      const v4 = pki.quote((p) => ({ ...p, header: patched(p.header, 0, [4, 0]) }));
      expect((await compareSignatures(v4, pki.pckKey.public, "v4")).valid).to.equal(true);
    });
  });

  describe("P256VERIFY (precompile at 0x100)", function () {
    it("accepts Intel's signatures and their high-s twins; refuses a changed digest or key", async function () {
      const q = decodeQuote(realQuote());
      const { sha256 } = await import("@noble/hashes/sha2.js");
      const digest = sha256(q.signedBytes);
      const [x, y] = [q.attestationKey.subarray(0, 32), q.attestationKey.subarray(32)];
      const sig = q.isvSignature;
      expect(await intel.p256Verify(digest, sig.subarray(0, 32), sig.subarray(32), x, y)).to.equal(true);
      const flipped = flipS(sig);
      expect(await intel.p256Verify(digest, flipped.subarray(0, 32), flipped.subarray(32), x, y)).to.equal(true);
      expect(await intel.p256Verify(xorByte(digest, 0), sig.subarray(0, 32), sig.subarray(32), x, y)).to.equal(false);
      expect(await intel.p256Verify(digest, sig.subarray(0, 32), sig.subarray(32), xorByte(x, 31), y)).to.equal(false);
      expect(await intel.p256Verify(digest, new Uint8Array(32), sig.subarray(32), x, y)).to.equal(false);
    });
  });

  describe("PCK certificate cache (PckCertificateCache through a harness: layout, chain, signatures in one transaction)", function () {
    interface Harness extends BaseContract {
      checkQuote: {
        (quote: Uint8Array, now: bigint): Promise<import("ethers").ContractTransactionResponse>;
        staticCall(quote: Uint8Array, now: bigint): Promise<void>;
      };
      isPckChainCached(hash: string): Promise<boolean>;
    }

    async function executionGas(tx: import("ethers").ContractTransactionResponse): Promise<{ execution: number; total: number }> {
      const receipt = await tx.wait();
      const trace = (await hre.network.provider.send("debug_traceTransaction", [tx.hash, { disableStack: true, disableMemory: true, disableStorage: true }])) as {
        structLogs: Array<{ gas: number; gasCost: number; depth: number }>;
      };
      const top = trace.structLogs.filter((l) => l.depth === 1);
      return { execution: top[0].gas - (top[top.length - 1].gas - top[top.length - 1].gasCost), total: Number(receipt!.gasUsed) };
    }

    it("verifies a new chain once, then serves it from the cache; verdicts stay those of the TypeScript verifier", async function () {
      const harness = (await (await hre.ethers.getContractFactory("DcapPckCacheHarness")).deploy(intelRoot)) as unknown as Harness;
      const quote = realQuote();
      const chainHash = hre.ethers.keccak256(decodeQuote(quote).pckChainPem);
      expect(await harness.isPckChainCached(chainHash)).to.equal(false);
      const first = await executionGas(await harness.checkQuote(quote, DCAP_VECTOR_TIME));
      expect(await harness.isPckChainCached(chainHash)).to.equal(true);
      const second = await executionGas(await harness.checkQuote(quote, DCAP_VECTOR_TIME));
      console.log(`      quote chain + signatures, new PCK chain: ${first.execution} execution (${first.total} total); cached: ${second.execution} execution (${second.total} total)`);
      expect(first.execution).to.be.lessThan(1_000_000);
      expect(second.execution).to.be.lessThan(100_000);
      const events = await harness.queryFilter(harness.filters.PckChainCached());
      expect(events.length).to.equal(1);

      // From the cache, the same errors as a full check: validity at another time, signatures.
      const pinned = pinRoot(intelRoot);
      const cases: [string, Uint8Array, bigint][] = [
        ["after PCK", quote, BigInt(Date.UTC(2031, 5, 1) / 1000)],
        ["after PCK CA", quote, BigInt(Date.UTC(2033, 5, 22) / 1000)],
        ["before PCK", quote, BigInt(Date.UTC(2024, 0, 1) / 1000)],
        ["ISV report", xorByte(quote, 112), DCAP_VECTOR_TIME],
        ["QE report", xorByte(quote, 700), DCAP_VECTOR_TIME],
        ["QE auth data", xorByte(quote, 1020), DCAP_VECTOR_TIME],
      ];
      for (const [what, q, now] of cases) {
        const ts = tsOutcome(() => {
          const d = decodeQuote(q);
          const chain = checkPckChain(splitPemChain(d.pckChainPem), pinned, now);
          checkQeReport(d, chain.pck.publicKey);
          checkQuoteSignature(d);
          return {};
        });
        const sol = await chainOutcome(harness.interface, async () => {
          await harness.checkQuote.staticCall(q, now);
          return {};
        });
        expectSame(ts, sol, what);
        expect(ts.valid, what).to.equal(false);
      }
    });
  });

  describe("gas", function () {
    it("a new PCK chain (PEM split, 2 certificates parsed and verified, SGX extension) costs under 800k", async function () {
      const [, chainGas] = await intel.verifyQuotePckChain(realQuote(), DCAP_VECTOR_TIME);
      console.log(`      PCK chain verification (real Intel chain): ${chainGas} gas`);
      expect(Number(chainGas)).to.be.lessThan(800_000);
    });

    it("the quote's signatures (QE report, binding, attestation key, ISV signature) with the PCK key known", async function () {
      const realPck = checkPckChain(splitPemChain(decodeQuote(realQuote()).pckChainPem), pinRoot(intelRoot), DCAP_VECTOR_TIME).pck.publicKey;
      const gas = await intel.checkQuoteSignatures(realQuote(), realPck.subarray(0, 32), realPck.subarray(32));
      console.log(`      quote signatures (steps 7 and 9, PCK key cached): ${gas} gas`);
      expect(Number(gas)).to.be.lessThan(60_000);
    });
  });
});

