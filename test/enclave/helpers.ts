import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { EnclaveProcess, type EnclaveProcessOptions } from "../../src/enclave/EnclaveProcess";
import { FrameDecoder, type Eip712DomainParams, type MlsCreateGroupParams } from "../../src/enclave/protocol";
import { signerPolicy, simulationAdmitParams } from "../../src/node/evidence";

/** The enclave binary the plugin config points at (built by `npm run enclave:build`). */
export function enclaveBinary(): string {
  const binary = hre.config.anonify.enclave.binary;
  if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run \`npm run enclave:build\` first`);
  return binary;
}

/** A fresh temporary directory, removed by `cleanup()`. */
export function tempDir(prefix = "anonify-enclave-test-"): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Starts the real enclave binary in simulation mode. */
export function startEnclave(options: Partial<EnclaveProcessOptions> = {}): Promise<EnclaveProcess> {
  return EnclaveProcess.start({ binary: enclaveBinary(), mode: "simulation", ...options });
}

export interface RawRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  responses: any[];
  stderr: string;
  /** Bytes of stdout that did not form a whole frame. */
  trailing: number;
}

/**
 * Feeds raw bytes to the binary's stdin, closes it, and collects every response frame. Rejects if
 * the process does not exit within `timeoutMs` (a hang is a failure, not a wait).
 */
export function runRaw(input: Uint8Array, args: string[] = [], timeoutMs = 10_000): Promise<RawRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(enclaveBinary(), args, { stdio: ["pipe", "pipe", "pipe"] });
    const decoder = new FrameDecoder();
    const responses: any[] = [];
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`enclave did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) responses.push(JSON.parse(frame.toString("utf8")));
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.stdin.on("error", () => undefined);
    child.on("exit", (exitCode, signal) => {
      clearTimeout(timer);
      // stdout may still hold data after "exit"; wait for the streams to close.
      child.stdout.once("close", () => resolve({ exitCode, signal, responses, stderr, trailing: decoder.pending }));
      if (child.stdout.closed) resolve({ exitCode, signal, responses, stderr, trailing: decoder.pending });
    });
    child.stdin.end(Buffer.from(input));
  });
}

/** u32 BE length ‖ body, without the size check of encodeFrame (tests send bad lengths on purpose). */
export function rawFrame(body: Uint8Array | string, declaredLength?: number): Buffer {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(declaredLength ?? bytes.length, 0);
  return Buffer.concat([header, bytes]);
}

export function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/^0x/, ""), "hex"));
}

export function toHex(bytes: Uint8Array | ArrayBuffer): `0x${string}` {
  return `0x${Buffer.from(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes).toString("hex")}`;
}

/**
 * The membership rule's evidence, as nodes hand it: every enclave admits every enclave's evidence (itself
 * included), its quote signed by the development IAS (simulation).
 */
export async function admitEachOther(enclaves: EnclaveProcess[]): Promise<void> {
  const evidence = await Promise.all(enclaves.map((e) => e.call("evidence", {})));
  for (const holder of enclaves) {
    for (const member of evidence) await holder.call("mls_admit_evidence", simulationAdmitParams(member));
  }
}

/** mls_create_group params for `domain` under the test policy (the enclave's own signer), its evidence admitted first. */
export async function createGroupParams(enclave: EnclaveProcess, domain: Eip712DomainParams): Promise<MlsCreateGroupParams> {
  const evidence = await enclave.call("evidence", {});
  await enclave.call("mls_admit_evidence", simulationAdmitParams(evidence));
  return { domain, policy: signerPolicy(evidence) };
}
