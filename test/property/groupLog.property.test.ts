import { expect } from "chai";
import fc from "fast-check";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { hexlify, keccak256, type ContractTransactionResponse } from "ethers";
import { EnclaveKeys } from "../group/helpers/enclaveKeys";
import { EMPTY_LOG_HASH, foldLogHash, nextLogHash } from "../group/helpers/logHash";
import { MRENCLAVE_V1, MRENCLAVE_V2, RevocationReason, joinArguments, simulationGroupFixture } from "../group/helpers/fixtures";

// Property: AnonifyGroup's log against a small model of it. Random sequences of joins, handshakes,
// single and batched ciphertexts (with right and wrong post sequence numbers), snapshots (at right and
// wrong positions), replays of accepted posts, checkpoints, revocations, evictions (by anyone after the
// grace period, by the governor at once), reinstatements, removal commits naming pending, already removed or
// active enclaves (audit F-6: no ciphertext or snapshot while a revoked enclave's removal is pending), MRENCLAVE
// policy changes and the passing of time, from four attested enclaves (two per MRENCLAVE, really signed) and one never admitted, each
// compared with the model: every successful call emits exactly the model's events (stateCounter
// +1 per entry, epoch +1 per handshake or join, post sequence +1 per ciphertext of the signer in the
// epoch), every refused one reverts with the model's error and arguments and changes nothing. The model also
// keeps the log hash chain (audit F-8): after every operation the contract's logHash() is the model's L_counter,
// and checkpoints sign L_at and carry the later entries' hashes (right, one short, or one changed).

const RUNS = 100;
const SEED = 20261121; // fixed: the coverage check below must not depend on luck
const POOL = 4; // enclaves that may join; index POOL never does
const MRENCLAVES = [MRENCLAVE_V1, MRENCLAVE_V1, MRENCLAVE_V2, MRENCLAVE_V2];

type Status = "none" | "active" | "revoked";

interface Model {
  epoch: bigint;
  counter: bigint;
  /** keccak256 of every entry, in counter order, and L_0 … L_counter (test/group/helpers/logHash.ts). */
  entryHashes: string[];
  logHashes: string[];
  status: Status[];
  /** Revoked and its removal commit not landed (audit F-6). */
  pending: boolean[];
  checkpoint: bigint[];
  /** Per enclave: the epoch of its latest ciphertext post and its next post number in that epoch (audit F-5). */
  posts: Array<{ epoch: bigint; next: bigint }>;
  v2Allowed: boolean;
  /** block.timestamp of the disallow of MRENCLAVE_V2 in force (0 while allowed). */
  v2DisallowedAt: bigint;
  /** Whether the eviction grace period has run out since that disallow. */
  v2GraceElapsed: boolean;
}

async function fixture() {
  const f = await simulationGroupFixture();
  await (await f.verifier.connect(f.admin).setMrenclaveAllowed(MRENCLAVE_V2, true)).wait();
  const enclaves = Array.from({ length: POOL + 1 }, () => new EnclaveKeys());
  return { ...f, enclaves };
}

const bytes = (min: number): fc.Arbitrary<Uint8Array> =>
  min > 0
    ? fc.uint8Array({ minLength: min, maxLength: 24 })
    : fc.oneof({ weight: 1, arbitrary: fc.constant(new Uint8Array()) }, { weight: 6, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 24 }) });
// Enclave 0 acts most often, so sequences build up state (joins, entries, checkpoints) to refuse against.
const by = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: fc.nat(POOL) }); // POOL = the stranger
const member = fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.nat(POOL - 1) });
// Evictions and reinstatements matter for the enclaves whose MRENCLAVE the policy toggles (V2).
const byOrV2 = fc.oneof({ weight: 1, arbitrary: by }, { weight: 2, arbitrary: fc.constantFrom(2, 3) });
const epochOffset = fc.constantFrom(0n, 0n, 0n, -1n, 1n);
/** Off the signer's next post number (ciphertexts) or the log's next position (snapshots). */
const sequenceOffset = fc.constantFrom(0n, 0n, 0n, 0n, -1n, 1n);
const operation = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("join" as const), who: member, handshake: bytes(1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("handshake" as const), who: by, offset: epochOffset, handshake: bytes(0) }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("ciphertext" as const), who: by, offset: epochOffset, skew: sequenceOffset, ciphertext: bytes(0) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("batch" as const),
      who: by,
      offset: epochOffset,
      skew: sequenceOffset,
      ciphertexts: fc.array(bytes(0), { minLength: 0, maxLength: 5 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("snapshot" as const), who: by, offset: epochOffset, skew: sequenceOffset, snapshot: bytes(0) }),
  },
  // Resends an accepted ciphertext, batch or snapshot, signature and all (audit F-5: each is accepted once).
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("replay" as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("checkpoint" as const),
      who: by,
      back: fc.integer({ min: -2, max: 3 }),
      tail: fc.constantFrom("right" as const, "short" as const, "changed" as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("revoke" as const), who: by }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("evict" as const), who: byOrV2, byGovernor: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reinstate" as const), who: byOrV2 }) },
  // A removal commit naming the pending enclaves, every revoked one (some may be removed already), or the pending
  // ones and the committer itself (active: refused).
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("removal" as const),
      // Mostly the two enclaves every sequence starts with, so a member commits the removal and posts go on.
      who: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(0, 2) }, { weight: 1, arbitrary: by }),
      names: fc.constantFrom("pending" as const, "pending" as const, "revoked" as const, "self" as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("togglePolicy" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("waitGracePeriod" as const) }) },
);
type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

/** An accepted post as a replayer resends it: `at` is its post sequence number (ciphertexts) or position (snapshots). */
interface Accepted {
  kind: "ciphertext" | "batch" | "snapshot";
  who: number;
  epoch: bigint;
  at: bigint;
  payloads: Uint8Array[];
  signature: string;
}

/** Event arguments compared as strings (addresses lower-cased, numbers in decimal, bytes as hex). */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value instanceof Uint8Array) return hexlify(value);
  return String(value).toLowerCase();
}

describe("property: AnonifyGroup log against a model (joins, posts, checkpoints, evictions)", function () {
  it(`${RUNS} random sequences: every event and every revert is the model's`, async function () {
    /** Successful events and revert reasons met over all runs. */
    const seen = new Set<string>();
    await fc.assert(
      // Each sequence starts with enclaves 0 and 2 (one per MRENCLAVE) joining, so most operations meet a live
      // group and a policy toggle meets a member it concerns, and one entry.
      fc.asyncProperty(fc.array(operation, { minLength: 4, maxLength: 16, size: "max" }), async (randomOps) => {
        const ops: Operation[] = [
          { kind: "join", who: 0, handshake: Uint8Array.of(0x01) },
          { kind: "join", who: 2, handshake: Uint8Array.of(0x02) },
          // And an entry, so checkpoints meet a log even when a revocation soon holds posts back (audit F-6).
          { kind: "ciphertext", who: 0, offset: 0n, skew: 0n, ciphertext: Uint8Array.of(0x03) },
          ...randomOps,
        ];
        const f = await loadFixture(fixture);
        const { group, domain } = f;
        const m: Model = {
          epoch: 0n,
          counter: 0n,
          entryHashes: [],
          logHashes: [EMPTY_LOG_HASH],
          status: f.enclaves.map(() => "none"),
          pending: f.enclaves.map(() => false),
          checkpoint: f.enclaves.map(() => 0n),
          posts: f.enclaves.map(() => ({ epoch: 0n, next: 0n })),
          v2Allowed: true,
          v2DisallowedAt: 0n,
          v2GraceElapsed: false,
        };
        const grace = await group.evictionGracePeriod();
        const accepted: Accepted[] = [];
        /** The post number the contract expects next from enclave `who` in the current epoch. */
        const nextPost = (who: number): bigint => (m.posts[who].epoch === m.epoch ? m.posts[who].next : 0n);
        /** Appends entries to the model's log: the counter and the log hash chain move together. */
        const appendEntries = (payloads: readonly Uint8Array[]) => {
          for (const payload of payloads) {
            const entryHash = keccak256(payload);
            m.entryHashes.push(entryHash);
            m.logHashes.push(nextLogHash(m.logHashes[m.logHashes.length - 1], entryHash));
            m.counter += 1n;
          }
        };

        /** Revoked enclaves whose removal commit has not landed: posts wait while there is one (audit F-6). */
        const pendingCount = (): bigint => BigInt(m.pending.filter((p) => p).length);
        const waitingForRemoval = (): [string, unknown[]] => ["RemovalCommitPending", [pendingCount()]];

        /** The revert the model expects from the signer check (_requireActive), if any. */
        const inactive = (who: number): [string, unknown[]] | undefined =>
          m.status[who] === "active" ? undefined : [m.status[who] === "revoked" ? "EnclaveWasRevoked" : "EnclaveNotRegistered", [f.enclaves[who].address]];

        async function expectEvents(sent: Promise<ContractTransactionResponse>, expected: Array<[string, unknown[]]>) {
          const receipt = await (await sent).wait();
          const events = receipt!.logs.map((log) => group.interface.parseLog(log)!).map((e) => [e.name, normalize(e.args.toArray())]);
          expect(events).to.deep.equal(expected.map(([name, args]) => [name, normalize(args)]));
          for (const [name] of expected) seen.add(name);
        }

        async function expectRevert(sent: () => Promise<unknown>, [error, args]: [string, unknown[]], from = group as object) {
          const head = async () => [
            await group.currentEpoch(),
            await group.stateCounter(),
            await group.activeEnclaveCount(),
            await group.pendingRemovalCount(),
            await group.logHash(),
          ];
          const before = await head();
          await expect(sent()).to.be.revertedWithCustomError(from as typeof group, error).withArgs(...args);
          seen.add(error);
          expect(await head()).to.deep.equal(before);
        }

        for (const op of ops) {
          await apply(op);
          // After every operation, accepted or refused: the head's log hash is the model's L_counter.
          expect(await group.logHash()).to.equal(m.logHashes[Number(m.counter)]);
        }

        async function apply(op: Operation): Promise<void> {
          if (op.kind === "togglePolicy") {
            m.v2Allowed = !m.v2Allowed;
            const receipt = await (await f.verifier.connect(f.admin).setMrenclaveAllowed(MRENCLAVE_V2, m.v2Allowed)).wait();
            m.v2DisallowedAt = m.v2Allowed ? 0n : BigInt((await receipt!.getBlock()).timestamp);
            m.v2GraceElapsed = false;
            expect(await f.verifier.mrenclaveDisallowedAt(MRENCLAVE_V2)).to.equal(m.v2DisallowedAt);
            return;
          }
          if (op.kind === "waitGracePeriod") {
            await time.increase(grace);
            if (!m.v2Allowed) m.v2GraceElapsed = true;
            return;
          }
          if (op.kind === "replay") {
            if (accepted.length === 0) return;
            const post = accepted[op.pick % accepted.length];
            const replayer = group.connect(f.outsider);
            const send =
              post.kind === "ciphertext"
                ? () => replayer.postCiphertext(post.epoch, post.at, post.payloads[0], post.signature)
                : post.kind === "batch"
                  ? () => replayer.postCiphertextBatch(post.epoch, post.at, post.payloads, post.signature)
                  : () => replayer.postSnapshot(post.epoch, post.at, post.payloads[0], post.signature);
            if (post.epoch !== m.epoch) await expectRevert(send, ["EpochMismatch", [m.epoch, post.epoch]]);
            else if (pendingCount() > 0n) await expectRevert(send, waitingForRemoval());
            // A snapshot's position is behind the log now (it took it); the position is checked before the signer.
            else if (post.kind === "snapshot") await expectRevert(send, ["SnapshotPositionMismatch", [m.counter + 1n, post.at]]);
            else if (inactive(post.who)) await expectRevert(send, inactive(post.who)!);
            else await expectRevert(send, ["PostSequenceMismatch", [f.enclaves[post.who].address, nextPost(post.who), post.at]]);
            return;
          }
          const enclave = f.enclaves[op.who];
          const mrenclave = MRENCLAVES[op.who];
          if (op.kind === "join") {
            const args = await joinArguments(f, enclave, { mrenclave, handshake: op.handshake });
            const send = () => group.connect(f.relayer).join(...args);
            if (mrenclave === MRENCLAVE_V2 && !m.v2Allowed) await expectRevert(send, ["MrenclaveNotAllowed", [mrenclave]], f.verifier);
            else if (m.status[op.who] === "active") await expectRevert(send, ["EnclaveAlreadyRegistered", [enclave.address]]);
            else if (m.status[op.who] === "revoked") await expectRevert(send, ["EnclaveWasRevoked", [enclave.address]]);
            else {
              await expectEvents(send(), [
                ["EnclaveJoined", [enclave.address, mrenclave, m.epoch + 1n, enclave.hpkePublicKey, enclave.mlsSignatureKey]],
                ["EnclaveAdmitted", [enclave.address, await f.relayer.getAddress(), false]],
                ["HandshakePosted", [m.epoch, enclave.address, hexlify(op.handshake)]],
              ]);
              m.status[op.who] = "active";
              m.epoch += 1n;
            }
          } else if (op.kind === "handshake") {
            const epoch = m.epoch + op.offset;
            if (epoch < 0n) return;
            const payload = op.handshake;
            const send = async () => group.postHandshake(epoch, payload, await enclave.signHandshake(domain, epoch, payload));
            if (payload.length === 0) await expectRevert(send, ["HandshakeEmpty", []]);
            else if (epoch !== m.epoch) await expectRevert(send, ["EpochMismatch", [m.epoch, epoch]]);
            else if (inactive(op.who)) await expectRevert(send, inactive(op.who)!);
            else {
              await expectEvents(send(), [["HandshakePosted", [epoch, enclave.address, hexlify(payload)]]]);
              m.epoch += 1n;
            }
          } else if (op.kind === "ciphertext") {
            const epoch = m.epoch + op.offset;
            const expected = nextPost(op.who);
            const sequence = expected + op.skew;
            if (epoch < 0n || sequence < 0n) return;
            const payload = op.ciphertext;
            let signature = "";
            const send = async () => {
              signature = await enclave.signCiphertext(domain, epoch, payload, sequence);
              return group.postCiphertext(epoch, sequence, payload, signature);
            };
            if (payload.length === 0) await expectRevert(send, ["CiphertextEmpty", [0]]);
            else if (epoch !== m.epoch) await expectRevert(send, ["EpochMismatch", [m.epoch, epoch]]);
            else if (pendingCount() > 0n) await expectRevert(send, waitingForRemoval());
            else if (inactive(op.who)) await expectRevert(send, inactive(op.who)!);
            else if (sequence !== expected) await expectRevert(send, ["PostSequenceMismatch", [enclave.address, expected, sequence]]);
            else {
              appendEntries([payload]);
              await expectEvents(send(), [["CiphertextPosted", [m.counter, epoch, enclave.address, hexlify(payload)]]]);
              m.posts[op.who] = { epoch, next: sequence + 1n };
              accepted.push({ kind: "ciphertext", who: op.who, epoch, at: sequence, payloads: [payload], signature });
            }
          } else if (op.kind === "batch") {
            const epoch = m.epoch + op.offset;
            const expected = nextPost(op.who);
            const sequence = expected + op.skew;
            if (epoch < 0n || sequence < 0n) return;
            let signature = "";
            const send = async () => {
              signature = await enclave.signCiphertextBatch(domain, epoch, op.ciphertexts, sequence);
              return group.postCiphertextBatch(epoch, sequence, op.ciphertexts, signature);
            };
            const firstEmpty = op.ciphertexts.findIndex((c) => c.length === 0);
            if (op.ciphertexts.length === 0) await expectRevert(send, ["BatchEmpty", []]);
            else if (firstEmpty >= 0) await expectRevert(send, ["CiphertextEmpty", [firstEmpty]]);
            else if (epoch !== m.epoch) await expectRevert(send, ["EpochMismatch", [m.epoch, epoch]]);
            else if (pendingCount() > 0n) await expectRevert(send, waitingForRemoval());
            else if (inactive(op.who)) await expectRevert(send, inactive(op.who)!);
            else if (sequence !== expected) await expectRevert(send, ["PostSequenceMismatch", [enclave.address, expected, sequence]]);
            else {
              await expectEvents(send(), [["CiphertextBatchPosted", [m.counter + 1n, epoch, enclave.address, op.ciphertexts.map((c) => hexlify(c))]]]);
              appendEntries(op.ciphertexts);
              m.posts[op.who] = { epoch, next: sequence + BigInt(op.ciphertexts.length) };
              accepted.push({ kind: "batch", who: op.who, epoch, at: sequence, payloads: op.ciphertexts, signature });
            }
          } else if (op.kind === "snapshot") {
            const epoch = m.epoch + op.offset;
            const position = m.counter + 1n + op.skew;
            if (epoch < 0n) return;
            const payload = op.snapshot;
            let signature = "";
            const send = async () => {
              signature = await enclave.signSnapshot(domain, epoch, position, payload);
              return group.postSnapshot(epoch, position, payload, signature);
            };
            if (payload.length === 0) await expectRevert(send, ["CiphertextEmpty", [0]]);
            else if (epoch !== m.epoch) await expectRevert(send, ["EpochMismatch", [m.epoch, epoch]]);
            else if (pendingCount() > 0n) await expectRevert(send, waitingForRemoval());
            else if (position !== m.counter + 1n) await expectRevert(send, ["SnapshotPositionMismatch", [m.counter + 1n, position]]);
            else if (inactive(op.who)) await expectRevert(send, inactive(op.who)!);
            else {
              // A snapshot is an entry of the log; it does not use a post number of its sender.
              appendEntries([payload]);
              await expectEvents(send(), [["CiphertextPosted", [m.counter, epoch, enclave.address, hexlify(payload)]]]);
              accepted.push({ kind: "snapshot", who: op.who, epoch, at: position, payloads: [payload], signature });
            }
          } else if (op.kind === "checkpoint") {
            const at = m.counter - BigInt(op.back);
            if (at < 0n) return;
            const stateHash = hexlify(Uint8Array.from({ length: 32 }, (_, i) => (i + Number(at)) & 0xff));
            const head = m.logHashes[Number(m.counter)];
            // Beyond the head there is no L_at (the enclave would sign some value; the counter is refused first).
            let logHash = at > m.counter ? head : m.logHashes[Number(at)];
            const right = at > m.counter ? [] : m.entryHashes.slice(Number(at));
            let tail = right;
            // A wrong tail: one hash short (one too many at the head); one hash changed (at the head: another log hash).
            if (op.tail === "short") tail = right.length > 0 ? right.slice(1) : [keccak256(head)];
            if (op.tail === "changed" && right.length > 0) tail = right.map((h, i) => (i === 0 ? keccak256(h) : h));
            if (op.tail === "changed" && right.length === 0) logHash = keccak256(head).slice(0, 34);
            const send = async () => group.postCheckpoint(at, stateHash, logHash, tail, await enclave.signCheckpoint(domain, at, stateHash, logHash));
            if (inactive(op.who)) await expectRevert(send, inactive(op.who)!);
            else if (at > m.counter) await expectRevert(send, ["CheckpointAheadOfLog", [m.counter, at]]);
            else if (at <= m.checkpoint[op.who]) await expectRevert(send, ["CheckpointNotAfterPrevious", [m.checkpoint[op.who], at]]);
            else if (tail.length !== right.length) await expectRevert(send, ["CheckpointTailMismatch", [right.length, tail.length]]);
            else if (op.tail === "changed") await expectRevert(send, ["CheckpointLogMismatch", [head, foldLogHash(logHash, tail)]]);
            else {
              await expectEvents(send(), [["CheckpointPosted", [enclave.address, at, stateHash, logHash]]]);
              m.checkpoint[op.who] = at;
            }
          } else if (op.kind === "reinstate") {
            const allowed = mrenclave === MRENCLAVE_V1 || m.v2Allowed;
            const send = () => group.connect(f.governor).reinstateEnclave(enclave.address);
            if (m.status[op.who] !== "revoked") await expectRevert(send, ["EnclaveNotRevoked", [enclave.address]]);
            else if (!allowed) await expectRevert(send, ["MrenclaveNotAllowed", [mrenclave]]);
            else {
              await expectEvents(send(), [["EnclaveReinstated", [enclave.address, mrenclave, await f.governor.getAddress()]]]);
              m.status[op.who] = "active";
              m.pending[op.who] = false; // its leaf was never removed: a member's again
            }
          } else if (op.kind === "removal") {
            const byAddress = (a: number, b: number) => {
              const [x, y] = [BigInt(f.enclaves[a].address), BigInt(f.enclaves[b].address)];
              return x < y ? -1 : x > y ? 1 : 0;
            };
            const chosen = f.enclaves
              .map((_, i) => i)
              .filter((i) => (op.names === "revoked" ? m.status[i] === "revoked" : m.pending[i] || (op.names === "self" && i === op.who)))
              .sort(byAddress);
            if (chosen.length === 0) return;
            const removed = chosen.map((i) => f.enclaves[i].address);
            const epoch = m.epoch;
            const payload = Uint8Array.of(0xee, op.who, chosen.length);
            const send = async () => group.postRemovalCommit(epoch, payload, removed, await enclave.signRemovalCommit(domain, epoch, payload, removed));
            const refused = chosen.find((i) => !m.pending[i]);
            if (inactive(op.who)) await expectRevert(send, inactive(op.who)!);
            else if (refused !== undefined) {
              await expectRevert(send, ["RemovalNotPending", [f.enclaves[refused].address, { none: 0n, active: 1n, revoked: 2n }[m.status[refused]]]]);
            } else {
              await expectEvents(send(), [
                ...removed.map((a): [string, unknown[]] => ["EnclaveRemoved", [a, epoch, enclave.address]]),
                ["HandshakePosted", [epoch, enclave.address, hexlify(payload)]],
              ]);
              for (const i of chosen) m.pending[i] = false;
              m.epoch += 1n;
            }
          } else {
            const caller = op.kind === "revoke" || op.byGovernor ? f.governor : f.outsider;
            const send = () => (op.kind === "revoke" ? group.connect(caller).revokeEnclave(enclave.address) : group.connect(caller).evictEnclave(enclave.address));
            const allowed = mrenclave === MRENCLAVE_V1 || m.v2Allowed;
            if (inactive(op.who)) await expectRevert(send, inactive(op.who)!);
            else if (op.kind === "evict" && allowed) await expectRevert(send, ["MrenclaveStillAllowed", [mrenclave]]);
            else if (op.kind === "evict" && !op.byGovernor && !m.v2GraceElapsed) {
              await expectRevert(send, ["EvictionGracePeriodRunning", [mrenclave, m.v2DisallowedAt, m.v2DisallowedAt + grace]]);
            } else {
              const reason = op.kind === "revoke" ? RevocationReason.Governance : RevocationReason.MrenclaveDisallowed;
              await expectEvents(send(), [["EnclaveRevoked", [enclave.address, mrenclave, reason, await caller.getAddress()]]]);
              m.status[op.who] = "revoked";
              m.pending[op.who] = true;
            }
          }
        }

        expect(await group.currentEpoch()).to.equal(m.epoch);
        expect(await group.stateCounter()).to.equal(m.counter);
        expect(await group.activeEnclaveCount()).to.equal(BigInt(m.status.filter((s) => s === "active").length));
        expect(await group.pendingRemovalCount()).to.equal(pendingCount());
        for (let i = 0; i <= POOL; i += 1) {
          const record = await group.enclave(f.enclaves[i].address);
          expect(record.status).to.equal({ none: 0n, active: 1n, revoked: 2n }[m.status[i]]);
          expect(record.checkpointStateCounter).to.equal(m.checkpoint[i]);
          expect(await group.removalPending(f.enclaves[i].address)).to.equal(m.pending[i]);
          expect(await group.nextPostSequence(f.enclaves[i].address, m.epoch)).to.equal(nextPost(i));
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    // Not vacuous: every event and every refusal of the log was met.
    const wanted = [
      "BatchEmpty", "CheckpointAheadOfLog", "CheckpointNotAfterPrevious", "CheckpointPosted", "CiphertextBatchPosted",
      "CheckpointTailMismatch", "CheckpointLogMismatch",
      "CiphertextEmpty", "CiphertextPosted", "EnclaveAlreadyRegistered", "EnclaveJoined", "EnclaveNotRegistered",
      "EnclaveRevoked", "EnclaveWasRevoked", "EpochMismatch", "HandshakeEmpty", "HandshakePosted", "MrenclaveNotAllowed",
      "MrenclaveStillAllowed", "EvictionGracePeriodRunning", "EnclaveReinstated", "EnclaveNotRevoked",
      "PostSequenceMismatch", "SnapshotPositionMismatch", "RemovalCommitPending", "RemovalNotPending", "EnclaveRemoved",
    ];
    expect(wanted.filter((name) => !seen.has(name)), "never met").to.deep.equal([]);
  });
});
