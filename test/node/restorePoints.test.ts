import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { CommandJournal } from "../../src/node/commandJournal";
import { NodeError } from "../../src/node/errors";
import { RestorePoints, type RestorePoint } from "../../src/node/restorePoints";
import { tempDir } from "./helpers";

/**
 * Restore points (reorg rollback) and the command journal on disk: copies and restores of a sealed directory,
 * pruning, a restore a crash interrupted (finished by the next start, journal reopened), torn and corrupt journals.
 */
describe("restore points and the command journal (files)", function () {
  let dataDir: string;
  let sealedDir: string;
  const write = (name: string, text: string) => fs.writeFileSync(path.join(sealedDir, name), text);
  const read = (name: string) => fs.readFileSync(path.join(sealedDir, name), "utf8");
  const point = (block: number, lastApplied: number): RestorePoint => ({ block, hash: `0x${block.toString(16).padStart(64, "0")}`, lastApplied: String(lastApplied) });

  beforeEach(function () {
    dataDir = tempDir("anonify-restore-");
    sealedDir = path.join(dataDir, "enclave");
    fs.mkdirSync(sealedDir);
  });
  afterEach(function () {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("restores the newest point at or before a block, drops later points and files the point did not have", function () {
    const points = new RestorePoints(dataDir, sealedDir, 10);
    write("runtime-state.sealed", "state@5");
    points.take(point(5, 1));
    write("runtime-state.sealed", "state@7");
    write("mls-group.sealed", "group@7");
    points.take(point(7, 2));
    write("runtime-state.sealed", "state@9");
    points.take(point(9, 3));

    expect(points.newestAtOrBefore(8)).to.deep.equal(point(7, 2));
    expect(points.newestAtOrBefore(4)).to.equal(undefined);
    const restored: RestorePoint[] = [];
    points.restore(points.newestAtOrBefore(6)!, (p) => restored.push(p));
    expect(restored).to.deep.equal([point(5, 1)]);
    expect(read("runtime-state.sealed")).to.equal("state@5");
    expect(fs.existsSync(path.join(sealedDir, "mls-group.sealed")), "a file taken after the point is gone").to.equal(false);
    expect(points.list().map((p) => p.block)).to.deep.equal([5]);
  });

  it("leaves out the enclave's in-flight writes (a temp file renamed away mid-copy cannot fail the point) and keeps both slots of the manifest", function () {
    const points = new RestorePoints(dataDir, sealedDir, 10);
    write("reply-keys.sealed", "keys@3");
    write("reply-keys.sealed.tmp-b1b9895319a6-63", "keys@4, half written");
    write("store-manifest.sealed", "manifest@2");
    write("store-manifest.sealed.b", "manifest@3, the newest");
    points.take(point(3, 1));
    expect(fs.readdirSync(path.join(dataDir, "restore-points", "3")).sort()).to.deep.equal([
      "point.json",
      "reply-keys.sealed",
      "store-manifest.sealed",
      "store-manifest.sealed.b",
    ]);
    write("reply-keys.sealed", "keys@5");
    write("store-manifest.sealed", "manifest@4");
    fs.rmSync(path.join(sealedDir, "reply-keys.sealed.tmp-b1b9895319a6-63"));
    points.restore(points.newestAtOrBefore(3)!, () => undefined);
    expect(read("reply-keys.sealed")).to.equal("keys@3");
    expect(read("store-manifest.sealed")).to.equal("manifest@2");
    expect(read("store-manifest.sealed.b")).to.equal("manifest@3, the newest");
    expect(fs.readdirSync(sealedDir).sort()).to.deep.equal(["reply-keys.sealed", "store-manifest.sealed", "store-manifest.sealed.b"]);
  });

  it("prunes points older than the depth but keeps the newest of them (the safe point)", function () {
    const points = new RestorePoints(dataDir, sealedDir, 10);
    write("runtime-state.sealed", "x");
    for (const block of [1, 3, 5, 20, 25]) points.take(point(block, block));
    points.prune(30); // keeps blocks >= 20, plus 5
    expect(points.list().map((p) => p.block)).to.deep.equal([5, 20, 25]);
    expect(() => new RestorePoints(dataDir, sealedDir, 0)).to.throw(NodeError, /reorgDepth must be a positive integer/);
  });

  it("a restore a crash interrupted is finished by the next start, and the journal reopens the commands applied after it", function () {
    const points = new RestorePoints(dataDir, sealedDir, 10);
    write("runtime-state.sealed", "state@5");
    points.take(point(5, 1));
    write("runtime-state.sealed", "state@9");
    points.take(point(9, 2));
    const { journal } = CommandJournal.open(dataDir);
    journal.accepted("0xaa", "0x01");
    journal.done({ id: "0xaa", status: "applied", stateCounter: "1" });
    journal.accepted("0xbb", "0x02");
    journal.done({ id: "0xbb", status: "applied", stateCounter: "2" });
    journal.close();

    const crash = new Error("killed mid-restore");
    expect(() => points.restore(point(5, 1), () => {
      throw crash;
    })).to.throw(crash);
    expect(fs.existsSync(path.join(dataDir, "restore-points", "restoring"))).to.equal(true);

    const onRestart = new RestorePoints(dataDir, sealedDir, 10);
    const finished = onRestart.finishInterruptedRestore((p) => CommandJournal.reopenAfter(dataDir, BigInt(p.lastApplied)));
    expect(finished).to.deep.equal(point(5, 1));
    expect(read("runtime-state.sealed")).to.equal("state@5");
    expect(onRestart.finishInterruptedRestore(() => expect.fail("nothing left to finish"))).to.equal(undefined);
    const statuses = Object.fromEntries(CommandJournal.open(dataDir).commands.map((c) => [c.status.id, c.status.status]));
    expect(statuses).to.deep.equal({ "0xaa": "applied", "0xbb": "queued" });
    expect(CommandJournal.reopenAfter(dataDir, 1n), "reopening again changes nothing").to.equal(0);
  });

  it("the journal ignores a torn last line and refuses a corrupt one naming it", function () {
    const file = path.join(dataDir, "commands.journal");
    const { journal } = CommandJournal.open(dataDir);
    journal.accepted("0xaa", "0x01");
    journal.close();
    fs.appendFileSync(file, '{"t":"done","id":"0xaa","sta'); // the write a crash cut short
    expect(CommandJournal.open(dataDir).commands.map((c) => c.status.status)).to.deep.equal(["queued"]);
    fs.writeFileSync(file, '{"t":"accepted","id":"0xaa","payload":"0x01"}\nnot json\n{"t":"accepted","id":"0xbb","payload":"0x02"}\n');
    expect(() => CommandJournal.open(dataDir)).to.throw(NodeError, /commands\.journal line 2 is corrupt/);
  });
});
