import { expect } from "chai";
import { FrameDecoder, MAX_FRAME_SIZE, encodeFrame } from "../../src/enclave/protocol";

describe("host-side framing (src/enclave/protocol.ts)", function () {
  it("round-trips frames split at every byte boundary", function () {
    const bodies = [Buffer.from("{}"), Buffer.alloc(0), Buffer.from("x".repeat(300))];
    const stream = Buffer.concat(bodies.map((b) => encodeFrame(b)));
    for (let split = 0; split <= stream.length; split++) {
      const decoder = new FrameDecoder();
      const frames = [...decoder.push(stream.subarray(0, split)), ...decoder.push(stream.subarray(split))];
      expect(frames.map((f) => f.toString()), `split ${split}`).to.deep.equal(bodies.map((b) => b.toString()));
      expect(decoder.pending).to.equal(0);
    }
  });

  it("refuses oversized frames on both sides", function () {
    expect(() => encodeFrame(new Uint8Array(MAX_FRAME_SIZE + 1))).to.throw(RangeError, /exceeds the maximum/);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME_SIZE + 1);
    expect(() => new FrameDecoder().push(header)).to.throw(RangeError, /exceeds the maximum/);
  });

  it("keeps an incomplete frame pending", function () {
    const decoder = new FrameDecoder();
    expect(decoder.push(encodeFrame(Buffer.from("abcdef")).subarray(0, 7))).to.deep.equal([]);
    expect(decoder.pending).to.equal(7);
  });
});
