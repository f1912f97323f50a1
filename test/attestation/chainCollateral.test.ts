/**
 * ChainCollateral (src/attestation/dcap/chainCollateral.ts): the collateral a DCAP group's stores held just before a
 * position in the chain, read back from the upsert transactions' calldata. A node admitting an old join, and the
 * auditor re-verifying it, must get the collateral the verifier judged that join with, not a later one.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import {
  ChainCollateral,
  CollateralUnavailableError,
  DevelopmentPcs,
  DevelopmentPcsServer,
  DevelopmentQuotingEnclave,
  PcsClient,
  developmentPcsContent,
  pinRoot,
  quotePlatform,
  readDcapStores,
  syncCollateral,
  tcbStatusesOfMask,
  DEV_PLATFORM,
  type DevPcsContent,
} from "../../src/attestation/dcap";
import { deployDcapGroup } from "../node/helpers";

const DAY = 86_400;

describe("attestation: DCAP collateral as the chain held it (ChainCollateral)", function () {
  this.timeout(300_000);

  it("returns the bodies upserted before a position, not later ones; none before the first upsert", async function () {
    const deployment = await deployDcapGroup();
    const stores = await readDcapStores(deployment.verifier, ethers.provider);
    expect(stores).to.include({ root: "simulation", collateral: deployment.collateral, crls: deployment.crls });
    const [signer] = await ethers.getSigners();
    const pcs = new DevelopmentPcs();
    const quote = new DevelopmentQuotingEnclave().quote(new Uint8Array(384));
    expect(quotePlatform(quote)).to.include({ fmspc: DEV_PLATFORM.fmspc, ca: "platform" });
    const chain = new ChainCollateral(ethers.provider, { collateral: stores.collateral, crls: stores.crls, pinned: pinRoot(pcs.rootDer) });

    const sync = async (content: DevPcsContent) => {
      const server = await DevelopmentPcsServer.start({ content });
      try {
        const results = await syncCollateral({ pcs: new PcsClient({ baseUrl: server.url }), collateral: stores.collateral, crls: stores.crls, signer, root: pinRoot(pcs.rootDer), fmspc: DEV_PLATFORM.fmspc });
        expect(results.map((r) => r.action)).to.deep.equal(["updated", "updated", "updated", "updated"]);
      } finally {
        await server.close();
      }
    };

    const beforeAny = { blockNumber: await ethers.provider.getBlockNumber(), logIndex: 0 };
    const error = await chain.at(quote, beforeAny).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(CollateralUnavailableError);
    expect((error as Error).message).to.contain("no upsertTcbInfo transaction");

    const t1 = await time.latest();
    const first = developmentPcsContent(pcs, t1 - DAY, t1 + 60 * DAY);
    await sync(first);
    await ethers.provider.send("evm_mine", []);
    const afterFirst = { blockNumber: await ethers.provider.getBlockNumber(), logIndex: 0 };

    await time.increase(2 * DAY);
    const t2 = await time.latest();
    const second = developmentPcsContent(pcs, t2 - 60, t2 + 60 * DAY);
    await sync(second);
    await ethers.provider.send("evm_mine", []);
    const afterSecond = { blockNumber: await ethers.provider.getBlockNumber(), logIndex: 0 };

    const then = await chain.at(quote, afterFirst);
    expect(Buffer.from(then.tcbInfo).equals(Buffer.from(first.tcbInfos[0]))).to.equal(true);
    expect(Buffer.from(then.qeIdentity).equals(Buffer.from(first.qeIdentity))).to.equal(true);
    expect(Buffer.from(then.rootCaCrl).equals(Buffer.from(first.rootCaCrl))).to.equal(true);
    expect(Buffer.from(then.pckCaCrl).equals(Buffer.from(first.pckCrls.platform))).to.equal(true);
    expect(Buffer.from(then.tcbSigningChainPem).equals(Buffer.from(first.tcbSigningChainPem))).to.equal(true);

    const now = await chain.at(quote, afterSecond);
    expect(Buffer.from(now.tcbInfo).equals(Buffer.from(second.tcbInfos[0]))).to.equal(true);
    expect(Buffer.from(now.pckCaCrl).equals(Buffer.from(second.pckCrls.platform))).to.equal(true);
    expect(Buffer.from(now.tcbInfo).equals(Buffer.from(then.tcbInfo))).to.equal(false);
  });

  it("names the statuses of a verifier's status mask (Revoked never)", function () {
    expect(tcbStatusesOfMask(1)).to.deep.equal(["UpToDate"]);
    expect(tcbStatusesOfMask(0b1011)).to.deep.equal(["UpToDate", "SWHardeningNeeded", "ConfigurationAndSWHardeningNeeded"]);
    expect(tcbStatusesOfMask(0x7f)).to.not.include("Revoked");
    expect(tcbStatusesOfMask(0)).to.deep.equal([]);
  });
});
