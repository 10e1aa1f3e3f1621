/**
 * Property tests of the walk on untrusted bytes: whatever is behind an archive's magic —
 * random bytes, a valid archive with bytes flipped or cut — the walk yields files or throws
 * a ScanFormatError or ScanLimitError, never another exception, and never hangs.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "@bulwark/testkit";
import { gzip, tar, zip } from "@bulwark/testkit/archives";
import fc from "fast-check";
import { ScanFormatError, ScanLimitError, walkRelease } from "../src/index.js";
import { asar } from "./release-builders.js";

const RUNS = 200;
const SMALL = { maxTotalBytes: 1024 * 1024, maxEntries: 64, maxFileBytes: 256 * 1024 };

async function walkBytes(dir: string, bytes: Uint8Array): Promise<"ok" | string> {
  const file = path.join(dir, "release.bin");
  writeFileSync(file, bytes);
  try {
    for await (const _ of walkRelease(file, { limits: SMALL })) {
      // walked
    }
    return "ok";
  } catch (error) {
    if (error instanceof ScanFormatError || error instanceof ScanLimitError) return error.code;
    throw error;
  }
}

const entries = fc.array(
  fc.record({ name: fc.constantFrom("a", "b/c", "d.txt", "e/f/g"), data: fc.uint8Array({ maxLength: 200 }) }),
  {
    maxLength: 5,
  },
);
const archives = fc.oneof(
  entries.map((es) => tar(es.map((e) => ({ name: e.name, data: e.data })))),
  entries.map((es) => gzip(tar(es.map((e) => ({ name: e.name, data: e.data }))))),
  entries.map((es) => zip(es.map((e) => ({ name: e.name, data: e.data })))),
  entries.map((es) =>
    zip(
      es.map((e, i) => ({ name: e.name, data: e.data, descriptor: i % 2 === 0 })),
      { zip64: true },
    ),
  ),
  entries.map((es) => asar(Object.fromEntries(es.map((e) => [e.name.replaceAll("/", "_"), e.data])))),
);

/** A mutation: flip a byte, cut the tail, or insert bytes. */
const mutated = fc
  .tuple(archives, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom("flip", "cut", "insert"))
  .map(([bytes, at, value, how]) => {
    const i = at % Math.max(1, bytes.length);
    if (how === "flip") {
      const copy = Buffer.from(bytes);
      copy[i] = ((copy[i] ?? 0) ^ value) & 0xff;
      return copy;
    }
    if (how === "cut") return bytes.subarray(0, i);
    return Buffer.concat([bytes.subarray(0, i), Buffer.alloc(value, value), bytes.subarray(i)]);
  });

/** Random bytes behind each format's magic. */
const behindMagic = fc
  .tuple(fc.constantFrom("asar", "zip", "gzip"), fc.uint8Array({ maxLength: 600 }))
  .map(([kind, tail]) => {
    const head =
      kind === "asar"
        ? Buffer.from([4, 0, 0, 0, 0x40, 0, 0, 0, 0x3c, 0, 0, 0, 0x30, 0, 0, 0, 0x7b])
        : kind === "zip"
          ? Buffer.from("PK\x03\x04", "latin1")
          : Buffer.from([0x1f, 0x8b, 8, 0]);
    return Buffer.concat([head, tail]);
  });

describe("walking hostile bytes", () => {
  it("valid archives with a byte flipped, cut or inserted: files or a typed error", async (t) => {
    const dir = tempDir(t);
    await fc.assert(
      fc.asyncProperty(mutated, async (bytes) => {
        const outcome = await walkBytes(dir, bytes);
        assert.ok(outcome === "ok" || outcome.startsWith("SCAN_"), outcome);
      }),
      { numRuns: RUNS },
    );
  });

  it("random bytes behind asar, zip and gzip magic: files or a typed error", async (t) => {
    const dir = tempDir(t);
    await fc.assert(
      fc.asyncProperty(behindMagic, async (bytes) => {
        const outcome = await walkBytes(dir, bytes);
        assert.ok(outcome === "ok" || outcome.startsWith("SCAN_"), outcome);
      }),
      { numRuns: RUNS },
    );
  });
});
