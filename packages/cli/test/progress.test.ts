/**
 * When progress is shown, and how: a bar redrawn in place on a terminal, plain lines where
 * it is forced elsewhere, nothing otherwise.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { Progress, type ProgressMode, progressMode } from "../src/ui/progress.js";

class Stream extends Writable {
  text = "";
  constructor(readonly isTTY: boolean) {
    super();
  }
  readonly columns = 100;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString("utf8");
    done();
  }
}

describe("progress", () => {
  const cases: Array<[string, { tty: boolean; forced: boolean; json: boolean; quiet: boolean }, ProgressMode]> = [
    ["a terminal", { tty: true, forced: false, json: false, quiet: false }, "bar"],
    ["a terminal with --json", { tty: true, forced: false, json: true, quiet: false }, "off"],
    ["a terminal with --quiet", { tty: true, forced: false, json: false, quiet: true }, "off"],
    ["a pipe", { tty: false, forced: false, json: false, quiet: false }, "off"],
    ["a pipe, forced", { tty: false, forced: true, json: false, quiet: false }, "lines"],
    ["a pipe, forced, with --json", { tty: false, forced: true, json: true, quiet: false }, "lines"],
    ["a terminal, forced, with --json", { tty: true, forced: true, json: true, quiet: false }, "bar"],
  ];
  for (const [where, o, mode] of cases) {
    it(`is ${mode} on ${where}`, () => {
      assert.equal(progressMode({ isTTY: o.tty }, o), mode);
    });
  }

  it("draws a bar in place with bytes, per cent and rate, and clears it", () => {
    const stream = new Stream(true);
    const bar = new Progress(stream, "copying a.bin", 4 * 2 ** 20, "bar");
    bar.tick(2 ** 20);
    assert.match(stream.text, /^\rcopying a\.bin \[█+░+\] {2}25% 1\.0 MiB of 4\.0 MiB, [\d.]+ MiB\/s$/);
    bar.finish();
    assert.match(stream.text, /\r {99}\r$/);
  });

  it("writes lines where forced, from the start to the end, never redrawn in place", () => {
    const stream = new Stream(false);
    const lines = new Progress(stream, "hashing a.bin", 2 ** 20, "lines");
    lines.tick(2 ** 19);
    lines.tick(2 ** 19);
    lines.finish();
    const written = stream.text
      .split("\n")
      .filter(Boolean)
      .map((l) => l.replace(/, [\d.]+ MiB\/s$/, ""));
    assert.equal(written.at(0), "hashing a.bin:   0% 0.0 MiB of 1.0 MiB");
    assert.equal(written.at(-1), "hashing a.bin: 100% 1.0 MiB of 1.0 MiB");
    assert.doesNotMatch(stream.text, /\r/);
  });
});
