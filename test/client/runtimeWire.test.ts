/**
 * Issue 14 item 6, the wire side of a generic client: any runtime's commands and queries as JSON (`op` first,
 * bigints as decimal strings), and every input JSON cannot carry exactly, or too large for an enclave, refused with
 * a specific WireFormatError before anything is signed or sent. The token's encoders keep their bytes.
 */
import { expect } from "chai";
import net from "node:net";
import { ethers } from "hardhat";
import { Wallet, type Signer, type TypedDataDomain, type TypedDataField } from "ethers";
import {
  AnonifyClient,
  MAX_PAYLOAD_BYTES,
  RuntimeClient,
  TOKEN_CODEC,
  WireFormatError,
  checkPayloadSize,
  encodeCommand,
  encodeQuery,
  encodeRuntimeCommand,
  encodeRuntimeQuery,
  jsonRuntimeCodec,
  type TokenRuntimeTypes,
} from "../../src/client";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** The WireFormatError `f` throws (the test fails when it throws anything else or nothing). */
function wireError(f: () => unknown): WireFormatError {
  try {
    f();
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(WireFormatError);
    return error as WireFormatError;
  }
  return expect.fail("expected a WireFormatError");
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A wallet that counts what it signs. */
class CountingSigner extends Wallet {
  signatures = 0;
  override async signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string> {
    this.signatures++;
    return super.signTypedData(domain, types, value);
  }
}

describe("client: any runtime's commands and queries on the wire", function () {
  const user = Wallet.createRandom();

  it("writes JSON with op first, the other members in the object's order, bigints as decimal strings", function () {
    expect(decode(encodeRuntimeCommand({ op: "put", key: "a", value: 5n }))).to.equal('{"op":"put","key":"a","value":"5"}');
    expect(decode(encodeRuntimeCommand({ key: "a", op: "put" }))).to.equal('{"op":"put","key":"a"}');
    expect(
      decode(encodeRuntimeCommand({ op: "bid", lots: [{ id: 1n, price: 12n }, { id: 2, note: null, open: true }], meta: { tags: ["x", "ü"], weight: 1.5 } })),
    ).to.equal('{"op":"bid","lots":[{"id":"1","price":"12"},{"id":2,"note":null,"open":true}],"meta":{"tags":["x","ü"],"weight":1.5}}');
    expect(decode(encodeRuntimeCommand({ op: "neg", value: -7n, zero: -0, big: (1n << 200n) }))).to.equal(`{"op":"neg","value":"-7","zero":0,"big":"${1n << 200n}"}`);
    // A value reached twice without a cycle is written twice.
    const shared = { n: 1 };
    expect(decode(encodeRuntimeQuery({ op: "pair", left: shared, right: shared }))).to.equal('{"op":"pair","left":{"n":1},"right":{"n":1}}');
    // Objects without a prototype are plain objects.
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { op: "bare", a: 1 });
    expect(decode(encodeRuntimeQuery(bare))).to.equal('{"op":"bare","a":1}');
    // Key names are escaped as JSON strings, and plain JSON is unchanged.
    const plain = { op: "x", 'quote"d': "line\nbreak", list: [1, 2, [3]] };
    expect(decode(encodeRuntimeCommand(plain))).to.equal(JSON.stringify(plain));
  });

  it("the token's encoders keep their bytes; the JSON codec writes the same bytes for the same token objects", function () {
    const to = user.address.toLowerCase();
    for (const command of [
      { op: "transfer" as const, to, amount: "10" },
      { op: "burn" as const, amount: "3" },
      { op: "init" as const, name: "Anonify Token", symbol: "ANT", initialSupply: "1000000" },
    ]) {
      expect(decode(TOKEN_CODEC.encodeCommand(command))).to.equal(decode(encodeCommand(command)));
      expect(decode(jsonRuntimeCodec<TokenRuntimeTypes>().encodeCommand(command))).to.equal(decode(encodeCommand(command)));
    }
    expect(decode(TOKEN_CODEC.encodeCommand({ op: "transfer", to: user.address, amount: 10n }))).to.equal(`{"op":"transfer","to":"${to}","amount":"10"}`);
    expect(decode(TOKEN_CODEC.encodeQuery({ op: "nonce", account: user.address }))).to.equal(decode(encodeRuntimeQuery({ op: "nonce", account: to })));
    expect(decode(TOKEN_CODEC.encodeQuery({ op: "totalSupply" }))).to.equal(decode(encodeQuery({ op: "totalSupply" })));
  });

  it("refuses what is not an object with an op string: command_invalid / query_invalid", function () {
    for (const value of [null, undefined, "transfer", 5, true, 5n, [], [{ op: "x" }], new Date(0), new Map([["op", "x"]]), () => 1]) {
      const error = wireError(() => encodeRuntimeCommand(value as object));
      expect(error.code, String(value)).to.equal("command_invalid");
      expect(error.message).to.match(/^a command must be a JSON object with an "op" string, got /);
      expect(wireError(() => encodeRuntimeQuery(value as object)).code).to.equal("query_invalid");
    }
    expect(wireError(() => encodeRuntimeCommand([])).message).to.equal('a command must be a JSON object with an "op" string, got an array');
    expect(wireError(() => encodeRuntimeCommand(new Date(0))).message).to.equal('a command must be a JSON object with an "op" string, got a Date');
    expect(wireError(() => encodeRuntimeQuery("balanceOf" as never)).message).to.equal('a query must be a JSON object with an "op" string, got a string ("balanceOf")');

    for (const missing of [{}, { key: "a" }, { op: undefined }]) {
      const error = wireError(() => encodeRuntimeCommand(missing));
      expect(error.code).to.equal("command_invalid");
      expect(error.message).to.match(/^the command has no "op" member \(a string naming the runtime's command/);
    }
    // "op" inherited from a prototype is not the object's own member.
    expect(wireError(() => encodeRuntimeQuery(Object.create({ op: "x" }) as object)).code).to.equal("query_invalid");
    for (const [op, said] of [
      [5, "a number (5)"],
      ["", 'a string ("")'],
      [null, "null"],
      [["x"], "an array"],
      [{ name: "x" }, "an object"],
    ] as const) {
      const error = wireError(() => encodeRuntimeCommand({ op }));
      expect(error.code).to.equal("command_invalid");
      expect(error.message).to.equal(`the command's "op" must be a non-empty string, got ${said}`);
    }
    expect(wireError(() => encodeRuntimeQuery({ op: 1n })).message).to.equal(`the query's "op" must be a non-empty string, got a bigint (1)`);
  });

  it("refuses values JSON cannot carry exactly, naming the member: json_value_invalid", function () {
    class Point {
      x = 1;
    }
    const cyclic: Record<string, unknown> = { op: "loop" };
    cyclic.self = cyclic;
    const list: unknown[] = [1];
    list.push({ back: list });
    const cases: Array<[object, RegExp]> = [
      [{ op: "x", value: undefined }, /^command\.value is undefined, which JSON cannot carry: leave the member out or give null$/],
      [{ op: "x", list: [1, undefined] }, /^command\.list\[1\] is undefined/],
      // eslint-disable-next-line no-sparse-arrays
      [{ op: "x", holes: [1, , 3] }, /^command\.holes\[1\] is undefined/],
      [{ op: "x", f: () => 1 }, /^command\.f is a function, which JSON cannot carry$/],
      [{ op: "x", s: Symbol("s") }, /^command\.s is a symbol, which JSON cannot carry$/],
      [{ op: "x", n: NaN }, /^command\.n is NaN, which JSON cannot carry$/],
      [{ op: "x", deep: { n: Infinity } }, /^command\.deep\.n is Infinity, which JSON cannot carry$/],
      [{ op: "x", n: -Infinity }, /^command\.n is -Infinity/],
      [{ op: "x", amount: 2 ** 60 }, /^command\.amount is 1152921504606846976, an integer beyond 2\^53 .*give a bigint or a decimal string$/],
      [{ op: "x", text: "a\uD800b" }, /^command\.text holds a lone UTF-16 surrogate/],
      [{ op: "x", ["k\uDC00"]: 1 }, /^command member name "k\\udc00" holds a lone UTF-16 surrogate/],
      [{ op: "x", when: new Date(0) }, /^command\.when is a Date, not a plain object or array: convert it first \(a Date to a string or number/],
      [{ op: "x", m: new Map() }, /^command\.m is a Map, not a plain object or array/],
      [{ op: "x", bytes: new Uint8Array(2) }, /^command\.bytes is a Uint8Array, not a plain object or array.*bytes to 0x hex/],
      [{ op: "x", p: new Point() }, /^command\.p is a Point, not a plain object or array/],
      [{ op: "x", boxed: new String("s") }, /^command\.boxed is a String, not a plain object/],
      [cyclic, /^command\.self refers back to an object that contains it \(a cycle\), which JSON cannot carry$/],
      [{ op: "x", list }, /^command\.list\[1\]\.back refers back to an object that contains it \(a cycle\)/],
      [{ op: "x", [Symbol("k")]: 1 }, /^command has a symbol-keyed member, which JSON cannot carry$/],
      [{ op: "x", "odd key": { n: NaN } }, /^command\["odd key"\]\.n is NaN/],
    ];
    for (const [value, message] of cases) {
      const error = wireError(() => encodeRuntimeCommand(value));
      expect(error.code, message.source).to.equal("json_value_invalid");
      expect(error.message).to.match(message);
    }
    const query = wireError(() => encodeRuntimeQuery({ op: "get", key: NaN }));
    expect(query).to.include({ code: "json_value_invalid", message: "query.key is NaN, which JSON cannot carry" });
    // Safe integers, fractions and 2^53 - 1 are exact.
    expect(decode(encodeRuntimeCommand({ op: "x", a: Number.MAX_SAFE_INTEGER, b: 0.25 }))).to.equal(`{"op":"x","a":${Number.MAX_SAFE_INTEGER},"b":0.25}`);
  });

  it("refuses more than 4096 bytes of JSON (counted in UTF-8): payload_too_large; deep nesting stops at the limit", function () {
    expect(MAX_PAYLOAD_BYTES).to.equal(4096);
    const filler = (bytes: number) => "a".repeat(bytes - '{"op":"x","v":""}'.length);
    expect(encodeRuntimeCommand({ op: "x", v: filler(4096) }).length).to.equal(4096);
    const over = wireError(() => encodeRuntimeCommand({ op: "x", v: filler(4097) }));
    expect(over.code).to.equal("payload_too_large");
    // Past the limit in UTF-16 units already: the walk stops there.
    expect(over.message).to.equal("the command is more than 4096 bytes of JSON, the most an enclave takes");
    // Two UTF-8 bytes per "ü": within 4096 UTF-16 units, over 4096 bytes.
    const wide = wireError(() => encodeRuntimeQuery({ op: "x", v: "ü".repeat(2100) }));
    expect(wide).to.include({ code: "payload_too_large", message: `the query is ${17 + 2 * 2100} bytes of JSON; an enclave takes at most 4096` });
    // Far past the limit the walk stops early, also for nesting far deeper than a stack would allow.
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const nested = wireError(() => encodeRuntimeCommand({ op: "x", deep }));
    expect(nested).to.include({ code: "payload_too_large", message: "the command is more than 4096 bytes of JSON, the most an enclave takes" });
    expect(wireError(() => encodeRuntimeCommand({ op: "x", list: new Array(5000).fill(0) })).code).to.equal("payload_too_large");
    // Any codec's output is held to the same bounds.
    expect(wireError(() => checkPayloadSize(new Uint8Array(0), "command"))).to.include({ code: "command_invalid", message: "the encoded command is empty" });
    expect(wireError(() => checkPayloadSize(new Uint8Array(4097), "query")).code).to.equal("payload_too_large");
    expect(checkPayloadSize(new Uint8Array(4096), "query").length).to.equal(4096);
  });

  it("RuntimeClient refuses bad commands and queries before anything is signed or sent", async function () {
    const signer = new CountingSigner(Wallet.createRandom().privateKey, ethers.provider);
    const group = Wallet.createRandom().address;
    // Nothing listens on the node's port: reaching the node would be node_unreachable, not a WireFormatError.
    const nodeUrl = `http://127.0.0.1:${await closedPort()}`;
    const untyped = new RuntimeClient({ nodeUrl, signer, group });
    const attempts: Array<[() => Promise<unknown>, string]> = [
      [() => untyped.send({ op: "x", amount: NaN }), "json_value_invalid"],
      [() => untyped.send({ op: "x", blob: "a".repeat(5000) }), "payload_too_large"],
      [() => untyped.send({ nop: 1 } as never), "command_invalid"],
      [() => untyped.send([] as never), "command_invalid"],
      [() => untyped.query({ op: "get", key: undefined }), "json_value_invalid"],
      [() => untyped.readQuery({ op: 7 } as never), "query_invalid"],
      [() => untyped.query({ op: "get", key: "k".repeat(5000) }, { maxLag: 5 }), "payload_too_large"],
      // The token's client checks with the token's encoders: a bad address or amount.
      [() => new AnonifyClient({ nodeUrl, signer, group }).transfer("0x1234", 1n), "address_invalid"],
      [() => new AnonifyClient({ nodeUrl, signer, group }).send({ op: "burn", amount: -1n }), "amount_invalid"],
      [() => new AnonifyClient({ nodeUrl, signer, group }).init("n".repeat(5000), "S", 1n), "payload_too_large"],
    ];
    for (const [attempt, code] of attempts) {
      const error = await attempt().then(
        () => expect.fail("expected a rejection"),
        (e: unknown) => e,
      );
      expect(error, String(error)).to.be.instanceOf(WireFormatError);
      expect((error as WireFormatError).code).to.equal(code);
    }
    expect(signer.signatures, "nothing was signed").to.equal(0);
    // The same client reaches for the node with a good command: the failure is then the node's.
    const reached = await untyped.send({ op: "x" }).catch((e: unknown) => e);
    expect(reached).to.include({ code: "node_unreachable" });
  });

  it("a custom codec decides the bytes, and its output is held to the enclave's bounds", async function () {
    const signer: Signer = Wallet.createRandom().connect(ethers.provider);
    const nodeUrl = `http://127.0.0.1:${await closedPort()}`;
    const seen: object[] = [];
    const empty = new RuntimeClient({
      nodeUrl,
      signer,
      group: Wallet.createRandom().address,
      codec: {
        encodeCommand: (command) => (seen.push(command), new Uint8Array(0)),
        encodeQuery: (query) => (seen.push(query), new Uint8Array(5000)),
      },
    });
    expect(await empty.send({ op: "x" }).catch((e: unknown) => e)).to.be.instanceOf(WireFormatError).and.include({ code: "command_invalid" });
    expect(await empty.query({ op: "y" }).catch((e: unknown) => e)).to.be.instanceOf(WireFormatError).and.include({ code: "payload_too_large" });
    expect(seen).to.deep.equal([{ op: "x" }, { op: "y" }]);
  });
});
