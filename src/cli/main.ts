/** The `hardhat-anonify` command (the package's `bin`): `init`, `--help`, `--version`. */
import fs from "node:fs";
import path from "node:path";
import { PLUGIN_NAME } from "../errors";
import { packageRoot } from "../package/paths";
import { InitError, runInit } from "./init";

export const USAGE = `Usage: npx ${PLUGIN_NAME} <command> [options]

Commands:
  init            Write what is missing of a Hardhat 2 TypeScript project that loads ${PLUGIN_NAME}
                  (hardhat.config.ts, tsconfig.json, .gitignore, test/anonify.test.ts) into the current folder,
                  which must have ${PLUGIN_NAME} installed. Existing files are kept.

Options (init):
  --force         Replace existing files (a .gitignore only gets the missing lines appended)
  --dir <path>    The project folder (default: the current directory)

  -h, --help      Show this help
  -v, --version   Show the package version
`;

/** Runs the command line; returns the exit code (0 ok, 1 refused or failed, 2 usage error). */
export function main(argv: string[], out: (line: string) => void = (l) => console.log(l), err: (line: string) => void = (l) => console.error(l)): number {
  if (argv.length === 0 || argv.includes("-h") || argv.includes("--help")) {
    (argv.length === 0 ? err : out)(USAGE.trimEnd());
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === "-v" || argv[0] === "--version") {
    out((JSON.parse(fs.readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as { version: string }).version);
    return 0;
  }
  const [command, ...rest] = argv;
  if (command !== "init") {
    err(`unknown command ${JSON.stringify(command)}\n\n${USAGE.trimEnd()}`);
    return 2;
  }
  let force = false;
  let dir: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === "--force") force = true;
    else if (arg === "--dir") {
      if (i + 1 >= rest.length) {
        err(`--dir needs a path\n\n${USAGE.trimEnd()}`);
        return 2;
      }
      dir = rest[++i];
    } else {
      err(`unknown option ${JSON.stringify(arg)} for init\n\n${USAGE.trimEnd()}`);
      return 2;
    }
  }
  try {
    runInit({ dir, force, log: out });
    return 0;
  } catch (error) {
    if (error instanceof InitError) {
      err(`error (${error.code}): ${error.message}`);
      return 1;
    }
    throw error;
  }
}
