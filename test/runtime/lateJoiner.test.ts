import { expect } from "chai";
import { hexlify, Wallet } from "ethers";
import { domainParams, groupDomain, openReadReply, sealCommand, sealRead, utf8, type Hex } from "../../src/client/wire";
import type { EnclaveProcess } from "../../src/enclave/EnclaveProcess";
import type { StateApplyResult } from "../../src/enclave/protocol";
import { admitEachOther, createGroupParams, startEnclave, tempDir } from "../enclave/helpers";

/**
 * An enclave that joins the group after commands were logged cannot decrypt them (MLS forward
 * secrecy). It skips them and catches up from a snapshot entry a member makes (`state_snapshot`),
 * then applies the log like everyone else: three real enclave processes, one state hash.
 */

const domain = groupDomain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
const domainArg = domainParams(domain);

function hashOf(result: StateApplyResult): string {
  if ("duplicate" in result) throw new Error("unexpected duplicate");
  return result.stateHash;
}

describe("State runtime: a late joiner catches up from a snapshot entry (simulation)", function () {
  this.timeout(60_000);
  const dirs = [tempDir(), tempDir()];
  let a: EnclaveProcess;
  let c: EnclaveProcess;

  before(async function () {
    a = await startEnclave({ dataDir: dirs[0].dir });
    c = await startEnclave({ dataDir: dirs[1].dir });
    await a.init();
    await c.init();
  });
  after(async function () {
    await a?.close();
    await c?.close();
    for (const d of dirs) d.cleanup();
  });

  it("skips the entries it cannot read, adopts the snapshot and then agrees on every entry", async function () {
    const owner = new Wallet(Wallet.createRandom().privateKey);
    const alice = new Wallet(Wallet.createRandom().privateKey);
    const { hpkePublicKey } = await a.call("evidence", {});
    const log: { stateCounter: string; epoch: string; entry: Hex; blockTimestamp: string }[] = [];
    const post = (e: { epoch: string; entry: Hex }) => {
      const params = { stateCounter: String(log.length + 1), epoch: e.epoch, entry: e.entry, blockTimestamp: String(Math.floor(Date.now() / 1000)) };
      log.push(params);
      return params;
    };
    const command = async (signer: Wallet, nonce: number, payload: Parameters<typeof sealCommand>[0]["payload"]) => {
      const sealed = await sealCommand({ enclaveHpkeKey: hpkePublicKey, signer, domain, nonce, payload });
      return post(await a.call("state_submit", { payload: sealed.payload, domain: domainArg }));
    };

    await admitEachOther([a, c]);
    const genesis = await a.call("mls_create_group", await createGroupParams(a, { ...domainArg, chainId: 31337 }));
    await a.call("state_apply", await command(owner, 0, { op: "init", name: "Anonify Token", symbol: "ANT", initialSupply: 500n }));
    await a.call("state_apply", await command(owner, 1, { op: "transfer", to: alice.address, amount: 70n }));

    // c joins from the log (genesis), then both process its external commit.
    await c.call("mls_process_handshake", { handshake: genesis.handshake });
    const join = await c.call("mls_join_external", { domain: { ...domainArg, chainId: 31337 } });
    await a.call("mls_process_handshake", { handshake: join.handshake });
    await c.call("mls_process_handshake", { handshake: join.handshake });

    // The entries of epoch 1 are not readable by c.
    const first = await c.call("state_apply", log[0]).catch((e: unknown) => e);
    expect(first).to.include({ code: "epoch_mismatch" });
    const second = await c.call("state_apply", log[1]).catch((e: unknown) => e);
    expect(second).to.include({ code: "counter_gap" });

    const snapshot = await a.call("state_snapshot", { domain: domainArg });
    expect(snapshot.stateCounter).to.equal("2");
    const snapParams = post(snapshot);
    const ra = await a.call("state_apply", snapParams);
    const rc = await c.call("state_apply", snapParams);
    expect(ra).to.include({ outcome: "applied", snapshot: "checked" });
    expect(rc).to.include({ outcome: "applied", snapshot: "adopted" });
    expect(hashOf(rc)).to.equal(hashOf(ra));

    const next = await command(alice, 0, { op: "transfer", to: owner.address, amount: 20n });
    expect(hashOf(await c.call("state_apply", next))).to.equal(hashOf(await a.call("state_apply", next)));
    const read = await sealRead({ enclaveHpkeKey: (await c.call("evidence", {})).hpkePublicKey, signer: alice, domain, query: { op: "balanceOf", account: alice.address } });
    const reply = await openReadReply(read.replyKeyPair, (await c.call("state_read", { payload: read.payload })).reply);
    expect(reply).to.deep.equal({ ok: true, result: "50", stateCounter: 4n, runtime: "anonify-token/v1" });
  });
});
