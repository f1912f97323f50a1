/**
 * `anonify:collateral` against the development PCS over HTTP and the real collateral stores (DcapCollateral,
 * DcapCrls) on the in-process chain: it upserts what is newer, leaves what is current, reports what is stale
 * without sending, and refuses (off chain, with the contract's own error) what the contract would refuse.
 */
import { expect } from "chai";
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { Interface } from "ethers";
import {
  DEV_PLATFORM,
  DevelopmentPcs,
  DevelopmentPcsServer,
  PcsClient,
  developmentPcsContent,
  intelSgxRootCaDer,
  type CollateralItemResult,
} from "../../src/attestation/dcap";
import { AnonifyPluginError } from "../../src/errors";
import { runTaskCapturing } from "../helpers/tasks";

const DAY = 86_400;

describe("attestation: anonify:collateral (development PCS, DcapCollateral / DcapCrls)", function () {
  this.timeout(300_000);
  const pcs = new DevelopmentPcs();
  let server: DevelopmentPcsServer;
  let libraries: Record<string, string>;
  let errors: Interface;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async function stores(rootDer: Uint8Array): Promise<{ collateral: any; crls: any }> {
    const collateral = await (await hre.ethers.getContractFactory("DcapCollateral", { libraries })).deploy(rootDer);
    const crls = await (await hre.ethers.getContractFactory("DcapCrls")).deploy(rootDer);
    return { collateral, crls };
  }

  async function run(target: { collateral: { getAddress(): Promise<string> }; crls: { getAddress(): Promise<string> } }, extra: Record<string, unknown> = {}) {
    return runTaskCapturing<CollateralItemResult[]>("anonify:collateral", {
      collateral: await target.collateral.getAddress(),
      crls: await target.crls.getAddress(),
      pcsUrl: server.url,
      ...extra,
    });
  }

  /** Current collateral around the chain's clock: issued `issuedAgo` seconds ago, valid `validFor` more. */
  async function serve(issuedAgo: number, validFor: number): Promise<void> {
    const now = await time.latest();
    server.setContent(developmentPcsContent(pcs, now - issuedAgo, now + validFor));
  }

  before(async function () {
    libraries = {
      TcbInfo: await (await (await hre.ethers.getContractFactory("TcbInfo")).deploy()).getAddress(),
      QeIdentity: await (await (await hre.ethers.getContractFactory("QeIdentity")).deploy()).getAddress(),
    };
    const abi = [
      ...(await hre.artifacts.readArtifact("DcapCollateral")).abi,
      ...(await hre.artifacts.readArtifact("DcapCrls")).abi,
      ...(await hre.artifacts.readArtifact("TcbInfo")).abi,
    ].filter((f: { type: string }) => f.type === "error");
    const seen = new Set<string>();
    errors = new Interface(abi.filter((f: { name?: string }) => !seen.has(f.name!) && seen.add(f.name!)));
    const now = await time.latest();
    server = await DevelopmentPcsServer.start({ content: developmentPcsContent(pcs, now - DAY, now + 30 * DAY) });
  });

  after(async function () {
    await server?.close();
  });

  it("upserts the four items into empty stores and prints what the chain holds; a second run finds them current and sends nothing", async function () {
    await serve(DAY, 30 * DAY);
    const target = await stores(pcs.rootDer);
    const first = await run(target);
    expect(first.exitCode).to.equal(0);
    expect(first.result.map((r) => [r.item, r.id, r.action])).to.deep.equal([
      ["tcbInfo", DEV_PLATFORM.fmspc, "updated"],
      ["qeIdentity", "QE", "updated"],
      ["rootCaCrl", "root", "updated"],
      ["pckCrl", "platform", "updated"],
    ]);
    for (const r of first.result) {
      expect(r.gasUsed! > 0n, r.item).to.equal(true);
      expect(r.onChain?.nextUpdate, r.item).to.equal(r.fetched.nextUpdate);
    }
    expect(first.stdout).to.match(/^item\s+id\s+action\s+on chain: issued\s+next update\s+expires in\s+gas$/m);
    expect(first.stdout).to.match(new RegExp(`^tcbInfo\\s+${DEV_PLATFORM.fmspc}\\s+updated\\s+\\S+Z\\s+\\S+Z\\s+(29|30) d\\s+[0-9,]+$`, "m"));
    // The stores answer lookups from what was upserted.
    const [number, , nextUpdate] = await target.collateral.tcbInfo(`0x${DEV_PLATFORM.fmspc}`, `0x${DEV_PLATFORM.pceId}`);
    expect(Number(nextUpdate)).to.equal(first.result[0].fetched.nextUpdate);
    expect(Number(number)).to.equal(first.result[0].fetched.tcbEvaluationDataNumber);

    const blockBefore = await hre.ethers.provider.getBlockNumber();
    const second = await run(target);
    expect(second.result.map((r) => r.action)).to.deep.equal(["current", "current", "current", "current"]);
    expect(await hre.ethers.provider.getBlockNumber()).to.equal(blockBefore);
  });

  it("--dry-run reports newer collateral as stale and sends nothing; the next run upserts it", async function () {
    await serve(DAY, 30 * DAY);
    const target = await stores(pcs.rootDer);
    await run(target);
    await time.increase(2 * DAY);
    await serve(0, 30 * DAY);
    const blockBefore = await hre.ethers.provider.getBlockNumber();
    const dry = await run(target, { dryRun: true });
    expect(dry.result.map((r) => r.action)).to.deep.equal(["stale", "stale", "stale", "stale"]);
    expect(await hre.ethers.provider.getBlockNumber()).to.equal(blockBefore);
    // The chain still holds the older items (issued three days ago).
    expect(dry.result[0].onChain!.issued).to.be.lessThan(dry.result[0].fetched.issued);
    const real = await run(target);
    expect(real.result.map((r) => r.action)).to.deep.equal(["updated", "updated", "updated", "updated"]);
    expect(real.result[0].onChain!.issued).to.equal(real.result[0].fetched.issued);
  });

  it("refuses what the contract would refuse, with the contract's own error, and sends nothing for it", async function () {
    // Stores pinned to Intel's root: the development TCB Signing chain and PCK CA chain are not under it.
    await serve(DAY, 30 * DAY);
    const intel = await stores(intelSgxRootCaDer());
    const blockBefore = await hre.ethers.provider.getBlockNumber();
    const out = await run(intel, { root: "intel", fmspc: DEV_PLATFORM.fmspc });
    expect(out.exitCode).to.equal(1);
    expect(out.result.map((r) => [r.item, r.action, r.error])).to.deep.equal([
      ["tcbInfo", "refused", "RootCaNotPinned(0)"],
      ["qeIdentity", "refused", "RootCaNotPinned(0)"],
      ["rootCaCrl", "refused", "CrlIssuerUnknown()"],
      ["pckCrl", "refused", "RootCaNotPinned(0)"],
    ]);
    expect(await hre.ethers.provider.getBlockNumber()).to.equal(blockBefore);
    expect(out.stdout).to.include("refused: RootCaNotPinned(0)");
    // The contract refuses the same item with the same error (the TypeScript verdicts are the contract's).
    const fetched = await new PcsClient({ baseUrl: server.url }).tcbInfo(DEV_PLATFORM.fmspc);
    const reverted = await intel.collateral.upsertTcbInfo.staticCall(fetched.body, fetched.issuerChainPem).then(
      () => undefined,
      (e: { data?: string }) => errors.parseError(e.data!),
    );
    expect(reverted?.name).to.equal("RootCaNotPinned");
    expect(reverted?.args.map(Number)).to.deep.equal([0]);
    const crl = await new PcsClient({ baseUrl: server.url }).pckCrl("platform");
    const crlReverted = await intel.crls.upsertCrl.staticCall(crl.der, crl.issuerChainPem).then(
      () => undefined,
      (e: { data?: string }) => errors.parseError(e.data!),
    );
    expect(crlReverted?.name).to.equal("RootCaNotPinned");
    expect(crlReverted?.args.map(Number)).to.deep.equal([0]);
  });

  it("expired collateral is refused as CollateralExpired at the chain's time, for each item", async function () {
    const now = await time.latest();
    server.setContent(developmentPcsContent(pcs, now - 40 * DAY, now - DAY));
    const target = await stores(pcs.rootDer);
    const out = await run(target);
    const chainNow = await time.latest();
    expect(out.exitCode).to.equal(1);
    expect(out.result.map((r) => r.error)).to.deep.equal([
      `CollateralExpired(0, ${now - DAY}, ${chainNow})`,
      `CollateralExpired(1, ${now - DAY}, ${chainNow})`,
      `CollateralExpired(2, ${now - DAY}, ${chainNow})`,
      `CollateralExpired(3, ${now - DAY}, ${chainNow})`,
    ]);
    expect(out.result.every((r) => r.onChain === undefined)).to.equal(true);
    expect(out.stdout).to.include("not stored");
  });

  it("refuses bad arguments with a message naming them, before anything is fetched or sent", async function () {
    await serve(DAY, 30 * DAY);
    const target = await stores(pcs.rootDer);
    const requests = server.requests.length;
    const refused = async (extra: Record<string, unknown>) => run(target, extra).then(() => undefined, (e: Error) => e);
    const cases: [Record<string, unknown>, string][] = [
      [{ fmspc: "00dec00000" }, "--fmspc must be 12 hex digits"],
      [{ ca: "root" }, '--ca must be "platform" or "processor", got "root"'],
      [{ root: "acme" }, '--root must be "intel" or "simulation"'],
      [{ root: "intel" }, "--fmspc is required with Intel's root"],
      [{ collateral: "0x1234" }, "--collateral must be the address of the deployed contract"],
      [{ crls: "0x000000000000000000000000000000000000dEaD" }, "--crls 0x000000000000000000000000000000000000dEaD has no code"],
      [{ pcsUrl: "ftp://pcs.example" }, "--pcs-url: "],
    ];
    for (const [extra, message] of cases) {
      const error = await refused(extra);
      expect(error, JSON.stringify(extra)).to.be.instanceOf(AnonifyPluginError);
      expect(error!.message, JSON.stringify(extra)).to.include(message);
    }
    expect(server.requests.length).to.equal(requests);
    // A PCS that does not know the FMSPC: the PCS's answer, named.
    const unknown = await refused({ fmspc: "00aabbccddee" });
    expect(unknown).to.be.instanceOf(AnonifyPluginError);
    expect(unknown!.message).to.match(/the PCS at http:\/\/127\.0\.0\.1:\d+ answered badly: .*404/);
  });
});
