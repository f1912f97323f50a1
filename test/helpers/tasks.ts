import { expect } from "chai";
import hre from "hardhat";
import { AnonifyPluginError } from "../../src/errors";

/**
 * Runs a Hardhat task in-process as the CLI would, capturing what it prints to stdout and the exit code
 * it sets (tasks report failure through `process.exitCode`), then restores both.
 */
export async function runTaskCapturing<T>(name: string | { scope: string; task: string }, args: Record<string, unknown>): Promise<{ result: T; stdout: string; exitCode: number }> {
  const write = process.stdout.write.bind(process.stdout);
  const previousExitCode = process.exitCode;
  let stdout = "";
  process.exitCode = 0;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    const result = (await hre.run(name, args)) as T;
    return { result, stdout, exitCode: Number(process.exitCode ?? 0) };
  } finally {
    process.stdout.write = write;
    process.exitCode = previousExitCode;
  }
}

/**
 * Asserts that a task failed the way a user mistake or a refusal must: an `AnonifyPluginError` (printed by Hardhat
 * as one line, without a stack trace) carrying the typed error's `code`, with that error as its parent.
 */
export function expectPluginError(error: unknown, code: string, parent: abstract new (...args: never[]) => Error): AnonifyPluginError {
  expect(error, String(error)).to.be.instanceOf(AnonifyPluginError);
  const pluginError = error as AnonifyPluginError;
  expect(pluginError.code).to.equal(code);
  expect(pluginError.message).to.include(`[${code}]`);
  expect(pluginError.parent).to.be.instanceOf(parent);
  return pluginError;
}
