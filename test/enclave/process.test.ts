import { expect } from "chai";
import { EnclaveCrashedError, EnclaveOptionsError, EnclaveProcess, EnclaveTimeoutError } from "../../src/enclave/EnclaveProcess";
import { MAX_FRAME_SIZE } from "../../src/enclave/protocol";
import { enclaveBinary, startEnclave } from "./helpers";

/**
 * A fresh enclave, stopped (SIGSTOP) while `body` runs, so the requests it is sent stay unanswered until `body`
 * calls `resume()`. Whatever `body` throws, the enclave is resumed and closed; it is returned closed.
 */
async function withStoppedEnclave(body: (enclave: EnclaveProcess, resume: () => void) => Promise<void>): Promise<EnclaveProcess> {
  const enclave = await startEnclave();
  const resume = () => process.kill(enclave.pid!, "SIGCONT");
  try {
    process.kill(enclave.pid!, "SIGSTOP");
    await body(enclave, resume);
  } finally {
    resume();
    await enclave.close();
  }
  return enclave;
}

describe("EnclaveProcess (real binary)", function () {
  it("reports a killed enclave as EnclaveCrashedError with the signal and stderr tail, for pending and later calls", async function () {
    const enclave = await startEnclave();
    const pending = enclave.status().then(() => undefined); // may win the race; the next calls cannot
    process.kill(enclave.pid!, "SIGKILL");
    await enclave.waitForExit();
    await pending.catch(() => undefined);
    const err = await enclave.status().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(EnclaveCrashedError);
    const crash = err as EnclaveCrashedError;
    expect(crash.code).to.equal("ENCLAVE_CRASHED");
    expect(crash.signal).to.equal("SIGKILL");
    expect(crash.exitCode).to.equal(null);
    expect(crash.stderrTail).to.match(/ready \(mode simulation/);
    expect(crash.message).to.match(/killed by SIGKILL/);
    expect(enclave.hasExited).to.equal(true);
  });

  it("rejects calls in flight when the enclave exits", async function () {
    const enclave = await startEnclave();
    process.kill(enclave.pid!, "SIGSTOP");
    const inFlight = enclave.status().catch((e: unknown) => e);
    process.kill(enclave.pid!, "SIGTERM");
    process.kill(enclave.pid!, "SIGCONT");
    const err = await inFlight;
    expect(err).to.be.instanceOf(EnclaveCrashedError).and.include({ signal: "SIGTERM" });
  });

  it("a per-call timeout rejects with EnclaveTimeoutError; the late response is dropped and the enclave keeps serving", async function () {
    await withStoppedEnclave(async (enclave, resume) => {
      const err = await enclave.call("status", {}, { timeoutMs: 200 }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(EnclaveTimeoutError).and.include({ code: "ENCLAVE_TIMEOUT", method: "status", timeoutMs: 200 });
      resume();
      const status = await enclave.status();
      expect(status.mode).to.equal("simulation");
    });
  });

  describe("whenQuiet (restore points copy the sealed directory through it)", function () {
    const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    it("runs only once every request sent has been answered, and holds new calls until it has returned", async function () {
      await withStoppedEnclave(async (enclave, resume) => {
        const order: string[] = [];
        const inFlight = enclave.status().then(() => order.push("in flight"));
        const quiet = enclave.whenQuiet(() => {
          order.push("fn");
          return enclave.unansweredCalls;
        });
        const later = enclave.status().then(() => order.push("later"));
        await tick(150);
        expect(order, "fn ran while a request was unanswered").to.deep.equal([]);
        expect(enclave.unansweredCalls, "the later call was sent while held").to.equal(1);
        resume();
        expect(await quiet).to.equal(0);
        await Promise.all([inFlight, later]);
        expect(order).to.deep.equal(["in flight", "fn", "later"]);
        expect(enclave.unansweredCalls).to.equal(0);
      });
    });

    it("counts a timed-out call as unanswered until its late response; gives up after its timeout and sends what it held", async function () {
      await withStoppedEnclave(async (enclave, resume) => {
        const timedOut = await enclave.call("status", {}, { timeoutMs: 100 }).catch((e: unknown) => e);
        expect(timedOut).to.be.instanceOf(EnclaveTimeoutError);
        expect(enclave.unansweredCalls, "the enclave may still run a timed-out call").to.equal(1);
        let ran = false;
        const quiet = enclave.whenQuiet(() => {
          ran = true;
        }, 200);
        const held = enclave.status();
        expect(await quiet).to.equal(undefined);
        expect(ran).to.equal(false);
        expect(enclave.unansweredCalls, "the held call is sent once whenQuiet gives up").to.equal(2);
        resume();
        expect((await held).mode).to.equal("simulation");
        expect(enclave.unansweredCalls).to.equal(0);
      });
    });

    it("never sends a held call that timed out while held, and runs nothing on an enclave that exited", async function () {
      const closed = await withStoppedEnclave(async (enclave, resume) => {
        const inFlight = enclave.status();
        const quiet = enclave.whenQuiet(() => enclave.unansweredCalls, 5_000);
        const gaveUp = await enclave.call("status", {}, { timeoutMs: 100 }).catch((e: unknown) => e);
        expect(gaveUp).to.be.instanceOf(EnclaveTimeoutError);
        resume();
        await inFlight;
        expect(await quiet).to.equal(0);
        expect(enclave.unansweredCalls, "the call that timed out while held was sent").to.equal(0);
      });
      let ran = false;
      expect(await closed.whenQuiet(() => (ran = true))).to.equal(undefined);
      expect(ran).to.equal(false);
    });
  });

  it("refuses a request above the frame limit without sending it", async function () {
    const enclave = await startEnclave();
    try {
      const huge = "x".repeat(MAX_FRAME_SIZE);
      const err = await enclave.call("init", { dataDir: huge }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(RangeError);
      expect((err as Error).message).to.match(/exceeds the maximum/);
      expect((await enclave.status()).initialized).to.equal(false);
    } finally {
      await enclave.close();
    }
  });

  it("close() ends the enclave cleanly with exit code 0", async function () {
    const enclave = await startEnclave();
    expect(await enclave.close()).to.equal(0);
    const err = await enclave.status().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(EnclaveCrashedError).and.include({ exitCode: 0 });
  });

  it("start() fails clearly for a missing binary, a failing start, and a missing Gramine", async function () {
    const missing = await EnclaveProcess.start({ binary: "/nonexistent/anonify-enclave" }).catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(EnclaveCrashedError);
    expect((missing as Error).message).to.match(/does not exist.*enclave:build/);

    const noGramine = await EnclaveProcess.start({
      binary: enclaveBinary(),
      mode: "sgx",
      gramineSgx: "/nonexistent/gramine-sgx",
    }).catch((e: unknown) => e);
    expect(noGramine).to.be.instanceOf(EnclaveCrashedError);
    expect((noGramine as Error).message).to.match(/could not be started \(\/nonexistent\/gramine-sgx\)/);

    const sgxDataDir = await EnclaveProcess.start({ binary: enclaveBinary(), mode: "sgx", dataDir: "/tmp/x" }).catch((e: unknown) => e);
    expect(sgxDataDir).to.be.instanceOf(EnclaveOptionsError).and.include({ code: "ENCLAVE_OPTIONS_INVALID" });
  });
});

describe("startConfiguredEnclave", function () {
  it("starts the binary and mode the Hardhat config names", async function () {
    const hre = (await import("hardhat")).default;
    const { startConfiguredEnclave } = await import("../../src/enclave");
    const enclave = await startConfiguredEnclave(hre.config.anonify);
    try {
      const status = await enclave.status();
      expect(status.mode).to.equal(hre.config.anonify.mode);
    } finally {
      await enclave.close();
    }
  });
});
