import fs from "node:fs";
import path from "node:path";

/**
 * Renders the Gramine manifest template the way `gramine-manifest` would, for the subset the template
 * is restricted to: `{{ name }}`, `{{ a.b }}` and `{{ a.b() }}`. Anything else (`{% ... %}`, filters,
 * expressions) is refused, so the template cannot silently grow beyond what this renderer checks.
 */
export type ManifestValue = string | number | boolean | (() => string) | { [key: string]: ManifestValue };
export type ManifestVariables = { [key: string]: ManifestValue };

export class ManifestTemplateError extends Error {
  readonly code = "MANIFEST_TEMPLATE_INVALID";
  constructor(message: string) {
    super(message);
    this.name = "ManifestTemplateError";
  }
}

const EXPRESSION = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(\(\))?\s*\}\}/g;

/** Gramine's values on Debian/Ubuntu x86-64 packages, for rendering where Gramine is not installed. */
export const DEBIAN_GRAMINE_DEFAULTS = {
  gramine: {
    libos: "/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so",
    runtimedir: () => "/usr/lib/x86_64-linux-gnu/gramine/runtime/glibc",
  },
  arch_libdir: "/lib/x86_64-linux-gnu",
} as const;

/** Names (with `()` for calls) the template refers to, in order of first use. */
export function manifestTemplateVariables(template: string): string[] {
  const names = new Set<string>();
  for (const match of template.matchAll(EXPRESSION)) names.add(match[1] + (match[2] ?? ""));
  return [...names];
}

export function renderManifestTemplate(template: string, variables: ManifestVariables): string {
  const withoutExpressions = template.replace(EXPRESSION, "");
  const stray = /\{\{|\}\}|\{%|%\}|\{#/.exec(withoutExpressions);
  if (stray !== null) {
    throw new ManifestTemplateError(`unsupported template syntax "${stray[0]}" (only {{ name }} substitutions are allowed)`);
  }
  return template.replace(EXPRESSION, (_all, dotted: string, call: string | undefined) => {
    let value: ManifestValue | undefined = variables;
    for (const part of dotted.split(".")) {
      if (typeof value !== "object" || value === null || !(part in value)) {
        throw new ManifestTemplateError(`template variable ${dotted} is not defined`);
      }
      value = (value as { [key: string]: ManifestValue })[part];
    }
    if (call !== undefined) {
      if (typeof value !== "function") throw new ManifestTemplateError(`${dotted} is not callable`);
      return value();
    }
    if (typeof value === "object" || typeof value === "function") {
      throw new ManifestTemplateError(`${dotted} is not a scalar`);
    }
    return String(value);
  });
}

export function renderManifestFile(templatePath: string, variables: ManifestVariables): string {
  return renderManifestTemplate(fs.readFileSync(templatePath, "utf8"), variables);
}

/** How an sgx enclave attests: DCAP (ECDSA quotes, the default) or EPID (for IAS, end-of-life). */
export type SgxAttestation = "dcap" | "epid";
export const SGX_ATTESTATIONS: readonly SgxAttestation[] = ["dcap", "epid"];

/** The manifest template of the enclave sources in `sourceDir` (the `enclave/` directory). */
export const MANIFEST_TEMPLATE_FILE = "anonify-enclave.manifest.template";
/** Where the remote-attestation sections live, one `<kind>.template` per evidence kind. */
export const ATTESTATION_TEMPLATE_DIR = "manifest-attestation";

/**
 * The template `enclave/scripts/build-sgx.sh` renders for an evidence kind: the manifest template, then
 * that kind's remote-attestation section, concatenated as the script's `cat` does (both are measured).
 */
export function sgxManifestTemplate(sourceDir: string, attestation: SgxAttestation): string {
  if (!SGX_ATTESTATIONS.includes(attestation)) {
    throw new ManifestTemplateError(`unknown sgx attestation ${JSON.stringify(attestation)} (expected "dcap" or "epid")`);
  }
  const main = fs.readFileSync(path.join(sourceDir, MANIFEST_TEMPLATE_FILE), "utf8");
  const section = fs.readFileSync(path.join(sourceDir, ATTESTATION_TEMPLATE_DIR, `${attestation}.template`), "utf8");
  return main + section;
}
