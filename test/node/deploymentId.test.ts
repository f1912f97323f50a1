/**
 * Ignition deployment ids of anonify:deploy (issue 15 item 9): deterministic, so re-running an interrupted deploy
 * resumes its journal; a completed deployment (named by a record of the data dir, or a journal whose every future
 * completed) is never reused, so `--force` and a reset chain take the next id. The resume itself runs in
 * test/e2e/testnet.test.ts.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { buildAnonifyModule } from "../../deploy/modules/anonifyModule";
import { defaultDeploymentId, ignitionJournalComplete } from "../../src/node/deployment";

describe("anonify:deploy: deployment ids", function () {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "anonify-deployment-id-"));
  const hre = { config: { paths: { ignition: path.join(dir, "ignition") } } } as unknown as HardhatRuntimeEnvironment;
  const dataDir = path.join(dir, "data");
  const module = buildAnonifyModule({ trustAnchor: "simulation", allowedMrenclaves: [`0x${"11".repeat(32)}`] });
  const futures = [...module.futures];

  function journal(id: string, lines: object[], tail = ""): void {
    const d = path.join(dir, "ignition", "deployments", id);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, "journal.jsonl"), lines.map((l) => JSON.stringify(l)).join("\n") + "\n" + tail);
  }
  const completeOf = (f: { id: string; type: string }) => ({
    type: /DEPLOYMENT$/.test(f.type) ? "DEPLOYMENT_EXECUTION_STATE_COMPLETE" : "CALL_EXECUTION_STATE_COMPLETE",
    futureId: f.id,
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("is anonify-<chainId> while nothing completed, also with an interrupted journal (resumed)", function () {
    expect(defaultDeploymentId(hre, dataDir, 11155111n, module)).to.equal("anonify-11155111");
    // Interrupted after the first future (and a line cut short by the kill).
    journal("anonify-11155111", [{ type: "DEPLOYMENT_INITIALIZE", chainId: 11155111 }, completeOf(futures[0])], '{"type":"NETWORK_INTERA');
    expect(ignitionJournalComplete(hre, "anonify-11155111", module)).to.equal(false);
    expect(defaultDeploymentId(hre, dataDir, 11155111n, module)).to.equal("anonify-11155111");
  });

  it("takes the next id after a completed journal (a reset chain) or one a record names (--force)", function () {
    journal("anonify-11155111", futures.map(completeOf));
    expect(ignitionJournalComplete(hre, "anonify-11155111", module)).to.equal(true);
    expect(defaultDeploymentId(hre, dataDir, 11155111n, module)).to.equal("anonify-11155111-2");
    // A --force deploy: the live record names -2 (its journal may be elsewhere); the replaced record is read too.
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, "deployment-11155111.json"), JSON.stringify({ group: "0x0000000000000000000000000000000000000001", deploymentId: "anonify-11155111-2" }));
    fs.writeFileSync(path.join(dataDir, "deployment-11155111.replaced-1.json"), JSON.stringify({ group: "0x0000000000000000000000000000000000000001", deploymentId: "anonify-11155111-3" }));
    expect(defaultDeploymentId(hre, dataDir, 11155111n, module)).to.equal("anonify-11155111-4");
    // Other chains are not affected.
    expect(defaultDeploymentId(hre, dataDir, 31337n, module)).to.equal("anonify-31337");
  });
});
