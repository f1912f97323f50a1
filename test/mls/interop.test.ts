import { expect } from "chai";
import * as mls from "ts-mls";
import type { EnclaveProcess } from "../../src/enclave/EnclaveProcess";
import type { Hex, MlsGroupStatus, MlsMemberStatus, MlsProcessHandshakeResult } from "../../src/enclave/protocol";
import { hexToBytes, startEnclave, tempDir, toHex } from "../enclave/helpers";

/**
 * Interop with an independent RFC 9420 implementation (ts-mls 1.6.4), ciphersuite 1. ts-mls builds
 * the group; our enclave joins it by external commit from the signed GroupInfo alone, then both
 * sides process each other's commits and application messages and must agree on the epoch
 * authenticator and an exporter secret after every epoch.
 */

/** The member status reported with an applied commit (own_commit, commit, external_join). */
function appliedStatus(result: MlsProcessHandshakeResult): MlsMemberStatus {
  if (result.outcome !== "own_commit" && result.outcome !== "commit" && result.outcome !== "external_join") {
    throw new Error(`expected an applied commit, got ${result.outcome}`);
  }
  return result.status;
}

/** The status of a group this enclave is a member of (`mls_status().group`). */
function memberStatus(status: MlsGroupStatus | null): MlsMemberStatus {
  if (status === null || !status.member) throw new Error(`expected a member, got ${JSON.stringify(status)}`);
  return status;
}

/** MLS varint length prefix (RFC 9420 section 2.1.2). */
function varint(length: number): number[] {
  if (length < 1 << 6) return [length];
  if (length < 1 << 14) return [0x40 | (length >> 8), length & 0xff];
  return [0x80 | (length >>> 24), (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff];
}

/** A handshake-log entry {opaque commit<V>; opaque group_info<V>} carrying a ts-mls commit. */
function handshakeEntry(commit: Uint8Array, groupInfo: Uint8Array): Hex {
  return toHex(Uint8Array.from([...varint(commit.length), ...commit, ...varint(groupInfo.length), ...groupInfo]));
}

const EXPORT_LABEL = "interop";
const EXPORT_CONTEXT = Uint8Array.from([0xa1, 0xb2]);

describe("MLS interop with ts-mls (real enclave binary, simulation)", function () {
  let data: ReturnType<typeof tempDir>;
  let enclave: EnclaveProcess;
  let impl: mls.CiphersuiteImpl;

  beforeEach(async function () {
    data = tempDir();
    enclave = await startEnclave({ dataDir: data.dir });
    await enclave.init();
    impl = await mls.getCiphersuiteImpl(mls.getCiphersuiteFromName("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519"));
  });
  afterEach(async function () {
    await enclave.close();
    data.cleanup();
  });

  async function expectAgreement(state: mls.ClientState, status: MlsMemberStatus) {
    expect(status.epoch).to.equal(Number(state.groupContext.epoch));
    expect(status.epochAuthenticator).to.equal(toHex(state.keySchedule.epochAuthenticator));
    const ours = await enclave.call("mls_export_secret", { label: EXPORT_LABEL, context: toHex(EXPORT_CONTEXT), length: 32 });
    const theirs = await mls.mlsExporter(state.keySchedule.exporterSecret, EXPORT_LABEL, EXPORT_CONTEXT, 32, impl);
    expect(ours.secret).to.equal(toHex(theirs));
  }

  /** ts-mls's GroupInfo for its current epoch: what a committer publishes with its commit. */
  async function publishedGroupInfo(state: mls.ClientState): Promise<Uint8Array> {
    const groupInfo = await mls.createGroupInfoWithExternalPub(state, [], impl);
    return mls.encodeMlsMessage({ version: "mls10", wireformat: "mls_group_info", groupInfo });
  }

  async function tsProcess(state: mls.ClientState, message: Uint8Array) {
    const decoded = mls.decodeMlsMessage(message, 0)![0] as mls.MlsPublicMessage | mls.MlsPrivateMessage;
    return mls.processMessage(decoded, state, mls.emptyPskIndex, mls.acceptAll, impl);
  }

  it("joins a ts-mls group by external commit and both sides follow each other's commits", async function () {
    const credential: mls.Credential = { credentialType: "basic", identity: new TextEncoder().encode("ts-mls alice") };
    const alice = await mls.generateKeyPackage(credential, mls.defaultCapabilities(), mls.defaultLifetime, [], impl);
    let state = await mls.createGroup(new TextEncoder().encode("anonify-interop"), alice.publicPackage, alice.privatePackage, [], impl);
    const groupInfo = await mls.createGroupInfoWithExternalPubAndRatchetTree(state, [], impl);
    const groupInfoBytes = mls.encodeMlsMessage({ version: "mls10", wireformat: "mls_group_info", groupInfo });

    // Our enclave joins from the GroupInfo alone (tree in the ratchet_tree extension).
    // interop: a foreign (ts-mls) group, joined without the membership rule (simulation builds only).
    const join = await enclave.call("mls_join_external", { groupInfo: toHex(groupInfoBytes), interop: true });
    state = (await tsProcess(state, hexToBytes(join.commit))).newState;
    const joined = await enclave.call("mls_process_handshake", { handshake: join.handshake });
    expect(joined.outcome).to.equal("own_commit");
    expect(appliedStatus(joined).memberCount).to.equal(2);
    await expectAgreement(state, appliedStatus(joined));

    // ts-mls commits a self-update (PublicMessage); we process it from the log.
    const theirCommit = await mls.createCommit({ state, cipherSuite: impl }, { wireAsPublicMessage: true });
    state = theirCommit.newState;
    const theirEntry = handshakeEntry(mls.encodeMlsMessage(theirCommit.commit), await publishedGroupInfo(state));
    const processed = await enclave.call("mls_process_handshake", { handshake: theirEntry });
    expect(processed.outcome).to.equal("commit");
    await expectAgreement(state, appliedStatus(processed));

    // We commit a self-update; ts-mls processes it.
    const ourCommit = await enclave.call("mls_commit_update", {});
    state = (await tsProcess(state, hexToBytes(ourCommit.commit))).newState;
    const applied = await enclave.call("mls_process_handshake", { handshake: ourCommit.handshake });
    expect(applied.outcome).to.equal("own_commit");
    await expectAgreement(state, appliedStatus(applied));

    // Application messages both ways.
    const wrapped = await enclave.call("mls_protect", { data: toHex(new TextEncoder().encode("from the enclave")) });
    const received = await tsProcess(state, hexToBytes(wrapped.message));
    expect(received.kind).to.equal("applicationMessage");
    state = received.newState;
    expect(new TextDecoder().decode((received as { message: Uint8Array }).message)).to.equal("from the enclave");
    const reply = await mls.createApplicationMessage(state, new TextEncoder().encode("from ts-mls"), impl, new TextEncoder().encode("anonify/host"));
    state = reply.newState;
    const opened = await enclave.call("mls_unprotect", {
      message: toHex(mls.encodeMlsMessage({ version: "mls10", wireformat: "mls_private_message", privateMessage: reply.privateMessage })),
    });
    expect(new TextDecoder().decode(hexToBytes(opened.data))).to.equal("from ts-mls");

    // A ts-mls commit replayed from the log is stale and changes nothing.
    const stale = await enclave.call("mls_process_handshake", { handshake: theirEntry }).catch((e: unknown) => e);
    expect(stale).to.include({ code: "wrong_epoch" });
    await expectAgreement(state, memberStatus((await enclave.call("mls_status", {})).group));
  });

  it("refuses a forged ts-mls commit and one published with a stale GroupInfo, and stays in step afterwards", async function () {
    const credential: mls.Credential = { credentialType: "basic", identity: new TextEncoder().encode("ts-mls bob") };
    const bob = await mls.generateKeyPackage(credential, mls.defaultCapabilities(), mls.defaultLifetime, [], impl);
    let state = await mls.createGroup(new TextEncoder().encode("anonify-interop-2"), bob.publicPackage, bob.privatePackage, [], impl);
    const groupInfo = await mls.createGroupInfoWithExternalPubAndRatchetTree(state, [], impl);
    const join = await enclave.call("mls_join_external", {
      interop: true,
      groupInfo: toHex(mls.encodeMlsMessage({ version: "mls10", wireformat: "mls_group_info", groupInfo })),
    });
    state = (await tsProcess(state, hexToBytes(join.commit))).newState;
    await enclave.call("mls_process_handshake", { handshake: join.handshake });

    const commit = await mls.createCommit({ state, cipherSuite: impl }, { wireAsPublicMessage: true });
    const message = commit.commit as mls.MLSMessage & mls.MlsPublicMessage;
    const forged = structuredClone(message);
    forged.publicMessage.auth.signature = Uint8Array.from(forged.publicMessage.auth.signature, (b, i) => (i === 0 ? b ^ 1 : b));
    const published = await publishedGroupInfo(commit.newState);
    const refused = await enclave.call("mls_process_handshake", {
      handshake: handshakeEntry(mls.encodeMlsMessage(forged), published),
    }).catch((e: unknown) => e);
    expect(refused).to.have.property("code").that.is.oneOf(["invalid_signature", "authentication_failed"]);
    // The genuine commit published with a GroupInfo of the old epoch is refused too.
    const mismatched = await enclave.call("mls_process_handshake", {
      handshake: handshakeEntry(mls.encodeMlsMessage(message), await publishedGroupInfo(state)),
    }).catch((e: unknown) => e);
    expect(mismatched).to.include({ code: "invalid_message" });

    state = commit.newState;
    const processed = await enclave.call("mls_process_handshake", {
      handshake: handshakeEntry(mls.encodeMlsMessage(message), published),
    });
    await expectAgreement(state, appliedStatus(processed));
  });
});
