import hre from "hardhat";

/**
 * Runs a Hardhat task in-process as the CLI would, capturing what it prints to stdout and the exit code
 * it sets (tasks report failure through `process.exitCode`), then restores both.
 */
export async function runTaskCapturing<T>(name: string, args: Record<string, unknown>): Promise<{ result: T; stdout: string; exitCode: number }> {
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
