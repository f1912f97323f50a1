import { expect } from "chai";
import { getAddress, keccak256, verifyTypedData } from "ethers";
import type { EnclaveProcess } from "../../src/enclave/EnclaveProcess";
import type {
  Eip712DomainParams,
  MlsHandshakeEntry,
  MlsMemberStatus,
  MlsProcessHandshakeResult,
} from "../../src/enclave/protocol";
import { admitEachOther, createGroupParams, startEnclave, tempDir } from "../enclave/helpers";

/**
 * Two enclave processes build a group through the handshake log exactly as the chain carries it:
 * genesis, an external join made from the followed public state, an update and a removal. Every
 * handshake is signed for AnonifyGroup (EIP-712 Handshake(uint64 epoch, bytes32 handshakeHash)) by
 * the enclave's attested address.
 */

const domain: Eip712DomainParams = {
  name: "Anonify",
  version: "1",
  chainId: 31337,
  verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
};
const handshakeTypes = { Handshake: [{ name: "epoch", type: "uint64" }, { name: "handshakeHash", type: "bytes32" }] };

function signer(entry: MlsHandshakeEntry): string {
  expect(entry.handshakeHash).to.equal(keccak256(entry.handshake));
  if (entry.signature === undefined) throw new Error("handshake entry made with a domain carries no signature");
  return verifyTypedData(domain, handshakeTypes, { epoch: entry.chainEpoch, handshakeHash: entry.handshakeHash }, entry.signature);
}

/** The member status reported with an applied commit (own_commit, commit, external_join). */
function appliedStatus(result: MlsProcessHandshakeResult): MlsMemberStatus {
  if (result.outcome !== "own_commit" && result.outcome !== "commit" && result.outcome !== "external_join") {
    throw new Error(`expected an applied commit, got ${result.outcome}`);
  }
  return result.status;
}

describe("MLS handshake log through two enclave processes (simulation)", function () {
  const dirs = [tempDir(), tempDir()];
  let a: EnclaveProcess;
  let b: EnclaveProcess;
  let addressA: string;
  let addressB: string;

  before(async function () {
    a = await startEnclave({ dataDir: dirs[0].dir });
    b = await startEnclave({ dataDir: dirs[1].dir });
    addressA = getAddress((await a.init()).address);
    addressB = getAddress((await b.init()).address);
  });
  after(async function () {
    await a.close();
    await b.close();
    for (const d of dirs) d.cleanup();
  });

  it("creates, admits by external commit from the followed log, updates and removes, agreeing at every epoch", async function () {
    const log: MlsHandshakeEntry[] = [];
    await admitEachOther([a, b]);
    const genesis = await a.call("mls_create_group", await createGroupParams(a, domain));
    expect(genesis.chainEpoch).to.equal(0);
    expect(signer(genesis)).to.equal(addressA);
    log.push(genesis);

    // b follows the log (public data only) and joins from it.
    await b.call("mls_process_handshake", { handshake: genesis.handshake });
    expect((await b.call("mls_status", {})).followedEpoch).to.equal(0);
    const join = await b.call("mls_join_external", { domain });
    expect(join.chainEpoch).to.equal(1);
    expect(signer(join)).to.equal(addressB);
    log.push(join);

    const update = async (who: EnclaveProcess, leaves?: number[]) => {
      const entry = leaves
        ? await who.call("mls_commit_remove", { leaves, domain })
        : await who.call("mls_commit_update", { domain });
      log.push(entry);
      return entry;
    };
    const applyLast = async () => {
      const entry = log[log.length - 1];
      return [await a.call("mls_process_handshake", { handshake: entry.handshake }),
              await b.call("mls_process_handshake", { handshake: entry.handshake })];
    };

    let [ra, rb] = await applyLast();
    expect([ra.outcome, rb.outcome]).to.deep.equal(["external_join", "own_commit"]);
    expect(appliedStatus(ra).epochAuthenticator).to.equal(appliedStatus(rb).epochAuthenticator);

    const up = await update(b);
    expect(up.chainEpoch).to.equal(2);
    expect(signer(up)).to.equal(addressB);
    [ra, rb] = await applyLast();
    expect([ra.outcome, rb.outcome]).to.deep.equal(["commit", "own_commit"]);
    expect(appliedStatus(ra).epoch).to.equal(2);
    expect(appliedStatus(ra).epochAuthenticator).to.equal(appliedStatus(rb).epochAuthenticator);

    // Public state served by a member lets anyone check the group's shape.
    const pub = await a.call("mls_public_state", {});
    expect(pub.epoch).to.equal(2);

    const removal = await update(a, [appliedStatus(rb).leaf]);
    expect(signer(removal)).to.equal(addressA);
    [ra, rb] = await applyLast();
    expect([ra.outcome, rb.outcome]).to.deep.equal(["own_commit", "removed"]);
    expect(appliedStatus(ra).memberCount).to.equal(1);

    // Removed, b keeps following the log; a refused request (bad domain) changes nothing.
    const removed = await b.call("mls_status", {});
    expect(removed).to.deep.equal({ group: null, followedEpoch: 3, selfUpdateRequired: false });
    const badDomain = await b
      .call("mls_join_external", { domain: { ...domain, verifyingContract: "0x00" } })
      .catch((e: unknown) => e);
    expect(badDomain).to.include({ code: "invalid_params" });
    expect(await b.call("mls_status", {})).to.deep.equal(removed);
    expect((await b.call("mls_public_state", {})).groupInfo).to.equal(removal.groupInfo);

    // Every entry is bound to its chain epoch: the log is 0, 1, 2, 3.
    expect(log.map((e) => e.chainEpoch)).to.deep.equal([0, 1, 2, 3]);
    const replay = await a.call("mls_process_handshake", { handshake: up.handshake }).catch((e: unknown) => e);
    expect(replay).to.include({ code: "wrong_epoch" });
  });
});
