/**
 * A TEE node: one enclave process, the chain sync, the submitter, group membership and the HTTP API, wired
 * together. `start()` initialises (or unseals) the enclave, joins the group on first start, catches up with the
 * log and serves; `stop()` shuts everything down and closes the enclave (its state is sealed after every change).
 */
import fs from "node:fs";
import path from "node:path";
import { Contract, getAddress, type Provider } from "ethers";
import type { CommandStatus, Hex, NodeEnclaveInfo, NodeHealth } from "../client/wire";
import { EnclaveProcess } from "../enclave/EnclaveProcess";
import type { EnclaveMode, Eip712DomainParams, EvidenceResult, InitResult, MlsGroupPolicyParams } from "../enclave/protocol";
import { DevelopmentIas } from "../attestation/devIas";
import { SimulationAttester } from "./attester";
import { ChainReader, ChainReorgError, findDeploymentBlock } from "./chainReader";
import { ChainSync, type EntryApplied, type HandshakeApplied } from "./chainSync";
import { CheckpointPoster } from "./checkpoints";
import { CommandJournal } from "./commandJournal";
import { OutcomeIndex } from "./outcomeIndex";
import { NodeError } from "./errors";
import { healthReport, ProgressTracker, resolveHealthOptions, SyncErrorTracker, type HealthOptions } from "./health";
import { groupContract } from "./groupContract";
import { checkHttpApiOptions, NodeHttpApi } from "./httpApi";
import { consoleLogger, type NodeLogger } from "./logger";
import { commitPendingRemovals, ensureJoined, postMemberCommit, selfUpdateIfRequired, type JoinPosted, type MembershipContext } from "./membership";
import { ChainEvidence, genesisPolicy, IAS_VERIFIER_ABI, quoteSigner } from "./evidence";
import { EVIDENCE_KIND, evidenceKindName, type EvidenceKindName } from "../attestation/evidence";
import { ChainCollateral, DcapAttester, dcapGenesisPolicy, readDcapDeployment, type DcapDeployment } from "./dcapAttestation";
import { attestDcap, attestIas, type JoinAttestation } from "./joinAttestation";
import { callState, hasStateMethod, hasStateRuntime } from "./stateMethods";
import { DEFAULT_KEEP_BLOCKS, RestorePoints, type RestorePoint } from "./restorePoints";
import { SnapshotHandover, type PostedSnapshot } from "./snapshots";
import { Submitter, checkBatchOptions } from "./submitter";
import { sleep, TxSender } from "./txSender";
import { ChainRpc } from "./rpc";
import { DataDirLock } from "./dataDirLock";
import { describeRpc, preflightChain, PREFLIGHT_RPC_WAIT_MS } from "./preflight";
import { DEFAULT_CHECKPOINT_INTERVAL, DEFAULT_POLL_INTERVAL_MS, type AnonifyNodeOptions } from "./nodeOptions";
import {
  ENCLAVE_SUBDIR,
  NODE_URL_FILE,
  loadAdminToken,
  loadNodeMetadata,
  readNodeMetadata,
  removeNodeUrlIfOwn,
  writeNodeMetadata,
  type NodeMetadata,
} from "./nodeFiles";

export { DEFAULT_CHECKPOINT_INTERVAL, DEFAULT_POLL_INTERVAL_MS, type AnonifyNodeOptions } from "./nodeOptions";
export { ADMIN_TOKEN_FILE, ENCLAVE_SUBDIR, NODE_METADATA_FILE, NODE_URL_FILE } from "./nodeFiles";

/** How long start() waits for its own join handshake to be applied. */
const JOIN_APPLY_TIMEOUT_MS = 60_000;
const JOIN_POLL_MS = 100;
/** With confirmations: how often the wait for the node's own join reports (and the depth changing reports). */
const JOIN_PROGRESS_INTERVAL_MS = 10_000;
/** With confirmations: no new block for this long and the join's progress line says the chain is not mining. */
const NO_BLOCK_WARN_MS = 30_000;

/** How long start() waits for this node's own transactions still pending from before a restart. */
const PENDING_TX_WAIT_MS = 120_000;
/**
 * How long a restore point waits for the enclave's calls in flight to finish (new calls wait meanwhile). Calls take
 * milliseconds; one that hangs costs this point, not the node's progress.
 */
const RESTORE_POINT_IDLE_WAIT_MS = 5_000;

export class AnonifyNode {
  private enclaveProcess: EnclaveProcess | undefined;
  private identityValue: InitResult | undefined;
  private groupValue: Contract | undefined;
  /** `AnonifyGroup.runtime()`, once read (see groupRuntime). */
  private groupRuntimeName: string | undefined;
  private syncValue: ChainSync | undefined;
  private submitterValue: Submitter | undefined;
  private snapshots: SnapshotHandover | undefined;
  private journal: CommandJournal | undefined;
  /** Outcomes of every command entry this node applied from the log, any node's (src/node/outcomeIndex.ts). */
  private outcomes: OutcomeIndex | undefined;
  /** Sealed-state copies for reorg rollback (simulation: the node owns the sealed directory). */
  private restorePoints: RestorePoints | undefined;
  private rollingBack = false;
  private http: NodeHttpApi | undefined;
  private txSender: TxSender;
  /** Every chain call of the node goes through it (timeouts, backoff, outage tracking). */
  private readonly rpc: ChainRpc;
  private lastChainStateCounter = 0n;
  private lastHeadBlock: number | undefined;
  /** The sync loop's last error and its repeats, and the stall clock (src/node/health.ts). */
  private readonly syncErrors = new SyncErrorTracker();
  private readonly progress = new ProgressTracker();
  private readonly healthOptions: Required<HealthOptions>;
  private domainValue: Eip712DomainParams | undefined;
  private evidenceValue: ChainEvidence | undefined;
  /** The evidence kind the group's verifier admits (read at start). */
  private evidenceKindValue: EvidenceKindName | undefined;
  /** DCAP groups: the verifier's stores and root, and the node's quoting and collateral source. */
  private dcapDeployment: DcapDeployment | undefined;
  private dcapAttester: DcapAttester | undefined;
  private syncChain: Promise<unknown> = Promise.resolve();
  private pollTimer: NodeJS.Timeout | undefined;
  private blockListener: (() => void) | undefined;
  /** A block-triggered sync is queued and has not started: further blocks need no other. */
  private blockSyncQueued = false;
  private running = false;
  private stateRuntime = false;
  private checkpoints: CheckpointPoster | undefined;
  private adminToken = "";
  /** `<dataDir>/node.lock`, held from the start of start() until stop (src/node/dataDirLock.ts). */
  private lock: DataDirLock | undefined;
  /** The URL this node wrote to node.url (removed on stop only while it is still ours). */
  private writtenUrl: string | undefined;
  private readonly subscriptions = new Map<string, (payload: Hex) => void>();
  /** Enclaves the roster revoked (from the log): the removal commit of those still pending is this node's to post. */
  private readonly revokedSeen = new Set<string>();
  /** The removal commit in progress (one at a time), and whether a revocation came in meanwhile. */
  private removals: Promise<void> | undefined;
  private removalsAgain = false;
  readonly logger: NodeLogger;
  readonly mode: EnclaveMode;

  constructor(readonly options: AnonifyNodeOptions) {
    this.mode = options.mode ?? "simulation";
    this.logger = options.logger ?? consoleLogger(path.basename(options.dataDir));
    if (options.signer.provider === null) throw new NodeError("invalid_options", "the node's signer must be connected to a provider");
    this.rpc = new ChainRpc(options.signer.provider, this.logger, options.rpc);
    this.txSender = new TxSender(options.signer, this.rpc, {}, this.logger);
    checkBatchOptions(options);
    if (options.http !== undefined && options.http !== false) checkHttpApiOptions(options.http);
    this.healthOptions = resolveHealthOptions(options.health, options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
    const window = options.issuedAtWindow;
    if (window !== undefined && (!Number.isInteger(window) || window < 60 || window > 3600)) {
      throw new NodeError("invalid_options", `issuedAtWindow must be an integer number of seconds in 60..3600, got ${window}`);
    }
    if (this.mode === "sgx" && options.attester === undefined && options.dcap === undefined) {
      throw new NodeError("invalid_options", "sgx mode needs a DCAP collateral source (anonify.dcap.pcsUrl) or an attester for Intel IAS (anonify.ias.url and apiKey)");
    }
    if (options.attestation !== undefined && options.attestation !== "ias" && options.attestation !== "dcap") {
      throw new NodeError("invalid_options", `attestation must be "dcap" or "ias", got ${JSON.stringify(options.attestation)}`);
    }
  }

  /** The signer's provider behind the node's RPC guard (src/node/rpc.ts). */
  get provider(): Provider {
    return this.rpc.provider;
  }
  get enclave(): EnclaveProcess {
    return this.need(this.enclaveProcess);
  }
  get identity(): InitResult {
    return this.need(this.identityValue);
  }
  get address(): string {
    return getAddress(this.identity.address);
  }
  get sync(): ChainSync {
    return this.need(this.syncValue);
  }
  get domain(): Eip712DomainParams {
    return this.need(this.domainValue);
  }
  get group(): Contract {
    return this.need(this.groupValue);
  }
  /** The HTTP API's URL (after start, unless http is false). */
  get url(): string | undefined {
    return this.http?.url;
  }
  /** Whether the enclave binary has the state runtime (state_* methods). */
  get hasStateRuntime(): boolean {
    return this.stateRuntime;
  }

  private need<T>(value: T | undefined): T {
    if (value === undefined) throw new NodeError("node_not_started", "the node is not started", 503);
    return value;
  }

  /**
   * Takes the data dir's lock, binds the HTTP port and checks the chain (src/node/preflight.ts) before anything
   * else is written or paid for; then unseals or creates the enclave, joins when needed, catches up and serves.
   */
  async start(): Promise<void> {
    if (this.running || this.lock !== undefined) throw new NodeError("node_already_started", "the node is running (or starting)");
    const { dataDir } = this.options;
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.lock = DataDirLock.acquire(dataDir, this.logger); // data_dir_locked: another process runs a node here
    try {
      // A node.url left here is stale: its writer stopped without removing it, or was killed.
      fs.rmSync(path.join(dataDir, NODE_URL_FILE), { force: true });
      if (this.options.http !== false) {
        // Bound before the join is paid for (port_in_use), answering 503 until the node serves.
        this.http = new NodeHttpApi(this.apiBackend(), this.options.http ?? {});
        await this.http.listen({ serving: false });
      }
      const group = getAddress(this.options.group);
      const chainId = await preflightChain({
        provider: this.rpc.raw,
        group,
        account: await this.options.signer.getAddress(),
        expectedChainId: this.options.expectedChainId === undefined ? undefined : BigInt(this.options.expectedChainId),
        rpcName: this.options.rpcName ?? describeRpc(this.rpc.raw),
        callTimeoutMs: this.rpc.callTimeoutMs,
        waitMs: Math.min(PREFLIGHT_RPC_WAIT_MS, this.rpc.retryCapMs),
      });
      const metadata = loadNodeMetadata(dataDir, group, chainId);
      if (this.mode === "simulation") {
        this.restorePoints = new RestorePoints(dataDir, path.join(dataDir, ENCLAVE_SUBDIR), this.options.reorgDepth);
        const finished = this.restorePoints.finishInterruptedRestore((point) => this.reopenJournalAfter(point));
        if (finished !== undefined) this.logger.warn(`finished restoring the sealed state of block ${finished.block} (a crash interrupted it)`);
      }
      this.domainValue = { name: "Anonify", version: "1", chainId: chainId.toString(), verifyingContract: group as Hex };
      this.groupValue = groupContract(group, this.provider); // reads only: TxSender sends
      this.groupRuntimeName = undefined;
      const fromBlock = this.options.fromBlock ?? metadata?.fromBlock ?? (await findDeploymentBlock(this.provider, group));
      this.saveMetadata({ group, chainId: chainId.toString(), fromBlock, leaves: metadata?.leaves ?? {} });
      this.adminToken = loadAdminToken(dataDir);
      await this.startCore(fromBlock);
      this.running = true;
      this.kickRemovals(); // revocations the replay read: their removal commit may still be pending
      this.schedulePoll();
      if (this.options.syncOnNewBlocks !== false) {
        this.blockListener = () => this.onNewBlock();
        await this.provider.on("block", this.blockListener);
      }
      if (this.http !== undefined) {
        this.http.serve();
        this.writtenUrl = this.http.url;
        fs.writeFileSync(path.join(dataDir, NODE_URL_FILE), this.writtenUrl + "\n");
        this.logger.info(`HTTP API on ${this.writtenUrl}`);
      }
      this.logProgress();
    } catch (error) {
      await this.shutdown();
      throw error;
    }
  }

  /**
   * The enclave, the sync, the submitter and the membership: unseals (or creates) the enclave, replays the log from
   * `fromBlock` (what the enclave holds is skipped), joins when not registered, re-submits the journal's open
   * commands. Used by start() and, after a reorg, by the rollback (the HTTP API stays up meanwhile).
   */
  private async startCore(fromBlock: number): Promise<void> {
    const { dataDir } = this.options;
    const enclaveProcess = await EnclaveProcess.start({
      binary: this.options.binary,
      mode: this.mode,
      dataDir: this.mode === "simulation" ? path.join(dataDir, ENCLAVE_SUBDIR) : undefined,
      onStderrLine: (line) => this.logger.info(`enclave: ${line}`),
    });
    this.enclaveProcess = enclaveProcess;
    void enclaveProcess.waitForExit().then(() => this.onEnclaveExit(enclaveProcess));
    this.identityValue = await this.enclave.init({});
    this.stateRuntime = await hasStateRuntime(this.enclave);
    const group = this.domain.verifyingContract;
    await this.checkCarriesGroupRuntime(group);
    const reader = new ChainReader(this.provider, group, fromBlock, this.options.confirmations ?? 0);
    const evidence = new ChainEvidence(this.provider, async () => (await this.group.verifier()) as string);
    const kind = await this.prepareEvidence(evidence);
    this.evidenceValue = evidence;
    const sync = new ChainSync(this.enclave, reader, this.stateRuntime, evidence);
    sync.on("evidenceRefused", (entry, why) => this.logger.warn(`the enclave refused the evidence of ${entry.enclave}: ${why}`));
    sync.on("revoked", (entry) => this.onRevoked(entry.enclave));
    for (const [leaf, address] of Object.entries(this.readMetadata().leaves)) sync.leaves.set(Number(leaf), address);
    this.syncValue = sync;
    await sync.load();
    this.logger.info(
      `enclave ${this.address} (${this.mode}, ${kind === "dcap" ? "DCAP" : "IAS"}${this.mode === "simulation" ? (kind === "dcap" ? " via the development PCS" : " via the development IAS") : ""}) ${this.identity.created ? "created" : "unsealed"}; ` +
        `group ${group} on chain ${this.domain.chainId}, reading from block ${fromBlock}` +
        (this.stateRuntime ? "" : "; this enclave build has no state runtime (handshakes only)"),
    );

    const opened = CommandJournal.open(dataDir);
    this.journal = opened.journal;
    const outcomes = OutcomeIndex.open(dataDir);
    this.outcomes = outcomes;
    this.submitterValue = new Submitter(
      {
        journal: opened.journal,
        appliedOutcome: (id) => outcomes.get(id),
        enclave: this.enclave,
        group: this.group,
        sender: this.txSender,
        domain: this.domain,
        logger: this.logger,
        nodeChainEpoch: () => (sync.epoch === null ? null : BigInt(sync.epoch) + 1n),
        enclaveAddress: this.address,
        catchUp: () => this.runSync(true),
      },
      {
        maxBatchSize: this.options.maxBatchSize,
        batchWindowMs: this.options.batchWindowMs,
        // Builds without state_sign_batch post every entry alone.
        signBatch: (await hasStateMethod(this.enclave, "state_sign_batch"))
          ? async (epoch, entries) => callState(this.enclave, "state_sign_batch", { entries, epoch, domain: this.domain })
          : undefined,
      },
    );
    this.snapshots = new SnapshotHandover(
      {
        enclave: () => this.enclave,
        group: this.group,
        sender: this.txSender,
        domain: this.domain,
        sync: () => this.sync,
        logger: this.logger,
        catchUp: () => this.runSync(true),
      },
      this.options.snapshotStaggerMs,
    );
    // Before the first sync: the replay settles journaled commands the log already holds.
    this.submitterValue.restore(opened.commands);
    this.txSender.onSettled = (nonce, receipt) => this.submitterValue?.onSettled(nonce, receipt);
    sync.on("handshake", (h) => this.onHandshake(h));
    sync.on("applied", (a) => this.onApplied(a));
    sync.on("unreadable", (entry, why) => this.logger.warn(`entry #${entry.stateCounter} (epoch ${entry.epoch}) cannot be applied: ${why}`));
    sync.on("awaitingSnapshot", (entry, why) =>
      this.logger.warn(`state behind the log (${why}): waiting for a member's snapshot entry; handshakes still apply`),
    );

    this.checkpoints = new CheckpointPoster(
      { enclave: () => this.enclave, group: this.group, provider: this.provider, sender: this.txSender, domain: this.domain, logger: this.logger },
      BigInt(this.options.checkpointInterval ?? DEFAULT_CHECKPOINT_INTERVAL),
    );
    await this.checkpoints.load(this.address);

    await this.runSync(true);
    const posted = await ensureJoined(this.membershipContext());
    await this.waitForMembership(posted);
    // Restarted from sealed state: retire the leaf secrets first (the enclave produces nothing else before).
    await selfUpdateIfRequired(this.membershipContext());
    await this.resumeJournaledCommands(opened.commands.length);
    await this.takeRestorePoint();
  }

  async stop(): Promise<void> {
    if (!this.running && this.enclaveProcess === undefined) return;
    await this.shutdown();
    this.logger.info("stopped");
  }

  private async shutdown(): Promise<void> {
    this.running = false;
    if (this.pollTimer !== undefined) clearTimeout(this.pollTimer);
    this.rpc.interrupt(); // calls retrying through an outage give up now
    if (this.blockListener !== undefined) {
      await this.provider.off("block", this.blockListener);
      this.blockListener = undefined;
    }
    if (this.http !== undefined) {
      this.removeNodeUrl();
      await this.http.close();
      this.http = undefined;
    }
    await this.stopCore();
    this.lock?.release();
    this.lock = undefined;
  }

  /** Removes node.url only while this node holds the data dir's lock and the file still names this node's URL. */
  private removeNodeUrl(): void {
    const written = this.writtenUrl;
    this.writtenUrl = undefined;
    if (written !== undefined && this.lock?.owned() === true) removeNodeUrlIfOwn(this.options.dataDir, written);
  }

  /** Stops posting, lets the sync finish its step, closes the enclave (sealed after every change) and the journal. */
  private async stopCore(): Promise<void> {
    await this.submitterValue?.stop();
    await this.syncChain.catch(() => undefined);
    const enclave = this.enclaveProcess;
    this.enclaveProcess = undefined; // before close: its exit is not a crash
    await enclave?.close();
    await this.dcapAttester?.close(); // the development PCS, if this process served one (started again on demand)
    this.journal?.close();
    this.journal = undefined;
    this.outcomes?.close();
    this.outcomes = undefined;
  }

  /**
   * A "reorg" that replaced the block this node started following from, or left no contract at the group's address,
   * is a chain reset (a restarted `hardhat node`, a testnet wipe): say so, and that the data dir belongs to the old
   * chain, instead of reporting a deep reorg.
   */
  private async chainResetError(reorg: ChainReorgError): Promise<NodeError | undefined> {
    const { fromBlock } = this.readMetadata();
    const code = await this.provider.getCode(this.options.group).catch(() => undefined);
    const noContract = code === "0x";
    if (reorg.forkBlock >= fromBlock && !noContract) return undefined;
    return new NodeError(
      "chain_reset",
      `the chain was reset: ${reorg.forkBlock < fromBlock ? `block ${fromBlock}, where this node started following group ${this.options.group}, was replaced` : "its blocks were replaced"}` +
        `${noContract ? ` and there is no contract at ${this.options.group}` : ""} (e.g. a restarted \`hardhat node\`). ` +
        `The data dir ${this.options.dataDir} belongs to the old chain: deploy again (anonify:deploy) and start the nodes with fresh data dirs; the node stops`,
      503,
    );
  }

  /**
   * A reorg replaced blocks whose entries the enclave applied: put back the sealed state of the newest restore point
   * at or before the fork, reopen the journaled commands applied after it, and replay the log (startCore).
   */
  private async rollBack(reorg: ChainReorgError): Promise<void> {
    const point = this.restorePoints?.newestAtOrBefore(reorg.forkBlock);
    if (point === undefined) {
      const error =
        (await this.chainResetError(reorg)) ??
        new NodeError(
          "state_unavailable",
          `${reorg.message}, deeper than this node's restore points (reorgDepth ${this.options.reorgDepth ?? DEFAULT_KEEP_BLOCKS}` +
            `${this.restorePoints === undefined ? "; none in sgx mode: run with confirmations" : ""}); the node stops`,
          503,
        );
      this.logger.error(error.message);
      await this.shutdown();
      this.options.onFatal?.(error);
      return;
    }
    this.logger.warn(`${reorg.message}: rolling back to the sealed state of block ${point.block} (stateCounter ${point.lastApplied}) and replaying`);
    this.rollingBack = true;
    try {
      await this.stopCore();
      this.restorePoints!.restore(point, (p) => this.reopenJournalAfter(p));
      this.txSender = new TxSender(this.options.signer, this.rpc, {}, this.logger); // its nonce cache may name dropped transactions
      await this.startCore(this.readMetadata().fromBlock);
      this.kickRemovals();
      this.logger.info(`rolled back and replayed: stateCounter ${this.sync.lastApplied}, epoch ${this.sync.epoch ?? "-"}`);
    } finally {
      this.rollingBack = false;
    }
  }

  /** The journaled commands applied after a restored point are open again (idempotent). */
  private reopenJournalAfter(point: RestorePoint): void {
    const reopened = CommandJournal.reopenAfter(this.options.dataDir, BigInt(point.lastApplied));
    if (reopened > 0) this.logger.info(`journal: ${reopened} command(s) applied after stateCounter ${point.lastApplied} are open again`);
    OutcomeIndex.truncateAfter(this.options.dataDir, BigInt(point.lastApplied));
  }

  /**
   * After a sync step that applied something: a restore point at the newest block read (then old ones pruned). The
   * copy is made while the enclave is idle ({@link EnclaveProcess.whenQuiet}): reads, subscriptions and submits in
   * flight write sealed files too, and a copy taken half-way through one could hold files of two generations, which
   * the enclave refuses to open, so the rollback that needed the point would fail.
   */
  private async takeRestorePoint(): Promise<void> {
    const at = this.syncValue?.lastRead;
    const points = this.restorePoints;
    const enclave = this.enclaveProcess;
    if (points === undefined || at === undefined || this.sync.backlog > 0 || enclave === undefined) return;
    const point: RestorePoint = { block: at.block, hash: at.hash, lastApplied: this.sync.lastApplied.toString() };
    const taken = await enclave.whenQuiet(() => {
      points.take(point);
      return true;
    }, RESTORE_POINT_IDLE_WAIT_MS);
    if (taken === undefined) {
      // An enclave that exited meanwhile (a shutdown or rollback stopped it) is no reason for a warning.
      if (!enclave.hasExited) {
        this.logger.warn(`no restore point at block ${at.block}: the enclave was not idle within ${RESTORE_POINT_IDLE_WAIT_MS} ms (a rollback uses an older point)`);
      }
      return;
    }
    points.prune(at.block);
  }

  /** The enclave process died under the node: stop everything (crash-only: a restart recovers). */
  private onEnclaveExit(enclave: EnclaveProcess): void {
    if (this.enclaveProcess !== enclave) return; // closed by shutdown() or a rollback
    const error = new NodeError("enclave_unavailable", `the enclave process died (${enclave.stderr.trim().split("\n").pop() ?? "no output"}); restart the node to resume from the sealed state and the log`, 503);
    this.logger.error(error.message);
    this.enclaveProcess = undefined;
    void this.shutdown().finally(() => this.options.onFatal?.(error));
  }

  /**
   * After a restart: waits until this node's own transactions from before it are mined and applied, then re-submits
   * the journal's open commands (those the replay did not settle).
   */
  private async resumeJournaledCommands(journaled: number): Promise<void> {
    if (journaled === 0) return;
    const deadline = Date.now() + PENDING_TX_WAIT_MS;
    while ((await this.options.signer.getNonce("pending")) > (await this.options.signer.getNonce("latest"))) {
      if (Date.now() > deadline) throw new NodeError("state_unavailable", "this node's transactions from before the restart are still pending", 503);
      await sleep(this.options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
    }
    await this.runSync(true);
    const { requeued, settled } = await this.need(this.submitterValue).resubmitRecovered();
    if (requeued + settled > 0) this.logger.info(`journal: ${requeued} accepted command(s) re-submitted, ${settled} settled by the log before the restart`);
  }

  /** Self-update commit (key rotation), posted as the handshake of the current epoch; resolves once applied. */
  async rotate(): Promise<bigint> {
    return postMemberCommit(this.membershipContext(), { kind: "update" });
  }

  /**
   * Governance-approved change of the group policy (enclave/PROTOCOL.md "Policy changes"): `approvals` are EIP-712
   * signatures of `policyChangeTypedData(domain, epoch, policy)` (src/node/policyChange.ts) for the group's current
   * MLS epoch by k governance keys. Posted as the handshake of the current epoch; resolves once applied.
   */
  async changePolicy(policy: MlsGroupPolicyParams, approvals: Hex[]): Promise<bigint> {
    return postMemberCommit(this.membershipContext(), { kind: "policy", policy, approvals });
  }

  /** Removal commit of another member, by leaf index or enclave address; resolves once applied. */
  async remove(target: { leaf?: number; enclave?: string }): Promise<{ epoch: bigint; leaf: number; enclave?: string }> {
    // The group's own roster: it names every member, also those this node never saw join.
    const status = this.sync.mlsStatus.group;
    const members = status?.member === true ? status.members : [];
    let leaf = target.leaf;
    if (leaf === undefined) {
      const wanted = getAddress(target.enclave ?? "");
      leaf = members.find((m) => getAddress(m.identity) === wanted)?.leaf;
      if (leaf === undefined) throw new NodeError("leaf_unknown", `enclave ${wanted} holds no leaf of the group`, 404);
    }
    const identity = members.find((m) => m.leaf === leaf)?.identity;
    const epoch = await postMemberCommit(this.membershipContext(), { kind: "remove", leaves: [leaf] });
    return identity === undefined ? { epoch, leaf } : { epoch, leaf, enclave: getAddress(identity) };
  }

  /** Applies the log up to the chain's head now (serialised with the poll loop). */
  catchUp(): Promise<void> {
    return this.runSync(true);
  }

  /** Posts a snapshot of this enclave's state for late joiners now (the operator's `/admin/snapshot`). */
  postSnapshot(): Promise<PostedSnapshot> {
    return this.need(this.snapshots).post();
  }

  /**
   * The node's own account of itself (docs/node.md "Health"): counters and lags, serving / wedged / stalled, the RPC
   * state and a status ("ok" answers HTTP 200, "degraded" and "down" 503). Answers during an outage: one bounded
   * attempt per figure, else the last figures the node saw.
   */
  async health(): Promise<NodeHealth & { removed: boolean; awaitingSnapshot?: string }> {
    const sync = this.sync;
    const read = this.group.connect(this.rpc.raw) as Contract;
    if (this.rpc.reachability === "ok") {
      const [counter, head] = await Promise.all([
        this.rpc.probe("stateCounter", () => read.stateCounter() as Promise<bigint>),
        this.rpc.probe("getBlockNumber", () => this.rpc.raw.getBlockNumber()),
      ]);
      if (counter !== undefined) this.lastChainStateCounter = counter;
      if (head !== undefined) this.lastHeadBlock = head;
    }
    const chainCounter = this.lastChainStateCounter > sync.chainStateCounter ? this.lastChainStateCounter : sync.chainStateCounter;
    const now = Date.now();
    return {
      mode: this.mode,
      address: this.address.toLowerCase() as Hex,
      joined: sync.isMember,
      epoch: String(sync.epoch ?? 0),
      removed: sync.removed,
      ...(sync.awaitingSnapshot !== undefined ? { awaitingSnapshot: sync.awaitingSnapshot } : {}),
      ...healthReport({
        started: this.running && !this.rollingBack,
        enclaveAlive: this.enclaveProcess !== undefined,
        member: sync.isMember && !sync.removed,
        applied: sync.lastApplied,
        chainCounter,
        behindSince: this.progress.observe(sync.lastApplied, chainCounter, now),
        syncError: this.syncErrors.last,
        rpc: this.rpc.reachability,
        rpcUnreachableSince: this.rpc.unreachableSince,
        rpcLastError: this.rpc.unreachableReason,
        headBlock: this.lastHeadBlock,
        lastReadBlock: sync.lastRead?.block,
        now,
        options: this.healthOptions,
      }),
    };
  }

  enclaveInfo(): NodeEnclaveInfo {
    const id = this.identity;
    return {
      address: id.address.toLowerCase() as Hex,
      hpkePublicKey: id.hpkePublicKey,
      mlsSignatureKey: id.mlsSignatureKey,
      mrenclave: id.mrenclave,
      mode: this.mode,
      group: this.domain.verifyingContract.toLowerCase() as Hex,
    };
  }

  /** Submits a sealed command; `admit(sender)` may refuse a new command before it is queued (see Submitter.submit). */
  submitCommand(payload: Hex, admit?: (sender: string) => void): Promise<CommandStatus> {
    // Not while starting or stopping: a command is accepted only by a node that will post it.
    if (!this.running || this.rollingBack) return Promise.reject(new NodeError("node_not_started", "the node is not running (starting, stopping or rolling back)", 503));
    this.requireStateRuntime();
    return this.need(this.submitterValue).submit(payload, admit);
  }

  /**
   * A command this node accepted (its submitter's status), or any command whose entry this node applied from the
   * log (the outcome index: `submittedHere: false`). An outcome from the log overrides "failed" and the open
   * states of an own command: an entry that reached the log is never reported as failed.
   */
  commandStatus(id: string): CommandStatus | undefined {
    const own = this.submitterValue?.status(id);
    const indexed = this.outcomes?.get(id);
    if (indexed === undefined) return own;
    const fromLog = { status: indexed.status, stateCounter: indexed.stateCounter.toString(), ...(indexed.reason !== undefined ? { reason: indexed.reason } : {}) };
    if (own === undefined) return { id: id.toLowerCase() as Hex, ...fromLog, submittedHere: false };
    if (own.status === "applied" || own.status === "rejected") return own;
    const { reason: _reason, ...rest } = own;
    return { ...rest, ...fromLog };
  }

  async read(payload: Hex): Promise<{ reply: Hex }> {
    this.requireStateRuntime();
    return callState(this.enclave, "state_read", { payload, domain: this.domain, ...this.freshnessParam() });
  }

  async subscribe(payload: Hex, onNotification: (payload: Hex) => void): Promise<{ subscriptionId: string; close: () => Promise<void> }> {
    this.requireStateRuntime();
    const { subscriptionId } = await callState(this.enclave, "state_subscribe", { payload, domain: this.domain, ...this.freshnessParam() });
    this.subscriptions.set(subscriptionId, onNotification);
    return {
      subscriptionId,
      close: async () => {
        if (!this.subscriptions.delete(subscriptionId) || this.enclaveProcess === undefined) return;
        await callState(this.enclave, "state_unsubscribe", { subscriptionId });
      },
    };
  }

  /** `issuedAtWindow` for state_read / state_subscribe when the operator chose one. */
  private freshnessParam(): { issuedAtWindow?: string } {
    return this.options.issuedAtWindow === undefined ? {} : { issuedAtWindow: String(this.options.issuedAtWindow) };
  }

  private requireStateRuntime(): void {
    if (!this.stateRuntime) throw new NodeError("state_unavailable", "this enclave build has no state runtime", 503);
  }

  private apiBackend() {
    const node = this;
    return {
      health: () => this.health(),
      enclaveInfo: () => this.enclaveInfo(),
      submitCommand: (p: Hex, admit?: (sender: string) => void) => this.submitCommand(p, admit),
      commandStatus: (id: string) => this.commandStatus(id),
      read: (p: Hex) => this.read(p),
      subscribe: (p: Hex, cb: (payload: Hex) => void) => this.subscribe(p, cb),
      admin: {
        // Read per request: the HTTP port is bound (not serving yet) before start() loads the token.
        get token(): string {
          return node.adminToken;
        },
        rotate: async () => ({ epoch: (await this.rotate()).toString() }),
        remove: async (t: { leaf?: number; enclave?: string }) => {
          const { epoch, ...removed } = await this.remove(t);
          return { epoch: epoch.toString(), ...removed };
        },
        snapshot: () => this.postSnapshot(),
        changePolicy: async (policy: MlsGroupPolicyParams, approvals: Hex[]) => ({ epoch: (await this.changePolicy(policy, approvals)).toString() }),
      },
    };
  }

  private membershipContext(): MembershipContext {
    return {
      enclave: this.enclave,
      identity: this.identity,
      group: this.group,
      sender: this.txSender,
      sync: this.sync,
      domain: this.domain,
      attest: (evidence: EvidenceResult) => this.attestForJoin(evidence),
      logger: this.logger,
      catchUp: () => this.runSync(true),
      followHead: () => this.runSync(true, undefined, true),
      confirmations: this.options.confirmations ?? 0,
      waitConfirmed: (what, block, done) => this.waitConfirmed(what, block, done),
      groupPolicy: (own: EvidenceResult) => this.groupPolicy(own),
    };
  }

  /**
   * Sets up where members' evidence comes from for the group's evidence kind: for DCAP the verifier's stores and root
   * (checked against this node's mode) and the node's quoting and collateral source; for IAS the development IAS's
   * certificate in simulation. Refuses an sgx node without the credentials its group's kind needs.
   */
  private async prepareEvidence(evidence: ChainEvidence): Promise<EvidenceKindName> {
    const kind = await this.readEvidenceKind();
    if (kind === "dcap") {
      if (this.dcapDeployment === undefined) {
        this.dcapDeployment = await readDcapDeployment((await this.group.verifier()) as string, this.provider, this.mode);
      }
      if (this.mode === "sgx" && this.options.dcap === undefined) {
        throw new NodeError("invalid_options", "the group admits DCAP quotes: sgx mode needs anonify.dcap.pcsUrl (Intel's PCS or your PCCS)");
      }
      this.dcapAttester ??= new DcapAttester(this.mode, this.options.dcap);
      evidence.useDcap(new ChainCollateral(this.provider, this.dcapDeployment));
    } else if (this.mode === "sgx" && this.options.attester === undefined) {
      throw new NodeError("invalid_options", "the group admits IAS reports: sgx mode needs an attester for Intel IAS (anonify.ias.url and apiKey)");
    } else if (this.options.attester === undefined || this.options.attester.name === "simulation") {
      // Every report of the development IAS is signed by its one signing key.
      const ias = new DevelopmentIas();
      evidence.knowCertificate(ias.keyId, ias.certificates.leaf);
    }
    return kind;
  }

  /**
   * The evidence kind of the group's verifier (`IEnclaveVerifier.evidenceKind()`), read once; refuses a node configured
   * for the other kind (`anonify.attestation`), which would attest with evidence the group cannot take.
   */
  private async readEvidenceKind(): Promise<EvidenceKindName> {
    if (this.evidenceKindValue !== undefined) return this.evidenceKindValue;
    const address = (await this.group.verifier()) as string;
    const verifier = new Contract(address, ["function evidenceKind() view returns (uint8)"], this.provider);
    let kind: EvidenceKindName;
    try {
      kind = evidenceKindName((await verifier.evidenceKind()) as bigint);
    } catch (error) {
      throw new NodeError("invalid_options", `the group's verifier ${address} does not answer evidenceKind() with a kind this package knows (${EVIDENCE_KIND.ias} = IAS, ${EVIDENCE_KIND.dcap} = DCAP): ${(error as Error).message}`, 409);
    }
    const configured = this.options.attestation;
    if (configured !== undefined && configured !== kind) {
      throw new NodeError(
        "invalid_options",
        `the group's verifier ${address} admits ${kind === "dcap" ? "DCAP quotes" : "IAS reports"}, but this node is configured for ${configured} (anonify.attestation); set it to "${kind}" for this network`,
        409,
      );
    }
    this.evidenceKindValue = kind;
    return kind;
  }

  /** Attests the enclave for its join, in the group's evidence kind (src/node/joinAttestation.ts). */
  private async attestForJoin(evidence: EvidenceResult): Promise<JoinAttestation> {
    if ((await this.readEvidenceKind()) === "dcap") {
      return attestDcap(
        { attester: this.need(this.dcapAttester), deployment: this.need(this.dcapDeployment), signer: this.options.signer, provider: this.provider, logger: this.logger },
        evidence,
      );
    }
    const attester = this.options.attester ?? new SimulationAttester(async () => new Date(((await this.provider.getBlock("latest"))!.timestamp) * 1000));
    return attestIas(attester, this.need(this.evidenceValue), evidence);
  }

  /** `AnonifyGroup.runtime()`, read once: the contract sets it in its constructor and never changes it. */
  private async groupRuntime(): Promise<string> {
    this.groupRuntimeName ??= (await this.group.runtime()) as string;
    return this.groupRuntimeName;
  }

  /**
   * Refuses to start an enclave binary without the group's runtime: its enclave would refuse to create or join the
   * group (`runtime_unavailable`) only after the node paid for evidence and a join.
   */
  private async checkCarriesGroupRuntime(group: string): Promise<void> {
    const runtime = await this.groupRuntime();
    const carried = (await this.enclave.status()).runtimes;
    if (!carried.includes(runtime)) {
      throw new NodeError(
        "runtime_unavailable",
        `the group ${group} runs the runtime "${runtime}", which the enclave binary ${this.options.binary} does not carry ` +
          `(it carries: ${carried.join(", ") || "none"}); build an enclave with that runtime (docs/runtimes.md)`,
        409,
      );
    }
  }

  /**
   * The policy a group created by this node fixes: the configured one, else the verifier's (genesisPolicy), for the
   * runtime the contract names (a configured policy naming another one is refused).
   */
  private async groupPolicy(own: EvidenceResult): Promise<MlsGroupPolicyParams> {
    const runtime = await this.groupRuntime();
    if (this.options.groupPolicy !== undefined) {
      const configured = this.options.groupPolicy.runtime;
      if (configured !== undefined && configured !== runtime) {
        throw new NodeError("invalid_policy", `the configured group policy names the runtime "${configured}", the group contract "${runtime}"`, 409);
      }
      return { ...this.options.groupPolicy, runtime };
    }
    const address = (await this.group.verifier()) as string;
    if ((await this.readEvidenceKind()) === "dcap") return { ...(await dcapGenesisPolicy(address, this.provider, quoteSigner(own))), runtime };
    const verifier = new Contract(address, IAS_VERIFIER_ABI, this.provider);
    return { ...(await genesisPolicy(verifier, own)), runtime };
  }

  /** After posting a join, syncs until the join handshake made the enclave a member (see waitConfirmed). */
  private async waitForMembership(posted: JoinPosted | undefined): Promise<void> {
    const what = posted === undefined ? "this enclave's join" : `join tx ${posted.hash}`;
    const done = () => this.sync.isMember || this.sync.removed;
    if (!(await this.waitConfirmed(what, posted?.block ?? this.sync.lastRead?.block, done, true))) {
      throw new NodeError("join_failed", "the join handshake was not applied in time", 503);
    }
    const status = this.sync.mlsStatus.group;
    if (status?.member === true) {
      this.logger.info(`${posted !== undefined ? "joined" : "member of"} group at epoch ${status.epoch} as leaf ${status.leaf} (${status.memberCount} members)`);
    } else {
      this.logger.warn("this enclave was removed from the group; the node follows the log without applying entries");
    }
  }

  /**
   * Syncs until `done` (something this node posted, mined in `block`, is applied). With confirmations it applies
   * only once that many blocks deep: progress lines meanwhile (every few seconds and whenever the depth changes),
   * saying so when no new block comes (an automine chain without other traffic never mines one); the timeout runs
   * only once the block is deep enough. Without confirmations: one sync step, unless `poll` (then up to the timeout).
   * Returns whether `done` holds.
   */
  private async waitConfirmed(what: string, block: number | undefined, done: () => boolean, poll = false): Promise<boolean> {
    const confirmations = this.options.confirmations ?? 0;
    if (confirmations === 0 && !poll) {
      await this.runSync(true);
      return done();
    }
    const progressEvery = this.options.joinWait?.progressIntervalMs ?? JOIN_PROGRESS_INTERVAL_MS;
    const noBlockAfter = this.options.joinWait?.noBlockWarnMs ?? NO_BLOCK_WARN_MS;
    let deadline = Date.now() + JOIN_APPLY_TIMEOUT_MS;
    let head: number | undefined;
    let headSince = Date.now();
    let reported: { depth: number; at: number } | undefined;
    let from = block;
    while (!done()) {
      if (confirmations > 0) {
        const now = Date.now();
        const latest = await this.provider.getBlockNumber();
        if (latest !== head) {
          head = latest;
          headSince = now;
        }
        from ??= latest; // not known: counted from the head when the wait began
        const depth = Math.max(0, Math.min(latest - from, confirmations));
        if (depth < confirmations) deadline = now + JOIN_APPLY_TIMEOUT_MS; // the timeout runs once the block is final
        if (depth < confirmations && (reported === undefined || reported.depth !== depth || now - reported.at >= progressEvery)) {
          const stalled = now - headSince >= noBlockAfter
            ? `; no new block for ${Math.round((now - headSince) / 1000)}s: on an automine chain mine blocks or use --confirmations 0`
            : "";
          this.logger.info(`waiting for ${what} to be ${confirmations} blocks deep: ${depth}/${confirmations} (block ${latest})${stalled}`);
          reported = { depth, at: now };
        }
      }
      if (Date.now() > deadline) return false;
      await sleep(Math.min(this.options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, JOIN_POLL_MS));
      await this.runSync(true);
    }
    return true;
  }

  /**
   * One sync step, serialised; `latest` reads to the head (join and commits), else to the confirmed head; either way
   * no further than head - confirmations unless `unconfirmed` (the join: src/node/membership.ts followHead).
   * `onStart` runs when the step begins (after the steps queued before it).
   */
  private runSync(latest: boolean, onStart?: () => void, unconfirmed = false): Promise<void> {
    const run = this.syncChain.then(async () => {
      onStart?.();
      const upTo = latest ? await this.provider.getBlockNumber() : undefined;
      if ((await this.sync.step(upTo === undefined ? undefined : upTo, unconfirmed)) > 0) await this.takeRestorePoint();
      this.kickSnapshot();
    });
    this.syncChain = run.catch(() => undefined);
    return run;
  }

  /** Posts a due snapshot handover in the background (it waits for its transaction; the sync goes on). */
  private kickSnapshot(): void {
    this.snapshots?.maybePost().catch((error: unknown) => this.logger.warn(`snapshot: ${(error as Error).message}`));
  }

  private schedulePoll(): void {
    if (!this.running) return;
    this.pollTimer = setTimeout(async () => {
      await this.syncReportingErrors();
      this.schedulePoll();
    }, this.options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
  }

  /** syncOnNewBlocks: one sync step per burst of blocks (a step reads every block up to the head anyway). */
  private onNewBlock(): void {
    if (!this.running || this.rollingBack || this.blockSyncQueued) return;
    this.blockSyncQueued = true;
    void this.syncReportingErrors(() => {
      this.blockSyncQueued = false;
    });
  }

  /**
   * A sync step to the confirmed head (poll loop and block events). A reorg rolls the node back; any other failure
   * is logged once per distinct message (the next step retries).
   */
  private async syncReportingErrors(onStart?: () => void): Promise<void> {
    try {
      await this.runSync(false, onStart);
      await this.txSender.settlePending(); // a transaction an outage left unresolved
      this.syncErrors.succeeded();
    } catch (error) {
      if (error instanceof ChainReorgError) {
        // One rollback at a time: the poll loop and a block event may both meet the same reorg.
        if (!this.rollingBack) await this.rollBack(error).catch((e: unknown) => this.logger.error(`rollback: ${(e as Error).message}`));
        return;
      }
      if (this.syncErrors.failed(error)) this.logger.error(`sync: ${(error as Error).message}`);
    } finally {
      // The stall clock starts when the node first sees itself behind, not at the first /health.
      const sync = this.syncValue;
      if (sync !== undefined) {
        const chain = this.lastChainStateCounter > sync.chainStateCounter ? this.lastChainStateCounter : sync.chainStateCounter;
        this.progress.observe(sync.lastApplied, chain);
      }
    }
  }

  private onHandshake(h: HandshakeApplied): void {
    this.snapshots?.onHandshake(h);
    if (h.outcome === "followed" || h.outcome === "genesis") return;
    const status = this.sync.mlsStatus.group;
    const members = status?.member === true ? `, ${status.memberCount} members` : "";
    this.logger.info(`epoch ${h.entry.epoch}: ${h.outcome.replace("_", " ")} by ${h.entry.sender}${members}`);
    this.persistLeaves();
  }

  /** The roster revoked an enclave: post the removal commit of its leaf (audit F-6), not from inside the sync step. */
  private onRevoked(enclave: string): void {
    this.revokedSeen.add(getAddress(enclave));
    if (this.running && !this.rollingBack) this.kickRemovals();
  }

  /**
   * Posts the removal commit of the revoked enclaves whose removal is pending on chain, one at a time (a revocation
   * read meanwhile runs it again). Losing the race to another node's removal is no error (commitPendingRemovals).
   */
  private kickRemovals(): void {
    if (this.revokedSeen.size === 0 || this.revokedSeen.has(this.address)) return; // a revoked node commits nothing
    if (this.removals !== undefined) {
      this.removalsAgain = true;
      return;
    }
    this.removals = commitPendingRemovals(this.membershipContext(), this.revokedSeen)
      .then(() => undefined)
      .catch((error: unknown) => {
        if (this.running) this.logger.warn(`removal commit: ${(error as Error).message}`);
      })
      .finally(() => {
        this.removals = undefined;
        if (this.removalsAgain && this.running) {
          this.removalsAgain = false;
          this.kickRemovals();
        }
      });
  }

  private onApplied(a: EntryApplied): void {
    const r0 = a.result;
    if (r0.commandId !== undefined) this.outcomes?.record(r0.commandId, { status: r0.outcome, stateCounter: BigInt(r0.stateCounter), ...(r0.reason !== undefined ? { reason: r0.reason } : {}) });
    this.submitterValue?.onApplied(a);
    this.snapshots?.onApplied(a);
    for (const n of a.result.notifications ?? []) this.subscriptions.get(n.subscriptionId)?.(n.payload);
    const r = a.result;
    this.logger.info(
      `applied #${r.stateCounter} (${r.snapshot !== undefined ? `snapshot ${r.snapshot}, ` : ""}${r.outcome}${r.reason !== undefined ? `: ${r.reason}` : ""}) epoch ${a.entry.epoch}; ` +
        `lag ${this.sync.chainStateCounter - this.sync.lastApplied}`,
    );
    // Every checkpointInterval applied entries (src/node/checkpoints.ts).
    this.checkpoints?.onApplied(a.entry);
  }

  private logProgress(): void {
    const sync = this.sync;
    this.logger.info(
      `joined ${sync.isMember}, epoch ${sync.epoch ?? "-"}, stateCounter ${sync.lastApplied}, chain ${sync.chainStateCounter}, ` +
        `lag ${sync.chainStateCounter - sync.lastApplied}`,
    );
  }

  /** The metadata start() saved. */
  private readMetadata(): NodeMetadata {
    return readNodeMetadata(this.options.dataDir);
  }

  private saveMetadata(metadata: NodeMetadata): void {
    if (this.syncValue !== undefined) metadata.leaves = Object.fromEntries([...this.syncValue.leaves].map(([l, a]) => [String(l), a]));
    writeNodeMetadata(this.options.dataDir, metadata);
  }

  private persistLeaves(): void {
    this.saveMetadata(this.readMetadata());
  }
}
