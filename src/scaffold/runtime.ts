/**
 * `anonify:new-runtime <name>`: scaffolds a state runtime in a user's project that builds and passes out of the
 * box — its C++ source against the runtime SDK and its GoogleTest file in `enclave-runtimes/<name>/`, its
 * TypeScript command and query types beside them, and a Hardhat test in `test/` that deploys a group running it on
 * the in-process network and drives it through a simulation node. The example is a confidential notebook (state,
 * commands, queries and rejections): replace its rules with yours.
 *
 * The templates are files of the package (`templates/runtime/`). Like `hardhat-anonify init`, nothing is written
 * until every target was checked: an existing file is a conflict unless `force` is given.
 */
import fs from "node:fs";
import path from "node:path";
import { RUNTIMES_DIR } from "../config";
import { AnonifyPluginError } from "../errors";
import { packageRoot } from "../package/paths";
import { isValidRuntimeName } from "../runtimes/name";

/** A runtime directory name: also its C++ file names and the first part of its runtime name (`<name>/v1`). */
const RUNTIME_DIR_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** Names a scaffold may not take: they are the package's own runtimes. */
const RESERVED = ["anonify", "token", "records", "auction"];

/** What the scaffold substitutes into its templates for runtime `name`. */
export interface RuntimeScaffoldNames {
  /** The directory and file name (`notes`). */
  name: string;
  /** The runtime's name on chain and in the enclave (`notes/v1`). */
  runtime: string;
  /** The C++ class (`NotesRuntime`). */
  className: string;
  /** The TypeScript `RuntimeTypes` interface (`NotesRuntimeTypes`). */
  typesName: string;
}

/** Why `name` cannot name a scaffolded runtime, or undefined. */
export function runtimeScaffoldNameProblem(name: string): string | undefined {
  if (!RUNTIME_DIR_NAME.test(name)) {
    return `${JSON.stringify(name)} is not a runtime name for a scaffold: 1..32 characters of a-z 0-9 -, starting with a letter (e.g. "notes")`;
  }
  if (RESERVED.includes(name)) return `"${name}" is taken by the package's own runtimes; choose another name`;
  return undefined;
}

/** The names derived from `name` (validated). */
export function runtimeScaffoldNames(name: string): RuntimeScaffoldNames {
  const problem = runtimeScaffoldNameProblem(name);
  if (problem !== undefined) throw new AnonifyPluginError(problem);
  const prefix = name
    .split("-")
    .filter((part) => part.length > 0)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join("");
  const runtime = `${name}/v1`;
  if (!isValidRuntimeName(runtime)) throw new AnonifyPluginError(`${runtime} is not a valid runtime name`);
  return { name, runtime, className: `${prefix}Runtime`, typesName: `${prefix}RuntimeTypes` };
}

/** One file the scaffold writes: its path relative to the project root and its template. */
interface ScaffoldFile {
  target: string;
  template: string;
}

function scaffoldFiles(name: string): ScaffoldFile[] {
  return [
    { target: path.join(RUNTIMES_DIR, name, `${name}.cpp`), template: "runtime.cpp.tmpl" },
    { target: path.join(RUNTIMES_DIR, name, `${name}_test.cpp`), template: "runtime_test.cpp.tmpl" },
    { target: path.join(RUNTIMES_DIR, name, `${name}.ts`), template: "types.ts.tmpl" },
    { target: path.join("test", `${name}.test.ts`), template: "runtime.test.ts.tmpl" },
  ];
}

/** The template text with the runtime's names substituted. */
export function renderRuntimeTemplate(text: string, names: RuntimeScaffoldNames): string {
  const prefix = names.className.replace(/Runtime$/, "");
  const values: Record<string, string> = {
    name: names.name,
    runtime: names.runtime,
    Class: names.className,
    Types: names.typesName,
    Prefix: prefix,
    CONST: names.name.replace(/-/g, "_").toUpperCase(),
  };
  return text.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => {
    const value = values[key];
    if (value === undefined) throw new AnonifyPluginError(`runtime template placeholder ${whole} has no value`);
    return value;
  });
}

export interface ScaffoldResult {
  names: RuntimeScaffoldNames;
  /** Files written, relative to the project root. */
  written: string[];
  /** Files that existed and were replaced (`force`). */
  overwritten: string[];
}

/**
 * Writes the runtime `name` into the project at `root`. Refuses (`AnonifyPluginError`, nothing written) a bad name
 * or, without `force`, any target that exists, listing them all.
 */
export function scaffoldRuntime(root: string, name: string, options: { force?: boolean; templatesDir?: string } = {}): ScaffoldResult {
  const names = runtimeScaffoldNames(name);
  const templatesDir = options.templatesDir ?? path.join(packageRoot(), "templates", "runtime");
  const files = scaffoldFiles(name);
  const existing = files.map((f) => f.target).filter((target) => fs.existsSync(path.join(root, target)));
  if (existing.length > 0 && options.force !== true) {
    throw new AnonifyPluginError(`anonify:new-runtime ${name}: ${existing.join(", ")} already exist${existing.length === 1 ? "s" : ""}; nothing was written (--force replaces them)`);
  }
  // Render everything first: a missing template or placeholder must not leave half a runtime behind.
  const rendered = files.map((f) => {
    const template = path.join(templatesDir, f.template);
    if (!fs.existsSync(template)) throw new AnonifyPluginError(`the runtime template ${template} is missing from the installed package`);
    return { target: f.target, text: renderRuntimeTemplate(fs.readFileSync(template, "utf8"), names) };
  });
  for (const { target, text } of rendered) {
    fs.mkdirSync(path.dirname(path.join(root, target)), { recursive: true });
    fs.writeFileSync(path.join(root, target), text);
  }
  return { names, written: rendered.map((r) => r.target), overwritten: existing };
}
