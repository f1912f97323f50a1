/**
 * One TEE node as its own OS process, for the end-to-end test: an AnonifyNode (its own enclave process) on a
 * JSON-RPC chain. Configured by environment variables; prints `E2E_READY {json}` once serving; stops cleanly on
 * SIGTERM/SIGINT.
 */
import { JsonRpcProvider, Wallet } from "ethers";
import { AnonifyNode } from "../../src/node/AnonifyNode";
import { consoleLogger } from "../../src/node/logger";

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") {
    console.error(`nodeProcess: ${name} is not set`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  // No response cache: a node re-reads the head right after its own transaction and must see that block.
  const provider = new JsonRpcProvider(env("E2E_RPC_URL"), undefined, { pollingInterval: 100, cacheTimeout: -1 });
  const node = new AnonifyNode({
    binary: env("E2E_ENCLAVE_BINARY"),
    mode: "simulation",
    dataDir: env("E2E_DATA_DIR"),
    signer: new Wallet(env("E2E_NODE_KEY"), provider),
    group: env("E2E_GROUP"),
    fromBlock: Number(env("E2E_FROM_BLOCK")),
    pollIntervalMs: 100,
    checkpointInterval: Number(process.env.E2E_CHECKPOINT_INTERVAL ?? "1"),
    snapshotStaggerMs: Number(process.env.E2E_SNAPSHOT_STAGGER_MS ?? "300"),
    // Crash-only: when the enclave dies the node stops; its supervisor (here: the test) restarts it.
    onFatal: () => process.exit(3),
    http: { port: 0, host: "127.0.0.1" },
    logger: consoleLogger(env("E2E_LABEL")),
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await node.stop().catch((error: unknown) => console.error(`stop: ${(error as Error).message}`));
    provider.destroy();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  await node.start();
  console.log(`E2E_READY ${JSON.stringify({ url: node.url, address: node.address })}`);
}

// `hardhat test` loads every file under test/, this one included: run only as the child's entry point.
if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`nodeProcess failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  });
}
