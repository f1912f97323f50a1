import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { Signer } from "ethers";
import { AttestationRuntime } from "./attestation/runtime";
import { AnonifyClient, RuntimeClient, type AnonifyClientOptions, type RuntimeClientOptions } from "./client/AnonifyClient";
import type { RuntimeTypes, UntypedRuntime } from "./client/wire";
import { auditGroup, type AuditOptions, type AuditReport } from "./client/audit";
import { runDemo, type DemoOptions, type DemoResult } from "./client/demo";
import type { AnonifyConfig } from "./config";
import { startConfiguredEnclave, type EnclaveProcess, type EnclaveProcessOptions } from "./enclave";
import { ensureEnclaveBuilt, type EnclaveBuildOptions } from "./enclave/build";
import { AnonifyPluginError } from "./errors";
import type { AnonifyNode } from "./node/AnonifyNode";
import { deployAnonify, readDeployment, type DeployOptions, type DeploymentRecord } from "./node/deployment";
import { createNode, startNode, type HreNodeOptions } from "./node/fromHre";

/** What `hre.anonify.client()` needs; the rest defaults from the network and `anonify:deploy`'s record. */
export type HreClientOptions = Partial<AnonifyClientOptions> &
  Pick<AnonifyClientOptions, "nodeUrl"> & {
    /** Where to look for the deployment record when `group` is not given; default `anonify.dataDir`. */
    dataDir?: string;
  };

/** What `hre.anonify.runtimeClient()` needs: `HreClientOptions`, and the runtime's codec when it wants its own. */
export type HreRuntimeClientOptions<R extends RuntimeTypes = UntypedRuntime> = HreClientOptions & Pick<RuntimeClientOptions<R>, "codec">;

/**
 * `hre.anonify`: the plugin's entry point for scripts, tasks and tests. Every member is bound to the
 * project's `anonify` config and the selected network.
 */
export class AnonifyRuntime {
  /** IAS report verification under the project's trust anchor and policy, the development IAS, verifier deployment. */
  readonly attestation: AttestationRuntime;

  constructor(private readonly hre: HardhatRuntimeEnvironment) {
    this.attestation = new AttestationRuntime(hre);
  }

  get config(): AnonifyConfig {
    return this.hre.config.anonify;
  }

  /**
   * Builds the enclave (simulation mode) from `anonify.enclave.sourceDir` into `anonify.enclave.buildDir`,
   * incrementally and once per process, printing progress lines; `startEnclave`, `deploy` and the nodes call it
   * themselves. In a user's project the first build compiles the whole enclave (minutes): tests call it in a
   * `before` hook with a long timeout.
   */
  buildEnclave(options: EnclaveBuildOptions = {}): Promise<void> {
    return ensureEnclaveBuilt(this.config, options);
  }

  /**
   * Starts an enclave process as `anonify.mode` and `anonify.enclave.binary` describe (natively in
   * simulation, under `gramine-sgx` in sgx mode), after {@link buildEnclave}.
   */
  async startEnclave(options: Omit<EnclaveProcessOptions, "binary" | "mode"> = {}): Promise<EnclaveProcess> {
    await ensureEnclaveBuilt(this.config);
    return startConfiguredEnclave(this.config, options);
  }

  /**
   * Deploys a verifier (IasVerifier, or DcapVerifier with its collateral stores: `attestation`, default
   * `anonify.attestation`) + AnonifyGroup (Ignition) and records them in `<dataDir>/deployment-<chainId>.json`.
   */
  deploy(options: DeployOptions = {}): Promise<DeploymentRecord> {
    return deployAnonify(this.hre, options);
  }

  /** The deployment `deploy` (or `anonify:deploy`) recorded for the selected network, if any. */
  async deployment(dataDir: string = this.config.dataDir): Promise<DeploymentRecord | undefined> {
    const { chainId } = await this.hre.ethers.provider.getNetwork();
    return readDeployment(dataDir, chainId);
  }

  /** A TEE node (enclave process, chain sync, submitter, HTTP API), not yet started. */
  createNode(options: HreNodeOptions = {}): Promise<AnonifyNode> {
    return createNode(this.hre, options);
  }

  /** A started TEE node: joined to the group and serving its HTTP API. Stop it with `node.stop()`. */
  startNode(options: HreNodeOptions = {}): Promise<AnonifyNode> {
    return startNode(this.hre, options);
  }

  /**
   * A client SDK instance for a user: `signer` defaults to the network's first account and `group`
   * to the recorded deployment. The client checks the node's enclave against the chain before use.
   */
  async client(options: HreClientOptions): Promise<AnonifyClient> {
    return new AnonifyClient(await this.clientOptions(options));
  }

  /**
   * A client for a group whose runtime is not the token (or any runtime, untyped): `send` its commands, `query`
   * its state, `subscribe`; defaults as {@link client}. `R` describes the runtime's commands and queries, so only
   * its commands compile and each query's result is typed:
   *
   * ```ts
   * interface AuctionRuntime {
   *   command: { op: "open"; item: string; reserve: bigint } | { op: "bid"; auction: string; amount: bigint };
   *   queries: { myBid: { query: { auction: string }; result: string | null } };
   * }
   * const auction = await hre.anonify.runtimeClient<AuctionRuntime>({ nodeUrl: "http://127.0.0.1:8601" });
   * await (await auction.send({ op: "bid", auction: "7", amount: 120n })).wait();
   * const mine = await auction.query({ op: "myBid", auction: "7" }); // string | null
   * ```
   *
   * Without `R` every command and query with an `op` string is accepted and results are `unknown`. Commands and
   * queries travel as JSON (`op` first, bigints as decimal strings, at most 4096 bytes); pass `codec` for another
   * encoding. See docs/client.md "Any runtime: send, query, subscribe".
   */
  async runtimeClient<R extends RuntimeTypes = UntypedRuntime>(options: HreRuntimeClientOptions<R>): Promise<RuntimeClient<R>> {
    return new RuntimeClient<R>({ ...(await this.clientOptions(options)), codec: options.codec });
  }

  /** The client options with the defaults of {@link client}: the network's first account, the recorded group. */
  private async clientOptions(options: HreClientOptions): Promise<AnonifyClientOptions> {
    const { dataDir, ...clientOptions } = options;
    const signer: Signer = options.signer ?? (await this.hre.ethers.getSigners())[0];
    const group = options.group ?? (await this.deployment(dataDir))?.group;
    if (group === undefined) {
      throw new AnonifyPluginError("no group address: pass `group` or run `npx hardhat anonify:deploy` first");
    }
    return { ...clientOptions, signer, group };
  }

  /** Replays a group's whole log from the chain (reports, signatures, epochs, counters, checkpoints); no findings = clean. */
  async audit(options: AuditOptions & { group?: string } = {}): Promise<AuditReport> {
    const group = options.group ?? (await this.deployment())?.group;
    if (group === undefined) {
      throw new AnonifyPluginError("no group address: pass `group` or run `npx hardhat anonify:deploy` first");
    }
    return auditGroup(this.hre.ethers.provider, group, options);
  }

  /** The demo `anonify:demo` runs: 3 simulation nodes, 3 users, rotation, removal, agreement, gas, no plaintext. */
  demo(options: DemoOptions = {}): Promise<DemoResult> {
    return runDemo(this.hre, options);
  }
}
