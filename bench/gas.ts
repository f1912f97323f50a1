/**
 * Gas figures of the on-chain core on the in-process Hardhat network (hardfork osaka), printed as a table and written
 * to bench/RESULTS.md. Run with `npm run bench:gas` (= `hardhat run bench/gas.ts`).
 *
 * Total gas is the receipt's gasUsed of a plain transaction (intrinsic 21,000 + calldata, with the EIP-7623 calldata
 * floor where it applies). Execution gas is what the EVM spends running the call, read from the transaction's trace
 * (gas at the first opcode minus gas left after the last), so it is exact even when the calldata floor sets the total.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre, { ethers } from "hardhat";
import { getBytes, hexlify, keccak256, randomBytes, type ContractTransactionResponse, type TransactionResponse } from "ethers";
import { DevelopmentIas } from "../src/attestation/devIas";
import { intelCaDer, intelLeafDer, keyIdOfCertificate, simulationCaDer, simulationLeafDer } from "../src/attestation/roots";
import { vectorDir } from "../test/helpers/vectors";
import { EnclaveKeys, groupDomain } from "../test/group/helpers/enclaveKeys";

/** Real Intel reports: the one the RAVe peer figure (~96k) was measured on, and the largest vector (13 advisory IDs). */
const INTEL_VECTORS: ReadonlyArray<readonly [string, string]> = [
  ["rave_2023-02-15_v4_SW_HARDENING_NEEDED", "real Intel report, RAVe's vector"],
  ["phala_example_2023-10-20_v4_GROUP_OUT_OF_DATE", "real Intel report, largest vector: 13 advisory IDs"],
];
const CIPHERTEXT_BYTES = 200;
const HANDSHAKE_BYTES = 512;
const BATCH_SIZES = [8, 32, 128] as const;
const INTRINSIC_GAS = 21_000n;
const CALLDATA_STANDARD_PER_TOKEN = 4n;
const CALLDATA_FLOOR_PER_TOKEN = 10n;
const NONZERO_BYTE_TOKENS = 4n;

/**
 * "per entry" targets (issue 2: "a batch of 32 under 8k per entry") do not say execution or total, so
 * both are judged and shown: execution is what the contract controls, total is bound by EIP-7623.
 */
type TargetKind = "execution" | "total" | "per entry";
interface Target {
  kind: TargetKind;
  below: bigint;
}
interface Row {
  operation: string;
  execution: bigint;
  total: bigint;
  entries?: number;
  target?: Target;
  /** The EIP-7623 calldata floor set the total. */
  floorBound: boolean;
}

interface TraceResult {
  structLogs: Array<{ gas: number; gasCost: number; depth: number }>;
}

function calldataTokens(data: string): bigint {
  let tokens = 0n;
  for (const byte of getBytes(data)) tokens += byte === 0 ? 1n : NONZERO_BYTE_TOKENS;
  return tokens;
}

async function measure(
  operation: string,
  sent: Promise<ContractTransactionResponse | TransactionResponse>,
  options: { entries?: number; target?: Target } = {},
): Promise<Row> {
  const tx = await sent;
  const receipt = await tx.wait();
  if (receipt === null || receipt.status !== 1) throw new Error(`${operation}: transaction failed`);
  const trace = (await hre.network.provider.send("debug_traceTransaction", [
    tx.hash,
    { disableStack: true, disableMemory: true, disableStorage: true },
  ])) as TraceResult;
  const top = trace.structLogs.filter((log) => log.depth === 1);
  const first = top[0];
  const last = top[top.length - 1];
  const execution = BigInt(first.gas - (last.gas - last.gasCost));
  const floor = INTRINSIC_GAS + CALLDATA_FLOOR_PER_TOKEN * calldataTokens(tx.data);
  return { operation, execution, total: receipt.gasUsed, floorBound: receipt.gasUsed === floor, ...options };
}

function intelVector(name: string) {
  const dir = path.join(vectorDir("ias"), name);
  const manifest = JSON.parse(fs.readFileSync(path.join(vectorDir("ias"), "manifest.json"), "utf8")) as Array<Record<string, unknown>>;
  const entry = manifest.find((v) => v.dir === name);
  if (entry === undefined) throw new Error(`${name} missing from manifest.json`);
  return {
    report: fs.readFileSync(path.join(dir, "report.json")),
    signature: fs.readFileSync(path.join(dir, "signature.bin")),
    mrenclave: "0x" + String(entry.mrenclave_off112),
    status: String(entry.isvEnclaveQuoteStatus),
  };
}

function random(count: number, size: number): Uint8Array[] {
  return Array.from({ length: count }, () => randomBytes(size));
}

async function run(): Promise<Row[]> {
  const [deployer, relayer, holder, newHolder] = await ethers.getSigners();
  const admin = await deployer.getAddress();
  const rows: Row[] = [];

  // --- attestation: certificate registration and report verification with a cached leaf
  const intelVerifier = await ethers.deployContract("IasVerifier", [intelCaDer(), admin, 0]);
  rows.push(await measure("Signing-certificate registration (Intel leaf under Intel CA)", intelVerifier.registerSigningCertificate(intelLeafDer())));
  const simulationVerifier = await ethers.deployContract("IasVerifier", [simulationCaDer(), admin, 0]);
  rows.push(
    await measure("Signing-certificate registration (SIMULATION leaf)", simulationVerifier.registerSigningCertificate(simulationLeafDer())),
  );

  const verifyTarget: Target = { kind: "execution", below: 90_000n };
  for (const [name, label] of INTEL_VECTORS) {
    const intel = intelVector(name);
    await (await intelVerifier.setQuoteStatusAllowed(intel.status, true)).wait();
    await (await intelVerifier.setMrenclaveAllowed(intel.mrenclave, true)).wait();
    rows.push(
      await measure(
        `Report verification, cached leaf (${label}, ${intel.report.length} B)`,
        deployer.sendTransaction({
          to: await intelVerifier.getAddress(),
          data: intelVerifier.interface.encodeFunctionData("verifyReport", [keyIdOfCertificate(intelLeafDer()), intel.report, intel.signature]),
        }),
        { target: verifyTarget },
      ),
    );
  }

  const mrenclave = keccak256(Buffer.from("anonify bench enclave"));
  await (await simulationVerifier.setMrenclaveAllowed(mrenclave, true)).wait();
  const ias = new DevelopmentIas();
  const probe = new EnclaveKeys().attest(ias, { mrenclave });
  rows.push(
    await measure(
      `Report verification, cached leaf (development-IAS report, ${probe.report.length} B)`,
      deployer.sendTransaction({
        to: await simulationVerifier.getAddress(),
        data: simulationVerifier.interface.encodeFunctionData("verifyReport", [probe.keyId, probe.report, probe.signature]),
      }),
      { target: verifyTarget },
    ),
  );

  // --- the group
  const group = await ethers.deployContract("AnonifyGroup", [await simulationVerifier.getAddress(), admin, 0, admin]);
  const { chainId } = await ethers.provider.getNetwork();
  const domain = groupDomain(chainId, await group.getAddress());
  const asRelayer = group.connect(relayer);

  const joinOf = async (label: string, enclave: EnclaveKeys) => {
    const signed = enclave.attest(ias, { mrenclave });
    const handshake = randomBytes(HANDSHAKE_BYTES);
    const signature = await enclave.signHandshake(domain, await group.currentEpoch(), handshake);
    return measure(
      label,
      asRelayer.join(signed.keyId, signed.report, signed.signature, enclave.hpkePublicKey, enclave.mlsSignatureKey, handshake, signature),
    );
  };
  const alice = new EnclaveKeys();
  rows.push(await joinOf(`join: first enclave (report + roster + ${HANDSHAKE_BYTES} B handshake)`, alice));
  rows.push(await joinOf(`join: second enclave`, new EnclaveKeys()));

  let epoch = await group.currentEpoch();
  const handshake = randomBytes(HANDSHAKE_BYTES);
  rows.push(
    await measure(`postHandshake (${HANDSHAKE_BYTES} B)`, asRelayer.postHandshake(epoch, handshake, await alice.signHandshake(domain, epoch, handshake))),
  );
  epoch = await group.currentEpoch();

  const ciphertext = randomBytes(CIPHERTEXT_BYTES);
  rows.push(
    await measure(
      `postCiphertext (${CIPHERTEXT_BYTES} B)`,
      asRelayer.postCiphertext(epoch, ciphertext, await alice.signCiphertext(domain, epoch, ciphertext)),
      { target: { kind: "total", below: 45_000n } },
    ),
  );
  for (const size of BATCH_SIZES) {
    const batch = random(size, CIPHERTEXT_BYTES);
    rows.push(
      await measure(
        `postCiphertextBatch ${size} x ${CIPHERTEXT_BYTES} B`,
        asRelayer.postCiphertextBatch(epoch, batch, await alice.signCiphertextBatch(domain, epoch, batch)),
        { entries: size, target: size === 32 ? { kind: "per entry", below: 8_000n } : undefined },
      ),
    );
  }

  const counter = await group.stateCounter();
  const firstHash = keccak256(randomBytes(32));
  rows.push(
    await measure("postCheckpoint (first of an enclave)", asRelayer.postCheckpoint(counter - 1n, firstHash, await alice.signCheckpoint(domain, counter - 1n, firstHash))),
  );
  const nextHash = keccak256(randomBytes(32));
  rows.push(await measure("postCheckpoint (update)", asRelayer.postCheckpoint(counter, nextHash, await alice.signCheckpoint(domain, counter, nextHash))));

  // --- yardstick: OpenZeppelin ERC-20 transfer in the same run
  const token = await ethers.deployContract("BenchToken", [10n ** 24n]);
  await (await token.transfer(await holder.getAddress(), 1n)).wait();
  rows.push(await measure("ERC-20 transfer (OpenZeppelin; recipient already holds tokens)", token.transfer(await holder.getAddress(), 1000n)));
  rows.push(await measure("ERC-20 transfer (OpenZeppelin; new recipient)", token.transfer(await newHolder.getAddress(), 1000n)));
  return rows;
}

// ---------------------------------------------------------------- formatting

const fmt = (n: bigint | number) => Math.round(Number(n)).toLocaleString("en-US");

function targetCell(row: Row): { target: string; result: string } {
  if (row.target === undefined) return { target: "", result: "" };
  const { kind, below } = row.target;
  const verdict = (measured: bigint) => (measured < below ? "PASS" : "MISS");
  if (kind === "per entry") {
    const entries = BigInt(row.entries ?? 1);
    return {
      target: `< ${fmt(below)} per entry`,
      result: `${verdict(row.execution / entries)} execution, ${verdict(row.total / entries)} total`,
    };
  }
  return { target: `< ${fmt(below)} ${kind}`, result: verdict(kind === "execution" ? row.execution : row.total) };
}

function tableRows(rows: Row[]): string[][] {
  return rows.map((row) => {
    const { target, result } = targetCell(row);
    const perEntry =
      row.entries === undefined ? "" : `${fmt(Number(row.execution) / row.entries)} / ${fmt(Number(row.total) / row.entries)}`;
    return [row.operation + (row.floorBound ? " ¹" : ""), fmt(row.execution), fmt(row.total), perEntry, target, result];
  });
}

const HEADER = ["Operation", "Execution gas", "Total gas", "Per entry (exec / total)", "Target", "Result"];

function printTable(rows: string[][]): void {
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(line(HEADER));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const solc = hre.config.solidity.compilers[0];
  const hardfork = (hre.config.networks.hardhat as { hardfork?: string }).hardfork ?? "default";
  const hardhatVersion = (JSON.parse(fs.readFileSync(require.resolve("hardhat/package.json"), "utf8")) as { version: string }).version;
  return [
    `${cpu}, ${os.cpus().length} cores, ${os.type()} ${os.release()}`,
    `Node ${process.version}, Hardhat ${hardhatVersion} (in-process network, hardfork ${hardfork})`,
    `solc ${solc.version}, optimizer ${solc.settings?.optimizer?.enabled ? `on (${solc.settings.optimizer.runs} runs)` : "off"}, evm ${solc.settings?.evmVersion}`,
  ].join("; ");
}

function markdown(rows: string[][], date: string): string {
  const escape = (c: string) => c.replace(/\|/g, "\\|");
  const lines = [
    "# Gas figures (`npm run bench:gas`)",
    "",
    "Generated by `bench/gas.ts`; do not edit by hand.",
    "",
    `- Date: ${date}`,
    `- Machine: ${machine()}`,
    "",
    "Total gas = receipt gasUsed of a plain transaction (intrinsic 21,000 + calldata, EIP-7623 floor included).",
    "Execution gas = gas the EVM spent running the call (from the transaction trace).",
    `Ciphertexts and handshakes are random bytes (${CIPHERTEXT_BYTES} B and ${HANDSHAKE_BYTES} B), as real ciphertexts are.`,
    "",
    `| ${HEADER.join(" | ")} |`,
    `| ${HEADER.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(escape).join(" | ")} |`),
    "",
    "¹ The EIP-7623 calldata floor (10 gas per calldata token, i.e. 40 per non-zero byte) set the total: the transaction",
    "pays for its bytes, not for its execution. 200 random bytes alone cost at least 8,000 gas under the floor.",
    "",
  ];
  return lines.join("\n");
}

async function main(): Promise<void> {
  const started = Date.now();
  const rows = tableRows(await run());
  printTable(rows);
  const date = new Date().toISOString();
  fs.writeFileSync(path.join(__dirname, "RESULTS.md"), markdown(rows, date));
  console.log(`\n¹ total set by the EIP-7623 calldata floor.  Written to bench/RESULTS.md in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
