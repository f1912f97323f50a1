/**
 * The node's index of command outcomes from the log (src/node/outcomeIndex.ts): survives a reopen, keeps the newest
 * ids within its bound, skips a torn or bad line, and forgets outcomes after a rollback's counter.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import type { Hex } from "../../src/client/wire";
import { OUTCOME_INDEX_FILE, OutcomeIndex } from "../../src/node/outcomeIndex";
import { tempDir } from "./helpers";

const id = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;

describe("node: the outcome index of the whole log", function () {
  let dir: string;
  beforeEach(() => (dir = tempDir("anonify-outcomes-")));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("records applied and rejected outcomes and answers them after a reopen (ids case-insensitive)", function () {
    const index = OutcomeIndex.open(dir);
    index.record(id(1), { status: "applied", stateCounter: 1n });
    index.record(id(0xab), { status: "rejected", stateCounter: 2n, reason: "insufficient balance" });
    index.close();
    const reopened = OutcomeIndex.open(dir);
    expect(reopened.get(id(1))).to.deep.equal({ status: "applied", stateCounter: 1n });
    expect(reopened.get(`0x${id(0xab).slice(2).toUpperCase()}`)).to.deep.equal({ status: "rejected", stateCounter: 2n, reason: "insufficient balance" });
    expect(reopened.get(id(3))).to.equal(undefined);
    reopened.close();
  });

  it("keeps the newest ids within its bound, in memory and on disk", function () {
    const index = OutcomeIndex.open(dir, 3);
    for (let n = 1; n <= 8; n++) index.record(id(n), { status: "applied", stateCounter: BigInt(n) });
    expect(index.size).to.equal(3);
    expect(index.get(id(5))).to.equal(undefined);
    expect(index.get(id(8))?.stateCounter).to.equal(8n);
    index.close();
    const lines = fs.readFileSync(path.join(dir, OUTCOME_INDEX_FILE), "utf8").trimEnd().split("\n");
    expect(lines.length, "compacted once the file held twice the bound").to.be.at.most(6);
    const reopened = OutcomeIndex.open(dir, 3);
    expect([6, 7, 8].map((n) => reopened.get(id(n))?.stateCounter)).to.deep.equal([6n, 7n, 8n]);
    expect(reopened.size).to.equal(3);
    reopened.close();
  });

  it("skips a torn last line and junk lines; truncateAfter forgets outcomes past a rollback's counter", function () {
    const file = path.join(dir, OUTCOME_INDEX_FILE);
    fs.writeFileSync(
      file,
      [
        JSON.stringify({ id: id(1), s: "applied", c: "1" }),
        "not json",
        JSON.stringify({ id: "0x12", s: "applied", c: "2" }),
        JSON.stringify({ id: id(3), s: "failed", c: "3" }),
        JSON.stringify({ id: id(4), s: "rejected", c: "4", r: "not owner" }),
        '{"id":"0x',
      ].join("\n"),
    );
    const index = OutcomeIndex.open(dir);
    expect(index.size).to.equal(2);
    expect(index.get(id(4))).to.deep.equal({ status: "rejected", stateCounter: 4n, reason: "not owner" });
    index.close();
    expect(OutcomeIndex.truncateAfter(dir, 1n)).to.equal(1);
    const after = OutcomeIndex.open(dir);
    expect(after.get(id(1))?.status).to.equal("applied");
    expect(after.get(id(4))).to.equal(undefined);
    after.close();
  });
});
