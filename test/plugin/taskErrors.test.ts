/**
 * Issue 15 ("errors look like crashes"): node, deploy, rotate, remove, policy-change and token failures printed
 * Hardhat's "An unexpected error occurred" with a stack trace. Every typed error of the plugin now reaches the user
 * as a one-line AnonifyPluginError naming its code; a bug (any other error) keeps its stack.
 */
import { expect } from "chai";
import hre from "hardhat";
import { HardhatPluginError } from "hardhat/plugins";
import { AnonifyPluginError } from "../../src/errors";
import { asPluginError, withPluginErrors } from "../../src/taskErrors";
import { ClientTimeoutError, CommandRefusedError, CommandRejectedError, NodeRequestError, RateLimitedError } from "../../src/client/errors";
import { WireFormatError, encodeCommand } from "../../src/client/wire";
import { EnclaveCrashedError, EnclaveError } from "../../src/enclave/EnclaveProcess";
import { IasVerificationError } from "../../src/attestation/errors";
import { NodeError } from "../../src/node/errors";
import { expectPluginError } from "../helpers/tasks";

describe("plugin: task errors are plugin errors with their code, bugs keep their stack", function () {
  it("maps each typed error to an AnonifyPluginError with its code and the error as parent", async function () {
    const cases: [Error, string, abstract new (...args: never[]) => Error][] = [
      [new NodeError("port_in_use", "port 8601 is taken: stop what listens there or pass --port"), "port_in_use", NodeError],
      [new NodeRequestError("node_unreachable", "connection refused", 0, "GET", "/health"), "node_unreachable", NodeRequestError],
      [new ClientTimeoutError("no outcome after 120 s"), "timeout", ClientTimeoutError],
      [new WireFormatError("amount_invalid", "amount must be below 2^256"), "amount_invalid", WireFormatError],
      [new EnclaveError("nonce_mismatch", "expected nonce 0, got 1", "state_submit"), "nonce_mismatch", EnclaveError],
      [new EnclaveCrashedError(1, null, "", "exited"), "ENCLAVE_CRASHED", EnclaveCrashedError],
      [new IasVerificationError("ReportSignatureInvalid"), "ReportSignatureInvalid", IasVerificationError],
    ];
    for (const [error, code, parent] of cases) {
      const mapped = expectPluginError(await asPluginError(error), code, parent);
      expect(mapped.message, code).to.include(error.message);
      expect(mapped.pluginName).to.equal("hardhat-anonify");
    }
  });

  it("a rejected command says what the enclaves said", async function () {
    const rejected = new CommandRejectedError("0x01", "insufficient balance", 7n);
    const mapped = (await asPluginError(rejected)) as AnonifyPluginError;
    expect(mapped).to.be.instanceOf(AnonifyPluginError);
    expect(mapped.message).to.equal("the enclaves rejected the command: insufficient balance");
    expect(mapped.code).to.equal("command_rejected");
  });

  it("a command refused before posting and a rate-limited request say what to do (issue 15, item 7)", async function () {
    const refused = (await asPluginError(new CommandRefusedError("zero address", 3n))) as AnonifyPluginError;
    expect(refused).to.be.instanceOf(AnonifyPluginError);
    expect(refused.code).to.equal("command_refused");
    expect(refused.message).to.equal(
      "the node's enclave refused the command before posting it: zero address. Nothing was posted and nonce 3 is still unused: " +
        "fix the command (or wait for pending commands that change the state) and run the task again",
    );
    const limited = (await asPluginError(new RateLimitedError("too many commands from 0xab (limit 120 per minute, burst 60)", 7, "POST", "/commands"))) as AnonifyPluginError;
    expect(limited.code).to.equal("rate_limited");
    expect(limited.message).to.equal(
      "the node is rate limiting: too many commands from 0xab (limit 120 per minute, burst 60). Nothing was accepted; run the task again in 7 s",
    );
    expect(limited.message.split("\n")).to.have.length(1);
  });

  it("leaves plugin errors, bugs and non-errors alone", async function () {
    const plugin = new AnonifyPluginError("already actionable");
    expect(await asPluginError(plugin)).to.equal(plugin);
    const foreign = new HardhatPluginError("other-plugin", "theirs");
    expect(await asPluginError(foreign)).to.equal(foreign);
    const bug = new TypeError("cannot read properties of undefined");
    expect(await asPluginError(bug)).to.equal(bug);
    expect(await asPluginError("a string")).to.equal("a string");
    await expect(withPluginErrors(async () => Promise.reject(bug))).to.be.rejectedWith(TypeError);
    expect(await withPluginErrors(async () => 42)).to.equal(42);
  });

  it("as found: an amount of 2^256 in a command is a plugin error naming the wire code, not a crash", async function () {
    const raw = await Promise.resolve()
      .then(() => encodeCommand({ op: "transfer", to: "0x" + "11".repeat(20), amount: (2n ** 256n).toString() }))
      .catch((e: unknown) => e);
    expect(raw, "encodeCommand refuses it").to.be.instanceOf(WireFormatError);
    const error = await withPluginErrors(async () => encodeCommand({ op: "transfer", to: "0x" + "11".repeat(20), amount: (2n ** 256n).toString() })).catch(
      (e: unknown) => e,
    );
    expectPluginError(error, (raw as WireFormatError).code, WireFormatError);
  });

  it("the node, deploy, rotate, remove and policy-change actions are wrapped (a NodeError from anonify:remove)", async function () {
    const error = await hre.run("anonify:remove", { node: "/nonexistent", leaf: 1, enclave: "0x" + "11".repeat(20), account: 0 }).catch((e: unknown) => e);
    expectPluginError(error, "invalid_options", NodeError);
  });
});
