import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { ENCLAVE_EXIT_CODES, MAX_FRAME_SIZE } from "../../src/enclave/protocol";
import { rawFrame, runRaw, startEnclave, tempDir } from "./helpers";
import { EnclaveError } from "../../src/enclave/EnclaveProcess";

const status = (id: number) => rawFrame(JSON.stringify({ id, method: "status" }));

describe("enclave bad input (real binary)", function () {
  it("answers a malformed body with malformed_request and keeps serving", async function () {
    const run = await runRaw(Buffer.concat([rawFrame("{not json"), rawFrame(""), rawFrame("[1]"), status(7)]));
    expect(run.exitCode).to.equal(ENCLAVE_EXIT_CODES.ok);
    expect(run.responses).to.have.length(4);
    for (const r of run.responses.slice(0, 3)) {
      expect(r.id).to.equal(null);
      expect(r.error.code).to.equal("malformed_request");
    }
    expect(run.responses[3].id).to.equal(7);
    expect(run.responses[3].result.mode).to.equal("simulation");
  });

  it("answers unknown methods, bad ids and wrong parameter types with specific codes", async function () {
    const bodies = [
      { id: 1, method: "no_such_method" },
      { id: 2, method: "init", params: { dataDir: 42 } },
      { id: 3, method: "init", params: ["x"] },
      { id: 4, method: "eip712_hash", params: { domain: { chainId: -1, verifyingContract: "0x00" }, primaryType: "Command", message: {} } },
      { id: 5, method: "eip712_hash", params: { domain: { chainId: 1, verifyingContract: "0x" + "00".repeat(20) }, primaryType: "Nope", message: {} } },
      { id: 6, method: "eip712_hash", params: { domain: { chainId: 1, verifyingContract: "0x" + "00".repeat(20) }, primaryType: "Checkpoint", message: { stateCounter: 1, stateHash: "0x12" } } },
      { id: -1, method: "status" },
      { id: 8, method: "Status" },
      { id: 9, method: "status", extra: true },
    ];
    const run = await runRaw(Buffer.concat(bodies.map((b) => rawFrame(JSON.stringify(b)))));
    expect(run.exitCode).to.equal(ENCLAVE_EXIT_CODES.ok);
    expect(run.responses.map((r) => [r.id, r.error?.code])).to.deep.equal([
      [1, "unknown_method"],
      [2, "invalid_params"],
      [3, "invalid_params"],
      [4, "invalid_params"],
      [5, "invalid_params"],
      [6, "invalid_params"],
      [null, "malformed_request"],
      [8, "malformed_request"],
      [9, "malformed_request"],
    ]);
    expect(run.responses[1].error.message).to.match(/params\.dataDir must be a string/);
  });

  it("exits with a framing error and a clear message on EOF in the middle of a frame", async function () {
    const run = await runRaw(Buffer.concat([status(1), rawFrame('{"id":2,"me', 100)]));
    expect(run.exitCode).to.equal(ENCLAVE_EXIT_CODES.frameError);
    expect(run.responses).to.have.length(1);
    expect(run.stderr).to.match(/input ended inside a frame \(11 of 100 body bytes\)/);
  });

  it("exits with a framing error on EOF inside a frame header", async function () {
    const run = await runRaw(Buffer.concat([status(1), Buffer.from([0, 0])]));
    expect(run.exitCode).to.equal(ENCLAVE_EXIT_CODES.frameError);
    expect(run.stderr).to.match(/inside a frame header/);
  });

  it("answers an oversized length with frame_too_large, then exits without reading the body", async function () {
    const run = await runRaw(Buffer.concat([status(1), rawFrame("x", MAX_FRAME_SIZE + 1)]));
    expect(run.exitCode).to.equal(ENCLAVE_EXIT_CODES.frameError);
    expect(run.responses).to.have.length(2);
    expect(run.responses[1]).to.deep.include({ id: null });
    expect(run.responses[1].error.code).to.equal("frame_too_large");
    expect(run.stderr).to.match(/exceeds the maximum/);
  });

  it("survives random garbage: never a crash, a hang or a stray byte on stdout", async function () {
    for (let i = 0; i < 20; i++) {
      const garbage = randomBytes(1 + (i * 97) % 3000);
      // Keep the declared length small so the enclave does not wait for megabytes that never come.
      garbage[0] = 0;
      garbage[1] = 0;
      const run = await runRaw(garbage);
      expect(run.signal, `run ${i}`).to.equal(null);
      expect([ENCLAVE_EXIT_CODES.ok, ENCLAVE_EXIT_CODES.frameError], `run ${i}: ${run.stderr}`).to.include(run.exitCode);
      expect(run.trailing).to.equal(0);
      for (const r of run.responses) expect(r.error.code).to.be.oneOf(["malformed_request", "frame_too_large"]);
    }
  });

  it("rejects a deeply nested body without recursing", async function () {
    const deep = `{"id":1,"method":"status","params":{"a":${"[".repeat(200000)}${"]".repeat(200000)}}}`;
    const run = await runRaw(rawFrame(deep));
    expect(run.exitCode).to.equal(ENCLAVE_EXIT_CODES.ok);
    expect(run.responses[0].error.code).to.equal("malformed_request");
    expect(run.responses[0].error.message).to.match(/nesting deeper than 32/);
  });

  it("refuses bad command lines with usage text", async function () {
    const run = await runRaw(Buffer.alloc(0), ["--frobnicate"]);
    expect(run.exitCode).to.equal(ENCLAVE_EXIT_CODES.usage);
    expect(run.stderr).to.match(/usage: anonify-enclave/);
    const mode = await runRaw(Buffer.alloc(0), ["--mode", "production"]);
    expect(mode.exitCode).to.equal(ENCLAVE_EXIT_CODES.usage);
    expect(mode.stderr).to.match(/mode must be "simulation" or "sgx"/);
  });

  it("refuses to start in sgx mode: a simulation build (development trust anchors) never runs as sgx", async function () {
    // Before the build-mode check this binary got as far as Gramine's /dev/attestation
    // (attestation_unavailable); an sgx build still does (enclave_test.cpp covers that platform error).
    const run = await runRaw(Buffer.alloc(0), ["--mode", "sgx"]);
    expect(run.exitCode).to.equal(ENCLAVE_EXIT_CODES.usage);
    expect(run.stderr).to.match(/startup failed: unsupported: this is a simulation build \(development trust anchors compiled in\); it cannot run in sgx mode/);
    expect(run.responses).to.deep.equal([]);
  });

  it("a failed request changes nothing: the enclave stays usable through EnclaveProcess", async function () {
    const data = tempDir();
    const enclave = await startEnclave({ dataDir: data.dir });
    try {
      const bad = await enclave
        .call("init", { dataDir: 5 as unknown as string })
        .catch((e: unknown) => e);
      expect(bad).to.be.instanceOf(EnclaveError).and.include({ code: "invalid_params", method: "init" });
      expect((await enclave.status()).initialized).to.equal(false);
      expect((await enclave.init()).created).to.equal(true);
    } finally {
      await enclave.close();
      data.cleanup();
    }
  });
});
