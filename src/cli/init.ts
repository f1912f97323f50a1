/**
 * `npx hardhat-anonify init`: turns a folder where `hardhat-anonify` is installed into a working Hardhat 2
 * TypeScript project that loads the plugin. Writes only what is missing, never replaces a file without
 * `force`, and checks every conflict before writing anything (a refused init changes nothing).
 */
import fs from "node:fs";
import path from "node:path";
import { AnonifyPluginError, PLUGIN_NAME } from "../errors";
import { packageRoot } from "../package/paths";
import {
  CONFIG_FILE,
  EXAMPLE_TEST,
  EXAMPLE_TEST_FILE,
  GITIGNORE_FILE,
  GITIGNORE_LINES,
  HARDHAT_CONFIG,
  TSCONFIG,
  TSCONFIG_FILE,
} from "./templates";

export type InitErrorCode = "not_a_directory" | "not_installed" | "conflicting_config";

/** Why init refused to run; nothing was written. */
export class InitError extends AnonifyPluginError {
  constructor(
    readonly code: InitErrorCode,
    message: string,
  ) {
    super(message);
    // HardhatPluginError resets the prototype to its own; restore ours so `instanceof InitError` holds.
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

export interface InitOptions {
  /** The project folder; default the current directory. */
  dir?: string;
  /** Replace existing files (never a config in another language, never a .gitignore: lines are appended). */
  force?: boolean;
  /** Progress lines; default stdout. */
  log?: (line: string) => void;
}

export type FileAction = "written" | "replaced" | "kept" | "appended";

export interface InitResult {
  dir: string;
  files: Record<string, FileAction>;
  /** Packages the project still lacks (`npm install --save-dev` them), with the version ranges the docs name. */
  missingPackages: string[];
}

/** Every config file name Hardhat 2 would load. */
export const HARDHAT_CONFIG_NAMES = ["hardhat.config.ts", "hardhat.config.cts", "hardhat.config.js", "hardhat.config.cjs"];

const LOADS_ANONIFY = /(?:import\s+["']hardhat-anonify["']|from\s+["']hardhat-anonify["']|require\(\s*["']hardhat-anonify["']\s*\))/;

/** True when a config's source loads `hardhat-anonify` (import, `from`, or `require`) outside comments. */
export function configLoadsAnonify(source: string): boolean {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
  return LOADS_ANONIFY.test(code);
}

/** The version ranges the package names for what a project needs beside it (peer and tool dependencies). */
export function projectPackageRanges(): Record<string, string> {
  const manifest = JSON.parse(fs.readFileSync(path.join(packageRoot(), "package.json"), "utf8")) as {
    peerDependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  return {
    hardhat: manifest.peerDependencies.hardhat,
    "@nomicfoundation/hardhat-toolbox": manifest.peerDependencies["@nomicfoundation/hardhat-toolbox"],
    typescript: manifest.devDependencies.typescript,
    "ts-node": manifest.devDependencies["ts-node"],
  };
}

function resolvableFrom(dir: string, pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`, { paths: [dir] });
    return true;
  } catch {
    return false;
  }
}

interface Plan {
  file: string;
  action: FileAction;
  content: string;
}

export function runInit(options: InitOptions = {}): InitResult {
  const dir = path.resolve(options.dir ?? process.cwd());
  const force = options.force === true;
  const log = options.log ?? ((line: string) => console.log(line));

  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new InitError("not_a_directory", `${dir} is not a directory`);
  if (!resolvableFrom(dir, PLUGIN_NAME)) {
    throw new InitError(
      "not_installed",
      `${PLUGIN_NAME} is not installed in ${dir}: run \`npm install --save-dev ${PLUGIN_NAME}\` there first, then \`npx ${PLUGIN_NAME} init\``,
    );
  }
  log(`${PLUGIN_NAME} init in ${dir}${force ? " (--force: existing files are replaced)" : ""}`);

  // Decide everything first: a conflict must leave the folder untouched.
  const plans: Plan[] = [];
  const at = (file: string) => path.join(dir, file);
  const otherConfigs = HARDHAT_CONFIG_NAMES.filter((name) => name !== CONFIG_FILE && fs.existsSync(at(name)));
  for (const other of otherConfigs) {
    if (!configLoadsAnonify(fs.readFileSync(at(other), "utf8"))) {
      throw new InitError(
        "conflicting_config",
        `${other} exists and does not load ${PLUGIN_NAME}: add \`require("${PLUGIN_NAME}")\` to it (after the toolbox), ` +
          `or remove it and run init again (init writes a TypeScript config; --force never deletes another config)`,
      );
    }
  }
  if (otherConfigs.length > 0) {
    if (fs.existsSync(at(CONFIG_FILE))) {
      throw new InitError("conflicting_config", `both ${CONFIG_FILE} and ${otherConfigs.join(", ")} exist: Hardhat loads only one; keep one of them`);
    }
    log(`  kept      ${otherConfigs[0]} (it loads ${PLUGIN_NAME})`);
  } else if (fs.existsSync(at(CONFIG_FILE))) {
    const loads = configLoadsAnonify(fs.readFileSync(at(CONFIG_FILE), "utf8"));
    if (force) plans.push({ file: CONFIG_FILE, action: "replaced", content: HARDHAT_CONFIG });
    else if (loads) plans.push({ file: CONFIG_FILE, action: "kept", content: "" });
    else {
      throw new InitError(
        "conflicting_config",
        `${CONFIG_FILE} exists and does not load ${PLUGIN_NAME}: add \`import "${PLUGIN_NAME}";\` to it (after the toolbox), ` +
          `or run \`npx ${PLUGIN_NAME} init --force\` to replace it`,
      );
    }
  } else {
    plans.push({ file: CONFIG_FILE, action: "written", content: HARDHAT_CONFIG });
  }

  for (const [file, content] of [
    [TSCONFIG_FILE, TSCONFIG],
    [EXAMPLE_TEST_FILE, EXAMPLE_TEST],
  ] as const) {
    const exists = fs.existsSync(at(file));
    plans.push({ file, action: !exists ? "written" : force ? "replaced" : "kept", content });
  }

  const gitignore = fs.existsSync(at(GITIGNORE_FILE)) ? fs.readFileSync(at(GITIGNORE_FILE), "utf8") : undefined;
  const present = new Set((gitignore ?? "").split(/\r?\n/).map((l) => l.trim()));
  const missingLines = GITIGNORE_LINES.filter((l) => !present.has(l));
  if (gitignore === undefined) plans.push({ file: GITIGNORE_FILE, action: "written", content: GITIGNORE_LINES.join("\n") + "\n" });
  else if (missingLines.length > 0) {
    const separator = gitignore.length === 0 || gitignore.endsWith("\n") ? "" : "\n";
    plans.push({ file: GITIGNORE_FILE, action: "appended", content: gitignore + separator + missingLines.join("\n") + "\n" });
  } else plans.push({ file: GITIGNORE_FILE, action: "kept", content: "" });

  const files: Record<string, FileAction> = {};
  for (const plan of plans) {
    files[plan.file] = plan.action;
    if (plan.action === "kept") {
      log(`  kept      ${plan.file}${plan.file === CONFIG_FILE ? ` (it loads ${PLUGIN_NAME})` : " (exists; --force replaces it)"}`);
      continue;
    }
    fs.mkdirSync(path.dirname(at(plan.file)), { recursive: true });
    fs.writeFileSync(at(plan.file), plan.content);
    log(`  ${plan.action.padEnd(9)} ${plan.file}`);
  }

  const ranges = projectPackageRanges();
  const missingPackages = Object.entries(ranges)
    .filter(([name]) => !resolvableFrom(dir, name))
    .map(([name, range]) => `${name}@${range}`);
  if (missingPackages.length > 0) {
    log(`the project still needs: npm install --save-dev ${missingPackages.map((p) => `"${p}"`).join(" ")}`);
  }
  log(`done: \`npx hardhat test\` runs ${EXAMPLE_TEST_FILE} (the first run builds the enclave into .anonify/enclave-build)`);
  return { dir, files, missingPackages };
}
