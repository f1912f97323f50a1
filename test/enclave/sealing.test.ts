import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { EnclaveError } from "../../src/enclave/EnclaveProcess";
import { enclaveBinary, startEnclave, tempDir } from "./helpers";

async function initError(dataDir: string, binary?: string): Promise<EnclaveError> {
  const enclave = await startEnclave({ dataDir, ...(binary ? { binary } : {}) });
  try {
    const err = await enclave.init().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, "init should fail").to.be.instanceOf(EnclaveError);
    return err as EnclaveError;
  } finally {
    await enclave.close();
  }
}

describe("enclave sealing (real binary)", function () {
  let data: ReturnType<typeof tempDir>;
  let sealed: string;
  beforeEach(async () => {
    data = tempDir();
    sealed = path.join(data.dir, "identity.sealed");
    const enclave = await startEnclave({ dataDir: data.dir });
    await enclave.init();
    await enclave.close();
  });
  afterEach(() => data.cleanup());

  it("a tampered sealed file is refused and left in place", async function () {
    const blob = fs.readFileSync(sealed);
    blob[blob.length - 5] ^= 0x01;
    fs.writeFileSync(sealed, blob);
    const err = await initError(data.dir);
    expect(err.code).to.equal("sealed_data_corrupt");
    expect(err.message).to.match(/does not authenticate/);
    expect(fs.readFileSync(sealed).equals(blob)).to.equal(true);
  });

  it("a truncated sealed file is refused", async function () {
    fs.writeFileSync(sealed, fs.readFileSync(sealed).subarray(0, 40));
    const err = await initError(data.dir);
    expect(err.code).to.equal("sealed_data_corrupt");
    expect(err.message).to.match(/truncated/);
  });

  it("a file that is not a sealed blob is refused", async function () {
    fs.writeFileSync(sealed, Buffer.alloc(200, 0x41));
    expect((await initError(data.dir)).code).to.equal("sealed_data_corrupt");
  });

  it("data sealed by another enclave build (another MRENCLAVE) is refused as foreign", async function () {
    // A copy of the binary with one extra byte measures differently: a different enclave.
    const other = path.join(data.dir, "anonify-enclave-other");
    fs.writeFileSync(other, Buffer.concat([fs.readFileSync(enclaveBinary()), Buffer.from([0])]), { mode: 0o755 });
    const otherData = path.join(data.dir, "other-data");
    const err = await (async () => {
      const foreign = await startEnclave({ dataDir: otherData, binary: other });
      await foreign.init();
      await foreign.close();
      fs.copyFileSync(path.join(otherData, "simulation-seal.key"), path.join(data.dir, "simulation-seal.key"));
      fs.copyFileSync(path.join(otherData, "identity.sealed"), sealed);
      return initError(data.dir);
    })();
    expect(err.code).to.equal("sealed_data_foreign");
    expect(err.message).to.match(/another enclave measurement/);
  });

  it("a missing key file is refused instead of replaced while sealed data exists", async function () {
    fs.rmSync(path.join(data.dir, "simulation-seal.key"));
    const err = await initError(data.dir);
    expect(err.code).to.equal("sealed_data_foreign");
    expect(fs.existsSync(path.join(data.dir, "simulation-seal.key"))).to.equal(false);
  });

  it("a key file readable by others is refused", async function () {
    fs.chmodSync(path.join(data.dir, "simulation-seal.key"), 0o644);
    const err = await initError(data.dir);
    expect(err.code).to.equal("storage_error");
    expect(err.message).to.match(/0600/);
  });
});
