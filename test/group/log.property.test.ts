import { expect } from "chai";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { hexlify, keccak256 } from "ethers";
import { joinedEnclave, simulationGroupFixture } from "./helpers/fixtures";
import { foldLogHash, logHashChain } from "./helpers/logHash";

async function twoMembers() {
  const f = await loadFixture(simulationGroupFixture);
  const enclaves = [await joinedEnclave(f), await joinedEnclave(f)];
  return { ...f, enclaves };
}

const payload = fc.uint8Array({ minLength: 1, maxLength: 64 });
const operation = fc.oneof(
  fc.record({ kind: fc.constant("single" as const), by: fc.nat(1), ciphertext: payload }),
  fc.record({ kind: fc.constant("batch" as const), by: fc.nat(1), ciphertexts: fc.array(payload, { minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant("handshake" as const), by: fc.nat(1), handshake: payload }),
  fc.record({ kind: fc.constant("stale" as const), by: fc.nat(1), ciphertext: payload, epochsBack: fc.integer({ min: 1, max: 3 }) }),
  // `tail`: the later entries' hashes as the log has them, one short, or with one changed (audit F-8).
  fc.record({
    kind: fc.constant("checkpoint" as const),
    by: fc.nat(1),
    back: fc.integer({ min: -1, max: 3 }),
    tail: fc.constantFrom("right" as const, "right" as const, "short" as const, "changed" as const),
  }),
  // Resubmits an earlier accepted post, signature and all (audit F-5: accepted once).
  fc.record({ kind: fc.constant("replay" as const), pick: fc.nat() }),
);

/** A post the group accepted, as a replayer would resend it. */
type Accepted =
  | { kind: "single"; by: number; epoch: bigint; sequence: bigint; ciphertext: Uint8Array; signature: string }
  | { kind: "batch"; by: number; epoch: bigint; sequence: bigint; ciphertexts: Uint8Array[]; signature: string };

describe("AnonifyGroup: log ordering (property)", function () {
  it("any sequence of posts numbers entries 1..N without gaps, each under the epoch of the latest handshake, each accepted once; the log hash follows the reference chain", async function () {
    let refusedReplays = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 10 }), async (ops) => {
        const f = await loadFixture(twoMembers);
        const startBlock = await f.group.runner!.provider!.getBlockNumber();
        let epoch = await f.group.currentEpoch();
        let counter = 0n;
        const checkpoints = [0n, 0n];
        /** Each enclave's next post number in the current epoch (numbering restarts at every handshake). */
        let sequences = [0n, 0n];
        const accepted: Accepted[] = [];
        /** The log as the model expects it: [stateCounter, epoch, sender, ciphertext]. */
        const expected: Array<[bigint, bigint, string, string]> = [];
        /** L_0 … L_counter of the model's log (test/group/helpers/logHash.ts). */
        const chain = () => logHashChain(expected.map((e) => e[3]));

        for (const op of ops) {
          await apply(op);
          // After every operation, accepted or refused: the head's log hash is the model's L_counter.
          expect(await f.group.logHash()).to.equal(chain()[Number(counter)]);
        }

        async function apply(op: (typeof ops)[number]): Promise<void> {
          if (op.kind === "replay") {
            if (accepted.length === 0) return;
            const post = accepted[op.pick % accepted.length];
            const sent =
              post.kind === "single"
                ? f.group.connect(f.outsider).postCiphertext(post.epoch, post.sequence, post.ciphertext, post.signature)
                : f.group.connect(f.outsider).postCiphertextBatch(post.epoch, post.sequence, post.ciphertexts, post.signature);
            if (post.epoch !== epoch) {
              await expect(sent).to.be.revertedWithCustomError(f.group, "EpochMismatch").withArgs(epoch, post.epoch);
            } else {
              await expect(sent)
                .to.be.revertedWithCustomError(f.group, "PostSequenceMismatch")
                .withArgs(f.enclaves[post.by].address, sequences[post.by], post.sequence);
              refusedReplays += 1;
            }
            return;
          }
          const enclave = f.enclaves[op.by];
          if (op.kind === "single") {
            const sequence = sequences[op.by];
            const signature = await enclave.signCiphertext(f.domain, epoch, op.ciphertext, sequence);
            await f.group.postCiphertext(epoch, sequence, op.ciphertext, signature);
            accepted.push({ kind: "single", by: op.by, epoch, sequence, ciphertext: op.ciphertext, signature });
            sequences[op.by] += 1n;
            expected.push([++counter, epoch, enclave.address, hexlify(op.ciphertext)]);
          } else if (op.kind === "batch") {
            const sequence = sequences[op.by];
            const signature = await enclave.signCiphertextBatch(f.domain, epoch, op.ciphertexts, sequence);
            await f.group.postCiphertextBatch(epoch, sequence, op.ciphertexts, signature);
            accepted.push({ kind: "batch", by: op.by, epoch, sequence, ciphertexts: op.ciphertexts, signature });
            sequences[op.by] += BigInt(op.ciphertexts.length);
            for (const c of op.ciphertexts) expected.push([++counter, epoch, enclave.address, hexlify(c)]);
          } else if (op.kind === "handshake") {
            await f.group.postHandshake(epoch, op.handshake, await enclave.signHandshake(f.domain, epoch, op.handshake));
            epoch += 1n;
            sequences = [0n, 0n];
          } else if (op.kind === "stale") {
            const old = epoch - BigInt(op.epochsBack);
            if (old >= 0n) {
              const sequence = sequences[op.by];
              await expect(f.group.postCiphertext(old, sequence, op.ciphertext, await enclave.signCiphertext(f.domain, old, op.ciphertext, sequence)))
                .to.be.revertedWithCustomError(f.group, "EpochMismatch")
                .withArgs(epoch, old);
            }
          } else {
            const at = counter - BigInt(op.back);
            if (at < 0n) return;
            const stateHash = keccak256(Uint8Array.of(Number(at & 0xffn)));
            const l = chain();
            const head = l[Number(counter)];
            // Beyond the head there is no L_at: the enclave would sign some value; the counter is refused first.
            let logHash = at > counter ? head : l[Number(at)];
            const right = at > counter ? [] : expected.slice(Number(at)).map((e) => keccak256(e[3]));
            let tail = right;
            // A wrong tail: one hash short (one too many at the head); one hash changed (at the head: another log hash).
            if (op.tail === "short") tail = right.length > 0 ? right.slice(1) : [keccak256(head)];
            if (op.tail === "changed" && right.length > 0) tail = right.map((h, i) => (i === right.length - 1 ? keccak256(h) : h));
            if (op.tail === "changed" && right.length === 0) logHash = keccak256(head).slice(0, 34);
            const signature = await enclave.signCheckpoint(f.domain, at, stateHash, logHash);
            const send = () => f.group.postCheckpoint(at, stateHash, logHash, tail, signature);
            if (at > counter) {
              await expect(send()).to.be.revertedWithCustomError(f.group, "CheckpointAheadOfLog").withArgs(counter, at);
            } else if (at <= checkpoints[op.by]) {
              await expect(send()).to.be.revertedWithCustomError(f.group, "CheckpointNotAfterPrevious").withArgs(checkpoints[op.by], at);
            } else if (tail.length !== right.length) {
              await expect(send()).to.be.revertedWithCustomError(f.group, "CheckpointTailMismatch").withArgs(right.length, tail.length);
            } else if (op.tail === "changed") {
              await expect(send()).to.be.revertedWithCustomError(f.group, "CheckpointLogMismatch").withArgs(head, foldLogHash(logHash, tail));
            } else {
              await expect(send()).to.emit(f.group, "CheckpointPosted").withArgs(enclave.address, at, stateHash, logHash);
              checkpoints[op.by] = at;
            }
          }
        }

        // Rebuild the log from events alone, as a node does.
        const singles = await f.group.queryFilter(f.group.filters.CiphertextPosted(), startBlock + 1);
        const batches = await f.group.queryFilter(f.group.filters.CiphertextBatchPosted(), startBlock + 1);
        const rebuilt: Array<[bigint, bigint, string, string]> = [];
        for (const e of singles) rebuilt.push([e.args.stateCounter, e.args.epoch, e.args.sender, e.args.ciphertext]);
        for (const e of batches) {
          e.args.ciphertexts.forEach((c: string, i: number) => rebuilt.push([e.args.firstStateCounter + BigInt(i), e.args.epoch, e.args.sender, c]));
        }
        rebuilt.sort((a, b) => (a[0] < b[0] ? -1 : 1));
        expect(rebuilt).to.deep.equal(expected);
        expect(await f.group.stateCounter()).to.equal(counter);
        expect(await f.group.currentEpoch()).to.equal(epoch);
        for (const [i, e] of f.enclaves.entries()) {
          expect((await f.group.enclave(e.address)).checkpointStateCounter).to.equal(checkpoints[i]);
          expect(await f.group.nextPostSequence(e.address, epoch)).to.equal(sequences[i]);
        }
      }),
      { numRuns: 25 },
    );
    // Not vacuous: same-epoch replays were met (each run has a fair chance of one).
    expect(refusedReplays).to.be.greaterThan(0);
  });
});
