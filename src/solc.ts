import path from "node:path";
import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";

/**
 * Offline, reproducible Solidity builds: when the project asks for the solc
 * version that ships in the `solc` npm package, Hardhat is handed that
 * package's `soljson.js` instead of downloading a compiler. Any other version
 * falls through to Hardhat's normal resolution.
 */
export function bundledSolcVersion(): { version: string; longVersion: string } {
  // e.g. "0.8.30+commit.73712a01.Emscripten.clang"
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const longVersion: string = require("solc").version();
  return { version: longVersion.split("+")[0], longVersion };
}

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD).setAction(
  async (args: { solcVersion: string }, _hre, runSuper) => {
    const bundled = bundledSolcVersion();
    if (args.solcVersion !== bundled.version) {
      return runSuper(args);
    }
    return {
      version: bundled.version,
      longVersion: bundled.longVersion,
      compilerPath: path.join(path.dirname(require.resolve("solc/package.json")), "soljson.js"),
      isSolcJs: true,
    };
  },
);
