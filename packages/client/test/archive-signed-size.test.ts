/**
 * The signed unpacked size of a release archive (issue 12, route 5): `measureArchive` walks
 * an archive as the extraction would, writing nothing, and its numbers are exactly what the
 * extraction's bounds count; `limitsForRelease` tightens the configured bounds to them, so
 * a bomb listed under a small signed size stops there, not at the 2 GiB default.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { TargetFile } from "@bulwark/tuf";
import { DEFAULT_MAX_ENTRIES, DEFAULT_MAX_TOTAL_BYTES } from "../src/archive/limits.js";
import {
  ARCHIVE_ERRORS,
  limitsForRelease,
  measureArchive,
  releaseOf,
  type UnpackedSize,
  writeReleaseMetadata,
} from "../src/index.js";
import { assertRefused, extractIn, gzip, sandbox, tar, zip } from "./archive-fixtures.js";

const MiB = 1024 * 1024;

const ARCHIVES: ReadonlyArray<{ name: string; bytes: () => Buffer }> = [
  {
    name: "a tar with implicit parents and a directory named after its contents",
    bytes: () =>
      tar([
        { name: "bin/app", data: "#!/bin/sh\n", mode: 0o755 },
        { name: "bin/", type: "5" },
        { name: "share/doc/README", data: "hello" },
        { name: "link", type: "2", linkname: "bin/app" },
      ]),
  },
  {
    name: "a tar.gz with a leading ./ and an empty file",
    bytes: () =>
      gzip(
        tar([
          { name: "./", type: "5" },
          { name: "./VERSION", data: "1.0.0\n" },
          { name: "./empty", data: "" },
          { name: "./a/b/c/d", data: Buffer.alloc(70_000, 7) },
        ]),
      ),
  },
  {
    name: "a zip with directories, a symlink and deflated data",
    bytes: () =>
      zip([
        { name: "app/", data: "" },
        { name: "app/main.js", data: "console.log(1)\n".repeat(100) },
        { name: "lib/x/y.txt", data: "y" },
        { name: "app/current", symlink: "main.js" },
      ]),
  },
];

describe("measureArchive", () => {
  for (const archive of ARCHIVES) {
    it(`counts what the extraction counts: ${archive.name}`, async (t) => {
      const box = sandbox(t, archive.bytes());
      const measured = await measureArchive(box.archive);
      assert.ok(measured);
      assert.deepEqual(readdirSync(box.out), [], "measuring writes nothing");
      const { outcome } = await extractIn(t, archive.bytes(), { maxContentBytes: measured.bytes });
      assert.ok("result" in outcome, String((outcome as { error: unknown }).error));
      assert.equal(outcome.result.totalBytes, measured.bytes);
      assert.equal(outcome.result.format, measured.format);
      // Exactly the signed numbers pass; one less of either is refused.
      const exact = await extractIn(t, archive.bytes(), limitsForRelease({}, measured));
      assert.ok("result" in exact.outcome);
      const fewer = await extractIn(
        t,
        archive.bytes(),
        limitsForRelease({}, { ...measured, entries: measured.entries - 1 }),
      );
      assertRefused(fewer.box, fewer.outcome, ARCHIVE_ERRORS.TOO_LARGE);
      if (measured.bytes > 0) {
        const smaller = await extractIn(
          t,
          archive.bytes(),
          limitsForRelease({}, { ...measured, bytes: measured.bytes - 1 }),
        );
        assertRefused(smaller.box, smaller.outcome, ARCHIVE_ERRORS.TOO_LARGE);
      }
    });
  }

  it("returns undefined for a file that is not an archive", async (t) => {
    const box = sandbox(t, Buffer.from("#!/bin/sh\necho not an archive\n"));
    assert.equal(await measureArchive(box.archive), undefined);
  });

  it("refuses what an extraction refuses (an unsafe path)", async (t) => {
    const box = sandbox(t, tar([{ name: "../escape", data: "x" }]));
    await assert.rejects(measureArchive(box.archive), { code: ARCHIVE_ERRORS.UNSAFE_PATH });
  });

  it("stops measuring a bomb at the bound it is given", async (t) => {
    const box = sandbox(t, gzip(tar([{ name: "zeros", data: Buffer.alloc(8 * MiB) }])));
    await assert.rejects(measureArchive(box.archive, { maxTotalBytes: MiB }), { code: ARCHIVE_ERRORS.TOO_LARGE });
  });
});

describe("limitsForRelease", () => {
  it("keeps the configured bounds for a release without a signed size", () => {
    assert.deepEqual(limitsForRelease({ maxTotalBytes: 5 }, undefined), { maxTotalBytes: 5 });
  });

  it("takes the smaller of the signed size and the configured bounds", () => {
    const signed: UnpackedSize = { bytes: 1000, entries: 10 };
    assert.deepEqual(limitsForRelease({}, signed), { maxContentBytes: 1000, maxEntries: 10 });
    assert.deepEqual(limitsForRelease({ maxTotalBytes: 500, maxEntries: 3 }, signed), {
      maxTotalBytes: 500,
      maxContentBytes: 500,
      maxEntries: 3,
    });
    const huge: UnpackedSize = { bytes: 2 ** 40, entries: 10 ** 9 };
    assert.deepEqual(limitsForRelease({}, huge), {
      maxContentBytes: DEFAULT_MAX_TOTAL_BYTES,
      maxEntries: DEFAULT_MAX_ENTRIES,
    });
  });

  it("stops a bomb of many small files at its signed size, having written no more than that", async (t) => {
    const bomb = gzip(tar(Array.from({ length: 16 }, (_, i) => ({ name: `part-${i}`, data: Buffer.alloc(MiB) }))));
    let written = 0;
    const { box, outcome } = await extractIn(t, bomb, {
      ...limitsForRelease({}, { bytes: 100_000, entries: 20 }),
      onProgress: (p) => {
        written = Math.max(written, p.bytes);
      },
    });
    const error = assertRefused(box, outcome, ARCHIVE_ERRORS.TOO_LARGE);
    assert.match(error.message, /maxContentBytes \(100000\)/);
    assert.ok(written <= 100_000, `wrote ${written} bytes`);
    const reported = Number(/(\d+) bytes of file content were written/.exec(error.message)?.[1]);
    assert.ok(reported <= 100_000, error.message);
  });
});

describe("custom.bulwark.unpacked", () => {
  const fields = { name: "app", version: "1.0.0", channel: "stable", released: "2024-01-01T00:00:00Z" };

  it("is written by the vendor and read back by the client", () => {
    const target = new TargetFile("app/1.0.0/app.tar.gz", 10, new Map([["sha256", "00".repeat(32)]]));
    writeReleaseMetadata(target, { ...fields, unpacked: { bytes: 1234, entries: 5 } });
    assert.deepEqual(target.custom?.bulwark, { ...fields, unpacked: { bytes: 1234, entries: 5 } });
    assert.deepEqual(releaseOf(target)?.unpacked, { bytes: 1234, entries: 5 });
  });

  it("makes a release with a malformed value unreadable (fail closed)", () => {
    for (const unpacked of [{ bytes: -1, entries: 1 }, { bytes: 1 }, { bytes: 1.5, entries: 1 }, "big", null]) {
      const target = new TargetFile("app/1.0.0/app.tar.gz", 10, new Map([["sha256", "00".repeat(32)]]));
      target.custom = { bulwark: { ...fields, unpacked } };
      assert.equal(releaseOf(target), undefined, JSON.stringify(unpacked));
    }
  });
});
