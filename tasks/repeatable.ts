/**
 * Repeatable task parameters (`--crl a.der --crl b.der`). Hardhat 2 refuses a parameter given twice
 * (HH... REPEATED_PARAM) and has no list type for named parameters, so parameters declared with
 * `REPEATABLE_STRING` get their repetitions gathered into an array by a narrow wrapper around the CLI
 * argument parser; every other parameter keeps Hardhat's behaviour. In-process callers (`hre.run`) pass
 * a string or an array of strings.
 */
import { ArgumentsParser } from "hardhat/internal/cli/ArgumentsParser";
import type { CLIArgumentType, ParamDefinitionsMap, TaskArguments } from "hardhat/types";
import { AnonifyPluginError } from "../src/errors";

export const REPEATABLE_STRING: CLIArgumentType<string | string[]> = {
  name: "string (repeatable)",
  parse: (_name: string, value: string) => value,
  validate: (name: string, value: unknown) => {
    const ok = typeof value === "string" || (Array.isArray(value) && value.every((v) => typeof v === "string"));
    if (!ok) throw new AnonifyPluginError(`--${name} takes a string, given once or more`);
  },
};

/** The values of a repeatable parameter as a list. */
export function repeatedValues(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return typeof value === "string" ? [value] : [...value];
}

type ParseArgumentAt = (rawCLAs: string[], index: number, definitions: ParamDefinitionsMap, parsed: TaskArguments, scopeOrTaskName?: string) => number;
const MARK = Symbol.for("hardhat-anonify.repeatableParams");

const proto = ArgumentsParser.prototype as unknown as { _parseArgumentAt: ParseArgumentAt; [MARK]?: true };
if (proto[MARK] !== true) {
  const original = proto._parseArgumentAt;
  proto._parseArgumentAt = function (this: ArgumentsParser, rawCLAs, index, definitions, parsed, scopeOrTaskName) {
    const name = ArgumentsParser.cLAToParamName(rawCLAs[index]);
    const definition = definitions[name];
    if (definition?.type !== REPEATABLE_STRING || parsed[name] === undefined) return original.call(this, rawCLAs, index, definitions, parsed, scopeOrTaskName);
    const before = repeatedValues(parsed[name] as string | string[]);
    delete parsed[name];
    const next = original.call(this, rawCLAs, index, definitions, parsed, scopeOrTaskName);
    parsed[name] = [...before, ...repeatedValues(parsed[name] as string | string[])];
    return next;
  };
  proto[MARK] = true;
}
