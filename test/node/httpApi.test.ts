import { expect } from "chai";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { ADMIN_TOKEN_FILE, DEFAULT_MAX_BODY_BYTES } from "../../src/node";
import { deployGroup, startNode, type TestNode } from "./helpers";

/** A raw HTTP request (fetch cannot send some of the malformed requests tested here). */
function request(
  url: string,
  method: string,
  route: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; json: any; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${route}`, { method, headers: { "Content-Type": "application/json", ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json, text });
      });
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe("AnonifyNode HTTP API (simulation, real enclave)", function () {
  this.timeout(120_000);
  let n: TestNode;
  let url: string;

  before(async function () {
    n = await startNode(await deployGroup(), 8);
    url = n.node.url!;
  });
  after(async function () {
    await n?.node.stop();
    if (n !== undefined) fs.rmSync(n.dataDir, { recursive: true, force: true });
  });

  function expectError(response: { status: number; json: any }, status: number, code: string) {
    expect(response.status, JSON.stringify(response.json)).to.equal(status);
    expect(response.json.error.code).to.equal(code);
    expect(response.json.error.message).to.be.a("string").and.not.equal("");
  }

  it("GET /health reports mode, address, membership, epoch and counters", async function () {
    const r = await request(url, "GET", "/health");
    expect(r.status).to.equal(200);
    expect(r.json).to.deep.include({
      status: "ok",
      mode: "simulation",
      address: n.node.address.toLowerCase(),
      joined: true,
      epoch: "0",
      stateCounter: "0",
      chainStateCounter: "0",
      lag: "0",
    });
  });

  it("GET /enclave returns the attested keys, MRENCLAVE, mode and group", async function () {
    const r = await request(url, "GET", "/enclave");
    expect(r.status).to.equal(200);
    expect(r.json).to.deep.equal({
      address: n.node.address.toLowerCase(),
      hpkePublicKey: n.node.identity.hpkePublicKey,
      mlsSignatureKey: n.node.identity.mlsSignatureKey,
      mrenclave: n.node.identity.mrenclave,
      mode: "simulation",
      group: n.node.options.group.toLowerCase(),
    });
  });

  it("refuses bodies that are not JSON objects with a payload, each with its own code", async function () {
    expectError(await request(url, "POST", "/commands", "{not json"), 400, "bad_json");
    expectError(await request(url, "POST", "/commands", ""), 400, "bad_json");
    expectError(await request(url, "POST", "/commands", "[1,2]"), 400, "bad_json");
    expectError(await request(url, "POST", "/commands", "{}"), 400, "payload_missing");
    expectError(await request(url, "POST", "/reads", JSON.stringify({ payload: null })), 400, "payload_missing");
    expectError(await request(url, "POST", "/commands", JSON.stringify({ payload: 7 })), 400, "payload_invalid");
    expectError(await request(url, "POST", "/commands", JSON.stringify({ payload: "abcd" })), 400, "payload_invalid");
    expectError(await request(url, "POST", "/commands", JSON.stringify({ payload: "0x" })), 400, "payload_invalid");
    expectError(await request(url, "POST", "/commands", JSON.stringify({ payload: "0xabc" })), 400, "payload_invalid");
    expectError(await request(url, "POST", "/reads", JSON.stringify({ payload: "0xzz" })), 400, "payload_invalid");
  });

  it("refuses a body above the limit with 413", async function () {
    const big = JSON.stringify({ payload: "0x" + "00".repeat(DEFAULT_MAX_BODY_BYTES) });
    expectError(await request(url, "POST", "/commands", big), 413, "body_too_large");
    // The server keeps serving.
    expect((await request(url, "GET", "/health")).status).to.equal(200);
  });

  it("answers unknown and malformed command ids, routes and methods specifically", async function () {
    expectError(await request(url, "GET", `/commands/0x${"ab".repeat(32)}`), 404, "unknown_command");
    expectError(await request(url, "GET", "/commands/42"), 400, "command_id_invalid");
    expectError(await request(url, "GET", "/nowhere"), 404, "not_found");
    const wrong = await request(url, "DELETE", "/health");
    expectError(wrong, 405, "method_not_allowed");
    expect(wrong.headers.allow).to.equal("GET");
    expectError(await request(url, "GET", "/commands"), 405, "method_not_allowed");
    expectError(await request(url, "POST", `/commands/0x${"ab".repeat(32)}`), 405, "method_not_allowed");
    expectError(await request(url, "POST", "/notifications"), 405, "method_not_allowed");
    expectError(await request(url, "GET", "/notifications"), 400, "payload_missing");
    expectError(await request(url, "GET", "/notifications?payload=0x1"), 400, "payload_invalid");
  });

  it("guards the operator endpoints with the data dir's token", async function () {
    expectError(await request(url, "POST", "/admin/rotate"), 401, "unauthorized");
    expectError(await request(url, "POST", "/admin/rotate", "", { Authorization: "Bearer wrong" }), 401, "unauthorized");
    const token = fs.readFileSync(path.join(n.dataDir, ADMIN_TOKEN_FILE), "utf8").trim();
    const auth = { Authorization: `Bearer ${token}` };
    expectError(await request(url, "POST", "/admin/remove", "{}", auth), 400, "payload_missing");
    expectError(await request(url, "POST", "/admin/remove", JSON.stringify({ leaf: -1 }), auth), 400, "payload_invalid");
    expectError(await request(url, "POST", "/admin/remove", JSON.stringify({ enclave: "0x12" }), auth), 400, "payload_invalid");
    expectError(await request(url, "POST", "/admin/remove", JSON.stringify({ leaf: 0 }), auth), 400, "invalid_message"); // own leaf
    expectError(await request(url, "POST", "/admin/policy-change", JSON.stringify({ approvals: [] }), auth), 400, "payload_missing");
    expectError(await request(url, "POST", "/admin/policy-change", JSON.stringify({ policy: {}, approvals: ["0x12"] }), auth), 400, "payload_invalid");
    expectError(await request(url, "POST", "/admin/policy-change", "[", auth), 400, "bad_json");
    // The enclave judges the policy and approvals: its refusal is the answer.
    expectError(await request(url, "POST", "/admin/policy-change", JSON.stringify({ policy: {}, approvals: [`0x${"11".repeat(65)}`] }), auth), 400, "policy_refused");
    const rotated = await request(url, "POST", "/admin/rotate", "", auth);
    expect(rotated.status).to.equal(200);
    expect(rotated.json).to.deep.equal({ epoch: "1" });
    expect((await request(url, "GET", "/health")).json.epoch).to.equal("1");
  });
});
