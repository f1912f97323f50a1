/**
 * Incremental enclave build before anything starts a node, so a node never runs a binary older than
 * its sources (in simulation its MRENCLAVE is the binary's hash, so a stale binary would also attest
 * as a different enclave than the one just built).
 *
 * Two layouts:
 * - a user's project: the installed package's `enclave/` sources are configured and built with CMake into
 *   `<root>/.anonify/enclave-build/` (only the `anonify-enclave` target, no tests), with progress lines;
 * - the package's own checkout (`buildDir` = `<sourceDir>/build`): `enclave/scripts/build.sh release`, as
 *   `npm run enclave:build` runs it.
 * Missing build tools or libraries are reported up front with the Debian packages that provide them.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AnonifyConfig } from "../config";
import { AnonifyPluginError } from "../errors";

/** One thing the enclave build needs, and the Debian package that provides it. */
export interface BuildRequirement {
  what: string;
  debianPackage: string;
}

/** Where {@link missingBuildDependencies} looks: executables on `path`, headers under `includeDirs`. */
export interface BuildProbe {
  path: string[];
  includeDirs: string[];
}

const TOOLS: { names: string[]; requirement: BuildRequirement }[] = [
  { names: ["cmake"], requirement: { what: "cmake (3.20 or later)", debianPackage: "cmake" } },
  { names: ["make"], requirement: { what: "make", debianPackage: "make" } },
  { names: ["g++", "c++"], requirement: { what: "a C++17 compiler (g++)", debianPackage: "g++" } },
  { names: ["pkg-config", "pkgconf"], requirement: { what: "pkg-config", debianPackage: "pkg-config" } },
];

const HEADERS: { files: string[]; requirement: BuildRequirement }[] = [
  { files: ["openssl/evp.h"], requirement: { what: "OpenSSL 3 headers (openssl/evp.h)", debianPackage: "libssl-dev" } },
  {
    files: ["secp256k1.h", "secp256k1_recovery.h"],
    requirement: { what: "libsecp256k1 headers (secp256k1.h, secp256k1_recovery.h)", debianPackage: "libsecp256k1-dev" },
  },
  { files: ["nlohmann/json.hpp"], requirement: { what: "nlohmann-json headers (nlohmann/json.hpp)", debianPackage: "nlohmann-json3-dev" } },
];

function splitPathList(value: string | undefined): string[] {
  return (value ?? "").split(path.delimiter).filter((d) => d.length > 0);
}

/** The system's search paths: `PATH`, and the compiler's default include directories plus `CPATH`/`CPLUS_INCLUDE_PATH`. */
export function systemBuildProbe(env: NodeJS.ProcessEnv = process.env): BuildProbe {
  return {
    path: splitPathList(env.PATH),
    includeDirs: [...splitPathList(env.CPLUS_INCLUDE_PATH), ...splitPathList(env.CPATH), "/usr/local/include", "/usr/include"],
  };
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** What of the enclave's build dependencies `probe` cannot find (empty: all present). */
export function missingBuildDependencies(probe: BuildProbe = systemBuildProbe()): BuildRequirement[] {
  const missing: BuildRequirement[] = [];
  for (const tool of TOOLS) {
    if (!tool.names.some((name) => probe.path.some((dir) => isExecutable(path.join(dir, name))))) missing.push(tool.requirement);
  }
  for (const header of HEADERS) {
    if (!header.files.every((file) => probe.includeDirs.some((dir) => fs.existsSync(path.join(dir, file))))) missing.push(header.requirement);
  }
  return missing;
}

/** The error for missing build dependencies: what is missing and the `apt-get` line that installs it. */
export function missingDependenciesError(missing: BuildRequirement[]): AnonifyPluginError {
  const packages = [...new Set(missing.map((m) => m.debianPackage))];
  return new AnonifyPluginError(
    `the enclave cannot be built: missing ${missing.map((m) => `${m.what} [Debian package ${m.debianPackage}]`).join(", ")}. ` +
      `Install them with: sudo apt-get install -y ${packages.join(" ")}`,
  );
}

export interface EnclaveBuildOptions {
  /** Progress lines; default stderr. */
  log?: (line: string) => void;
  /** Where build dependencies are looked for; default the system's. */
  probe?: BuildProbe;
  /** Parallel compile jobs; default `ANONIFY_JOBS` or the machine's core count. */
  jobs?: number;
}

interface RunResult {
  code: number | null;
  error?: Error;
  tail: string[];
}

const TAIL_LINES = 40;

/** Runs a command, handing each output line (stdout and stderr) to `onLine` and keeping the last lines. */
function run(command: string, args: string[], onLine: (line: string) => void = () => undefined): Promise<RunResult> {
  return new Promise((resolve) => {
    const tail: string[] = [];
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    const feed = (stream: NodeJS.ReadableStream) => {
      let pending = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          tail.push(line);
          if (tail.length > TAIL_LINES) tail.shift();
          onLine(line);
        }
      });
      stream.on("end", () => {
        if (pending.length > 0) {
          tail.push(pending);
          onLine(pending);
        }
      });
    };
    feed(child.stdout);
    feed(child.stderr);
    child.on("error", (error) => resolve({ code: null, error, tail }));
    child.on("close", (code) => resolve({ code, tail }));
  });
}

function failure(step: string, result: RunResult): AnonifyPluginError {
  const why = result.error?.message ?? `exit ${result.code}`;
  return new AnonifyPluginError(`the enclave ${step} failed (${why}); its last output:\n${result.tail.join("\n")}`);
}

function defaultJobs(): number {
  const fromEnv = Number(process.env.ANONIFY_JOBS);
  if (Number.isSafeInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return Math.max(1, os.availableParallelism());
}

/** CMake's Makefile progress: `[ 40%] Building CXX object CMakeFiles/anonify_core.dir/src/mls/treekem.cpp.o`, or a link step. */
const PROGRESS = /^\[\s*(\d+)%\]\s+(?:Building CXX object (?:CMakeFiles\/[^/\s]+\.dir\/)?(\S+)\.o$|(Linking CXX (?:executable|static library) \S+))/;

/** Refuses runtime directories that do not exist or hold no source, naming `anonify.runtimes`. */
export function checkRuntimeDirs(dirs: string[]): void {
  for (const dir of dirs) {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
      throw new AnonifyPluginError(`anonify.runtimes: ${dir} is not a directory (create a runtime with \`npx hardhat anonify:new-runtime <name>\`)`);
    }
    if (!fs.readdirSync(dir).some((f) => f.endsWith(".cpp") && !f.endsWith("_test.cpp"))) {
      throw new AnonifyPluginError(`anonify.runtimes: ${dir} holds no runtime source (a .cpp file other than *_test.cpp)`);
    }
  }
}

async function buildWithCmake(config: AnonifyConfig, options: EnclaveBuildOptions, log: (line: string) => void): Promise<void> {
  const { sourceDir, buildDir } = config.enclave;
  const missing = missingBuildDependencies(options.probe ?? systemBuildProbe());
  if (missing.length > 0) throw missingDependenciesError(missing);
  checkRuntimeDirs(config.runtimes);
  if (config.runtimes.length > 0) log(`anonify: the project's runtimes: ${config.runtimes.map((d) => path.relative(process.cwd(), d) || d).join(", ")}`);
  const shown = path.relative(process.cwd(), buildDir) || buildDir;
  const started = Date.now();
  const fresh = !fs.existsSync(path.join(buildDir, "CMakeCache.txt"));
  log(`anonify: ${fresh ? "configuring" : "checking"} the enclave build in ${shown} (sources: ${sourceDir})`);
  // Re-running configure is cheap and keeps these flags authoritative over an older cache.
  const configure = await run("cmake", [
    "-S",
    sourceDir,
    "-B",
    buildDir,
    "-DCMAKE_BUILD_TYPE=Release",
    "-DANONIFY_TESTS=OFF",
    "-DANONIFY_WERROR=OFF",
    // The project's own runtimes (anonify.runtimes), compiled in beside the package's; empty clears an older list.
    `-DANONIFY_RUNTIME_DIRS=${config.runtimes.join(";")}`,
  ]);
  if (configure.error !== undefined || configure.code !== 0) throw failure("configuration (cmake)", configure);

  let compiled = 0;
  const jobs = options.jobs ?? defaultJobs();
  const build = await run("cmake", ["--build", buildDir, "--parallel", String(jobs), "--target", "anonify-enclave"], (line) => {
    const m = PROGRESS.exec(line);
    if (m === null) return;
    if (m[2] !== undefined) {
      if (compiled === 0) log(`anonify: compiling the enclave (${jobs} job${jobs === 1 ? "" : "s"}; the first build takes a few minutes)`);
      compiled += 1;
      log(`anonify: enclave [${m[1].padStart(3)}%] ${m[2]}`);
    } else if (m[3] !== undefined) {
      log(`anonify: enclave [${m[1].padStart(3)}%] ${m[3]}`);
    }
  });
  if (build.error !== undefined || build.code !== 0) throw failure("build (cmake --build)", build);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  log(
    compiled > 0
      ? `anonify: enclave built in ${seconds}s (${compiled} source files compiled): ${config.enclave.binary}`
      : `anonify: enclave up to date: ${config.enclave.binary}`,
  );
}

async function buildInCheckout(script: string, log: (line: string) => void): Promise<void> {
  log(`building the enclave (incremental): ${path.relative(process.cwd(), script) || script} release`);
  const result = await run("bash", [script, "release"]);
  if (result.error !== undefined || result.code !== 0) throw failure("build (run `npm run enclave:build` to see why)", result);
}

const builds = new Map<string, Promise<void>>();

/**
 * Builds the configured enclave in simulation mode (incrementally; once per process and build directory) and
 * checks the binary exists afterwards. SGX builds are signed with `npm run enclave:sgx` instead, never
 * implicitly; a configuration without enclave sources (a prebuilt binary) only gets the existence check.
 */
export function ensureEnclaveBuilt(config: AnonifyConfig, options: EnclaveBuildOptions = {}): Promise<void> {
  const log = options.log ?? ((line: string) => console.error(line));
  const key = `${config.mode}\0${config.enclave.sourceDir}\0${config.enclave.buildDir}\0${config.runtimes.join(";")}`;
  let pending = builds.get(key);
  if (pending === undefined) {
    pending = buildOnce(config, options, log);
    builds.set(key, pending);
    pending.catch(() => builds.delete(key));
  }
  return pending;
}

async function buildOnce(config: AnonifyConfig, options: EnclaveBuildOptions, log: (line: string) => void): Promise<void> {
  const { sourceDir, buildDir, binary } = config.enclave;
  if (config.mode === "simulation" && fs.existsSync(path.join(sourceDir, "CMakeLists.txt"))) {
    const script = path.join(sourceDir, "scripts", "build.sh");
    if (buildDir === path.join(sourceDir, "build") && fs.existsSync(script)) {
      if (config.runtimes.length > 0) {
        throw new AnonifyPluginError(
          `anonify.runtimes (${config.runtimes.join(", ")}) are built into a project's own enclave build: set anonify.enclave.buildDir ` +
            "to a directory other than the package checkout's enclave/build",
        );
      }
      await buildInCheckout(script, log);
    } else await buildWithCmake(config, options, log);
  }
  if (!fs.existsSync(binary)) {
    throw new AnonifyPluginError(
      `the enclave binary ${binary} does not exist: ` +
        (config.mode === "sgx"
          ? "build and sign it with `npm run enclave:sgx` (sgx mode is never built implicitly)"
          : `no enclave sources at ${sourceDir} (anonify.enclave.sourceDir) to build it from`),
    );
  }
}

/** The GoogleTest binary of the project's runtimes (`anonify-runtime-tests` in the build directory). */
export function runtimeTestsBinary(config: AnonifyConfig): string {
  return path.join(config.enclave.buildDir, "anonify-runtime-tests");
}

/**
 * Builds the enclave with the project's runtimes, then their GoogleTest files (`<runtime>/*_test.cpp`) into
 * `anonify-runtime-tests`, and runs it, handing every output line to `log`. Resolves to the number of tests passed;
 * rejects with the test binary's last lines when a test fails.
 */
export async function testRuntimes(config: AnonifyConfig, options: EnclaveBuildOptions & { filter?: string } = {}): Promise<number> {
  const log = options.log ?? ((line: string) => console.error(line));
  if (config.runtimes.length === 0) {
    throw new AnonifyPluginError(`the project has no runtimes of its own (anonify.runtimes, default: the directories of ${path.join("<root>", "enclave-runtimes")}): create one with \`npx hardhat anonify:new-runtime <name>\``);
  }
  const withTests = config.runtimes.filter((d) => fs.existsSync(d) && fs.readdirSync(d).some((f) => f.endsWith("_test.cpp")));
  if (withTests.length === 0) throw new AnonifyPluginError(`no runtime test files (*_test.cpp) in ${config.runtimes.join(", ")}`);
  const gtest = ["/usr/src/googletest", "/usr/include/gtest/gtest.h", "/usr/local/include/gtest/gtest.h"].some((p) => fs.existsSync(p));
  if (!gtest) throw missingDependenciesError([{ what: "GoogleTest (gtest/gtest.h)", debianPackage: "libgtest-dev" }]);
  // The tests do not depend on the mode: they run against the simulation build of the project's sources.
  await ensureEnclaveBuilt({ ...config, mode: "simulation" }, options);
  const jobs = options.jobs ?? defaultJobs();
  log(`anonify: building the runtime tests (${withTests.map((d) => path.basename(d)).join(", ")})`);
  const build = await run("cmake", ["--build", config.enclave.buildDir, "--parallel", String(jobs), "--target", "anonify-runtime-tests"]);
  if (build.error !== undefined || build.code !== 0) throw failure("runtime tests' build (cmake --build --target anonify-runtime-tests)", build);
  const args = options.filter === undefined ? [] : [`--gtest_filter=${options.filter}`];
  let passed = 0;
  const result = await run(runtimeTestsBinary(config), args, (line) => {
    log(line);
    const m = /^\[\s+PASSED\s+\] (\d+) tests?\./.exec(line);
    if (m !== null) passed = Number(m[1]);
  });
  if (result.error !== undefined || result.code !== 0) {
    throw new AnonifyPluginError(`the runtime tests failed (${result.error?.message ?? `exit ${result.code}`}); their last output:\n${result.tail.join("\n")}`);
  }
  return passed;
}
