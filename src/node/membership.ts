/**
 * Group membership from the node's side: the first-start join (attest, then genesis or an external commit from
 * the followed log, then `AnonifyGroup.join`), and member commits posted as handshakes (self-update = key
 * rotation, removal of other members' leaves). Every commit is staged in the enclave and adopted only when the
 * chain carries it (ChainSync), so a lost race simply means building the commit again for the new epoch.
 */
import { getAddress, hexlify, type Contract, type Provider } from "ethers";
import type { EnclaveProcess } from "../enclave/EnclaveProcess";
import type { Eip712DomainParams, EvidenceResult, Hex, InitResult, MlsGroupPolicyParams, MlsHandshakeEntry } from "../enclave/protocol";
import type { JoinAttestation } from "./joinAttestation";
import type { ChainSync } from "./chainSync";
import { NodeError } from "./errors";
import { ENCLAVE_STATUS } from "./groupContract";
import type { NodeLogger } from "./logger";
import type { TxSender } from "./txSender";
import { crashPoint } from "./crashPoints";
import { commitPolicyChange } from "./policyChange";
import { checkJoinFunds } from "./preflight";

/** How many times a join or commit is rebuilt after losing the epoch to another handshake. */
export const MAX_HANDSHAKE_ATTEMPTS = 5;

export interface MembershipContext {
  enclave: EnclaveProcess;
  identity: InitResult;
  group: Contract;
  sender: TxSender;
  sync: ChainSync;
  domain: Eip712DomainParams;
  /** Attests the enclave for its join in the group's evidence kind (joinAttestation.ts). */
  attest: (evidence: EvidenceResult) => Promise<JoinAttestation>;
  logger: NodeLogger;
  /** Brings the sync up to the chain's latest block (handshakes included, no confirmations). */
  catchUp: () => Promise<void>;
  /**
   * Reads the log to the chain's head whatever the node's confirmations: a join must build on the chain's current
   * epoch, also when the last handshake is less than `confirmations` deep. (The node then waits for its own join to
   * be `confirmations` deep before it counts as a member.)
   */
  followHead: () => Promise<void>;
  /** The node's confirmations (entries apply only that many blocks deep). */
  confirmations: number;
  /**
   * Syncs until `done` holds for something this node posted in `block`: one sync step without confirmations; with
   * them, until it is that many blocks deep and applied (progress lines meanwhile). Returns whether `done` holds.
   */
  waitConfirmed: (what: string, block: number | undefined, done: () => boolean) => Promise<boolean>;
  /** The measurement policy a group created by this node fixes (docs/treekem.md "Membership rule"). */
  groupPolicy: (own: EvidenceResult) => Promise<MlsGroupPolicyParams>;
}

/** The MLS group id of a group contract: chainId (8 bytes, big-endian) ‖ contract address. */
export function mlsGroupId(chainId: bigint, group: string): Hex {
  const id = Buffer.alloc(28);
  id.writeBigUInt64BE(chainId, 0);
  Buffer.from(getAddress(group).slice(2), "hex").copy(id, 8);
  return `0x${id.toString("hex")}`;
}

export async function onchainStatus(group: Contract, address: string): Promise<number> {
  const record = (await group.enclave(address)) as { status: bigint };
  return Number(record.status);
}

/**
 * Refuses to attest and join when the node's account cannot submit the join (audit F-2): it does not hold the
 * group's OPERATOR_ROLE while admission is closed, or it already has its cap of active enclaves.
 */
async function checkAdmission(ctx: MembershipContext): Promise<void> {
  const account = await ctx.sender.address();
  const [approved, activeEnclaves, cap] = (await ctx.group.operatorInfo(account)) as [boolean, bigint, bigint];
  if (!approved) {
    const [open] = (await ctx.group.openAdmission()) as [boolean, bigint];
    if (!open) throw await notOperatorError(ctx, `the node's account ${account} does not hold the group's OPERATOR_ROLE and admission is closed`);
  }
  if (activeEnclaves >= cap) {
    throw await notOperatorError(ctx, `the node's account ${account} already has ${activeEnclaves} active enclave(s), its cap (${cap})`);
  }
}

/** A `not_operator` error that says which role or cap is missing and how an admin or governor fixes it. */
async function notOperatorError(ctx: MembershipContext, reason: string): Promise<NodeError> {
  const account = await ctx.sender.address();
  const group = await ctx.group.getAddress();
  const role = (await ctx.group.OPERATOR_ROLE()) as string;
  return new NodeError(
    "not_operator",
    `${reason}. Only operators may join enclaves (audit F-2): the group admin grants the role with ` +
      `grantRole(OPERATOR_ROLE = ${role}, ${account}) on ${group} (or deploys with anonify:deploy --operators ${account}); ` +
      `the governor raises a cap with setOperatorCap(${account}, <cap>)`,
    403,
  );
}

/** The join transaction a node posted: its hash and block. */
export interface JoinPosted {
  hash: string;
  block: number;
}

/**
 * Joins the group unless the enclave is registered already; returns the join transaction when it posted one.
 * Afterwards the caller keeps syncing until the join handshake is applied (`sync.isMember`).
 */
export async function ensureJoined(ctx: MembershipContext): Promise<JoinPosted | undefined> {
  const address = ctx.identity.address;
  const status = await onchainStatus(ctx.group, address);
  if (status === ENCLAVE_STATUS.Revoked) throw new NodeError("enclave_revoked", `enclave ${address} was revoked from the group; start a new data dir`, 409);
  if (status === ENCLAVE_STATUS.Active) return undefined;

  await checkAdmission(ctx);
  // Before attesting and posting: an account that cannot pay for the join is refused now (account_unfunded).
  await checkJoinFunds(ctx.group.runner as Provider, await ctx.sender.address());

  const evidence = await ctx.enclave.evidence();
  const attested = await ctx.attest(evidence);
  ctx.logger.info(`attested by ${attested.attestedBy}: mrenclave ${evidence.mrenclave}`);
  // The enclave admits its own leaf, like every other, only from evidence it verified itself.
  await ctx.enclave.call("mls_admit_evidence", attested.admit);

  for (let attempt = 1; attempt <= MAX_HANDSHAKE_ATTEMPTS; attempt++) {
    await ctx.followHead();
    const chainEpoch = (await ctx.group.currentEpoch()) as bigint;
    const mls = ctx.sync.mlsStatus;
    let entry: MlsHandshakeEntry;
    if (chainEpoch === 0n) {
      if (mls.group !== null) {
        throw new NodeError("group_mismatch", "this data dir holds an MLS group that never reached the chain; start with a fresh data dir", 409);
      }
      entry = await ctx.enclave.call("mls_create_group", {
        groupId: mlsGroupId(BigInt(ctx.domain.chainId), ctx.domain.verifyingContract),
        domain: ctx.domain,
        policy: await ctx.groupPolicy(evidence),
      });
    } else {
      if (mls.group?.member === true) {
        throw new NodeError("group_mismatch", "this enclave is an MLS member but not registered on chain (lost the genesis race?); start with a fresh data dir", 409);
      }
      if (mls.followedEpoch !== null && BigInt(mls.followedEpoch) + 1n < chainEpoch) {
        // Another handshake (e.g. another operator's join) landed between the catch-up and the epoch read.
        ctx.logger.warn(`the chain moved to epoch ${chainEpoch} while following the log; retrying (${attempt}/${MAX_HANDSHAKE_ATTEMPTS})`);
        continue;
      }
      if (mls.followedEpoch === null || BigInt(mls.followedEpoch) + 1n !== chainEpoch) {
        throw new NodeError("join_failed", `the followed log is at epoch ${mls.followedEpoch} but the chain is at ${chainEpoch}`, 503);
      }
      entry = await ctx.enclave.call("mls_join_external", { domain: ctx.domain });
    }
    const outcome = await ctx.sender.send(ctx.group, "join", [
      attested.evidence,
      evidence.hpkePublicKey,
      evidence.mlsSignatureKey,
      entry.handshake,
      entry.signature,
    ]);
    if (outcome.ok) {
      ctx.logger.info(`join posted for chain epoch ${entry.chainEpoch} (tx ${outcome.receipt.hash}, block ${outcome.receipt.blockNumber})`);
      return { hash: outcome.receipt.hash, block: outcome.receipt.blockNumber };
    }
    // Another handshake took the epoch (the signature names an epoch that is gone): rebuild and retry.
    if (outcome.revert.name === "HandshakeSignerMismatch" || outcome.revert.name === "RevertedOnChain" || outcome.revert.name === "JoinRateLimited") {
      ctx.logger.warn(`join for epoch ${entry.chainEpoch} lost the race to another handshake; retrying (${attempt}/${MAX_HANDSHAKE_ATTEMPTS})`);
      continue;
    }
    if (outcome.revert.name === "NotAnOperator" || outcome.revert.name === "OperatorCapReached") {
      throw await notOperatorError(ctx, `the group refused the join: ${outcome.revert.name}(${outcome.revert.args.map(String).join(", ")})`);
    }
    throw new NodeError("join_failed", `the group refused the join: ${outcome.revert.name}(${outcome.revert.args.map(String).join(", ")})`, 409);
  }
  throw new NodeError("join_failed", `join lost ${MAX_HANDSHAKE_ATTEMPTS} races in a row`, 503);
}

export type MemberCommit =
  | { kind: "update" }
  | { kind: "remove"; leaves: number[] }
  /** A governance-approved policy change (src/node/policyChange.ts); the approvals name the current MLS epoch. */
  | { kind: "policy"; policy: MlsGroupPolicyParams; approvals: Hex[] };

function describeCommit(commit: MemberCommit): string {
  if (commit.kind === "update") return "key rotation";
  if (commit.kind === "remove") return `removal of leaves ${commit.leaves.join(", ")}`;
  return "policy change";
}

/**
 * Builds a member commit (self-update or removal), posts it as the handshake of the current epoch and waits until
 * the node has applied it. Returns the chain epoch the commit was posted for.
 */
export async function postMemberCommit(ctx: MembershipContext, commit: MemberCommit): Promise<bigint> {
  for (let attempt = 1; attempt <= MAX_HANDSHAKE_ATTEMPTS; attempt++) {
    await ctx.catchUp();
    if (!ctx.sync.isMember) throw new NodeError("not_member", "this node's enclave is not a member of the group", 409);
    if (ctx.confirmations > 0) {
      // A member applies handshakes only when final: build on the chain's epoch once its last handshake is.
      const chainEpoch = (await ctx.group.currentEpoch()) as bigint;
      const caughtUp = () => ctx.sync.epoch !== null && BigInt(ctx.sync.epoch) + 1n >= chainEpoch;
      if (!caughtUp()) await ctx.waitConfirmed(`the handshake of chain epoch ${chainEpoch - 1n}`, undefined, caughtUp);
    }
    const entry =
      commit.kind === "update"
        ? await ctx.enclave.call("mls_commit_update", { domain: ctx.domain })
        : commit.kind === "remove"
          ? await ctx.enclave.call("mls_commit_remove", { leaves: commit.leaves, domain: ctx.domain })
          : await commitPolicyChange(ctx.enclave, ctx.domain, commit.policy, commit.approvals);
    const outcome = await ctx.sender.send(ctx.group, "postHandshake", [entry.chainEpoch, entry.handshake, entry.signature]);
    if (outcome.ok) {
      crashPoint("handshake:posted");
      const applied = () => ctx.sync.epoch !== null && BigInt(ctx.sync.epoch) >= BigInt(entry.chainEpoch);
      await ctx.waitConfirmed(`${commit.kind} commit tx ${outcome.receipt.hash}`, outcome.receipt.blockNumber, applied);
      const epoch = ctx.sync.epoch;
      if (epoch === null || !applied()) {
        throw new NodeError("state_unavailable", `the ${commit.kind} commit for epoch ${entry.chainEpoch} was posted but not applied`, 503);
      }
      ctx.logger.info(`${describeCommit(commit)} committed: epoch ${epoch}`);
      return BigInt(entry.chainEpoch);
    }
    if (commit.kind === "policy" && (outcome.revert.name === "EpochMismatch" || outcome.revert.name === "RevertedOnChain")) {
      // The approvals are bound to the epoch that is gone: only governance can sign again.
      throw new NodeError("handshake_refused", `the policy change for epoch ${entry.chainEpoch} lost the race to another handshake: governance must approve it again for the new epoch`, 409);
    }
    if (outcome.revert.name === "EpochMismatch" || outcome.revert.name === "RevertedOnChain") {
      ctx.logger.warn(`${commit.kind} commit for epoch ${entry.chainEpoch} lost the race; rebuilding (${attempt}/${MAX_HANDSHAKE_ATTEMPTS})`);
      continue;
    }
    throw new NodeError("handshake_refused", `the group refused the handshake: ${outcome.revert.name}(${outcome.revert.args.map(String).join(", ")})`, 409);
  }
  throw new NodeError("handshake_refused", `commit lost ${MAX_HANDSHAKE_ATTEMPTS} races in a row`, 503);
}

/**
 * The removal commit of revoked enclaves (audit F-6): while the roster holds a revoked enclave whose leaf may still
 * be in the MLS group, the contract takes no ciphertext or snapshot. Of `candidates` (addresses the roster revoked),
 * those whose removal is still pending on chain are named in a commit that removes their leaves (the enclave signs
 * `RemovalCommit` only if the commit removes exactly those; a leaf already gone is named by a self-update), posted
 * with `postRemovalCommit`. Several nodes race for it: a node that loses the epoch checks again what is still
 * pending, so it returns `undefined` without an error once another node's removal landed (or nothing was pending).
 * Returns the chain epoch of this node's removal commit.
 */
export async function commitPendingRemovals(ctx: MembershipContext, candidates: Iterable<string>): Promise<bigint | undefined> {
  const own = getAddress(ctx.identity.address);
  const wanted = [...new Set([...candidates].map((a) => getAddress(a)))].filter((a) => a !== own);
  if (wanted.length === 0) return undefined;
  for (let attempt = 1; attempt <= MAX_HANDSHAKE_ATTEMPTS; attempt++) {
    await ctx.catchUp();
    if (!ctx.sync.isMember) return undefined;
    const pending: string[] = [];
    for (const address of wanted) if ((await ctx.group.removalPending(address)) as boolean) pending.push(address);
    if (pending.length === 0) return undefined;
    if (ctx.confirmations > 0) {
      const chainEpoch = (await ctx.group.currentEpoch()) as bigint;
      const caughtUp = () => ctx.sync.epoch !== null && BigInt(ctx.sync.epoch) + 1n >= chainEpoch;
      if (!caughtUp()) await ctx.waitConfirmed(`the handshake of chain epoch ${chainEpoch - 1n}`, undefined, caughtUp);
    }
    // The contract and the enclave take the list in ascending address order.
    pending.sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : BigInt(x) > BigInt(y) ? 1 : 0));
    const members = ctx.sync.mlsStatus.group?.member === true ? ctx.sync.mlsStatus.group.members : [];
    const leaves = members.filter((m) => pending.includes(getAddress(m.identity))).map((m) => m.leaf);
    const enclaves = pending.map((a) => a.toLowerCase() as Hex);
    const entry =
      leaves.length > 0
        ? await ctx.enclave.call("mls_commit_remove", { leaves, enclaves, domain: ctx.domain })
        : await ctx.enclave.call("mls_commit_update", { enclaves, domain: ctx.domain });
    const outcome = await ctx.sender.send(ctx.group, "postRemovalCommit", [entry.chainEpoch, entry.handshake, pending, entry.signature]);
    if (outcome.ok) {
      crashPoint("handshake:posted");
      const applied = () => ctx.sync.epoch !== null && BigInt(ctx.sync.epoch) >= BigInt(entry.chainEpoch);
      await ctx.waitConfirmed(`removal commit tx ${outcome.receipt.hash}`, outcome.receipt.blockNumber, applied);
      if (!applied()) throw new NodeError("state_unavailable", `the removal commit for epoch ${entry.chainEpoch} was posted but not applied`, 503);
      ctx.logger.info(`removal commit of revoked ${pending.join(", ")} (leaves ${leaves.join(", ") || "none left"}) applied: epoch ${ctx.sync.epoch}`);
      return BigInt(entry.chainEpoch);
    }
    // Another handshake took the epoch (maybe another node's removal of the same enclaves), or a removal landed
    // first: look again at what is still pending.
    const lost = ["EpochMismatch", "RevertedOnChain", "RemovalNotPending"];
    if (lost.includes(outcome.revert.name)) continue;
    throw new NodeError("handshake_refused", `the group refused the removal commit: ${outcome.revert.name}(${outcome.revert.args.map(String).join(", ")})`, 409);
  }
  throw new NodeError("handshake_refused", `removal commit lost ${MAX_HANDSHAKE_ATTEMPTS} races in a row`, 503);
}

/**
 * After a restart from sealed state the enclave refuses to produce entries or other handshakes until its own
 * self-update is applied (another copy of its sealed directory may hold the same leaf secrets): posts that update
 * when the enclave asks for it. Returns the chain epoch of the update, or undefined when none was needed.
 */
export async function selfUpdateIfRequired(ctx: MembershipContext): Promise<bigint | undefined> {
  const status = await ctx.enclave.call("mls_status", {});
  if (status.selfUpdateRequired !== true) return undefined;
  const epoch = await postMemberCommit(ctx, { kind: "update" });
  const after = await ctx.enclave.call("mls_status", {});
  if (after.selfUpdateRequired) {
    throw new NodeError("state_unavailable", `the self-update for epoch ${epoch} was applied but the enclave still asks for one`, 503);
  }
  ctx.logger.info(`restarted from sealed state: self-update committed for epoch ${epoch} (leaf secrets of older copies retired)`);
  return epoch;
}
