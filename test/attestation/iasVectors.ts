/**
 * The real IAS report vectors (test/vectors/ias) with their manifest entries.
 */
import fs from "node:fs";
import path from "node:path";
import { vectorDir } from "../helpers/vectors";
import { decodeSignature } from "../../src/attestation";

export interface IasManifestEntry {
  dir: string;
  signature_valid: boolean;
  id: string;
  timestamp: string;
  version: number | null;
  isvEnclaveQuoteStatus: string;
  nonce: string | null;
  advisoryIDs: string[] | null;
  has_platformInfoBlob: boolean;
  has_epidPseudonym: boolean;
  field_order: string[];
  mrenclave_off112: string;
  mrsigner_off176: string;
  attributes_flags_off96: string;
  debug: boolean;
  isv_prod_id_off304: number;
  isv_svn_off306: number;
  report_data_off368: string;
}

export interface IasVector {
  name: string;
  manifest: IasManifestEntry;
  report: Buffer;
  signature: Buffer;
  dir: string;
}

export function iasVectorRoot(): string {
  return vectorDir("ias");
}

export function loadIasVectors(): IasVector[] {
  const root = iasVectorRoot();
  const manifest: IasManifestEntry[] = JSON.parse(fs.readFileSync(path.join(root, "manifest.json"), "utf8"));
  return manifest.map((m) => {
    const dir = path.join(root, m.dir);
    return {
      name: m.dir,
      manifest: m,
      report: fs.readFileSync(path.join(dir, "report.json")),
      signature: decodeSignature(fs.readFileSync(path.join(dir, "signature.b64"))),
      dir,
    };
  });
}

/** Reports signed by Intel's leaf (every vector except NEGATIVE_* and SIMULATION_*). */
export function intelSignedVectors(): IasVector[] {
  const all = loadIasVectors().filter((v) => !v.name.startsWith("NEGATIVE_") && !v.name.startsWith("SIMULATION_"));
  if (all.length === 0) throw new Error("no Intel-signed IAS vectors found");
  return all;
}

export function vectorNamed(prefix: string): IasVector {
  const v = loadIasVectors().find((x) => x.name.startsWith(prefix));
  if (v === undefined) throw new Error(`no IAS vector named ${prefix}*`);
  return v;
}

/** Every status any Intel vector carries: a policy that admits all of them. */
export const ALL_VECTOR_STATUSES = ["OK", "GROUP_OUT_OF_DATE", "SW_HARDENING_NEEDED", "CONFIGURATION_AND_SW_HARDENING_NEEDED"];

/** Unix seconds of an IAS timestamp, computed independently of the code under test (via Date). */
export function unixOfIasTimestamp(ts: string): bigint {
  return BigInt(Math.floor(Date.parse(ts.slice(0, 19) + "Z") / 1000));
}
