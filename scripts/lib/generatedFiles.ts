/**
 * The write-or-check step of the generators of committed files (scripts/dcap-dev-pki.ts, scripts/dcap-dev-fixtures.ts):
 * `--check` on the command line compares each file with what the generator builds instead of writing it, prints
 * one line per file, and sets exit code 1 on any difference.
 */
import fs from "node:fs";
import path from "node:path";

export function writeOrCheckGeneratedFiles(dir: string, files: Iterable<[string, Buffer]>, check = process.argv.includes("--check")): void {
  let differences = 0;
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of files) {
    const file = path.join(dir, name);
    if (check) {
      const same = fs.existsSync(file) && fs.readFileSync(file).equals(bytes);
      if (!same) differences++;
      console.log(`${same ? "same" : "DIFFERENT"} ${name}`);
    } else {
      fs.writeFileSync(file, bytes);
      console.log(`wrote ${name} (${bytes.length} bytes)`);
    }
  }
  if (differences > 0) process.exitCode = 1;
}
