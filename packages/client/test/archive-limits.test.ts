/**
 * The extraction bounds, each enforced while the archive streams: decompression bombs stop
 * at the bound (never writing past it), declared sizes over a bound are refused before a
 * byte is written, and every other bound (entries, entry size, path length, compression
 * ratio, pax headers) is a typed `ARCHIVE_TOO_LARGE`.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { ARCHIVE_ERRORS, type ExtractOptions, MAX_PAX_HEADER_BYTES } from "../src/archive/index.js";
import { assertRefused, extractIn, gzip, type TarSpec, tar, zip } from "./archive-fixtures.js";

const { TOO_LARGE, MALFORMED, UNSAFE_PATH } = ARCHIVE_ERRORS;
const MiB = 1024 * 1024;
/** Generous: each bomb below stops within milliseconds; expanding it fully would take seconds. */
const QUICKLY_MS = 3000;

/** Extracts with a progress recorder; returns the outcome, the most bytes ever written, and the time taken. */
async function watched(t: Parameters<typeof extractIn>[0], archive: Buffer, options: ExtractOptions) {
  let maxBytes = 0;
  const started = performance.now();
  const run = await extractIn(t, archive, {
    ...options,
    onProgress: (p) => {
      maxBytes = Math.max(maxBytes, p.bytes);
    },
  });
  return { ...run, maxBytes, ms: performance.now() - started };
}

/**
 * A 1 GiB tar.gz in about 1 MB: 1024 entries of 1 MiB of zeros, as concatenated gzip members
 * (one member per header, and one shared member for every entry's data).
 */
function gigabyteTarGz(): Buffer {
  const data = gzip(Buffer.alloc(MiB));
  const parts: Buffer[] = [];
  for (let i = 0; i < 1024; i++) {
    const header = tar([{ name: `zeros-${i}`, size: MiB }], { end: false }).subarray(0, 512);
    parts.push(gzip(header), data);
  }
  parts.push(gzip(Buffer.alloc(1024)));
  return Buffer.concat(parts);
}

describe("decompression bombs stop at the bound, quickly", () => {
  it("refuses a gzip bomb of one 50 MB file from its declared size, before writing a byte", async (t) => {
    const bomb = gzip(tar([{ name: "zeros", data: Buffer.alloc(50 * MiB) }]));
    const { box, outcome, maxBytes, ms } = await watched(t, bomb, { maxTotalBytes: 10 * MiB });
    const error = assertRefused(box, outcome, TOO_LARGE);
    assert.match(error.message, /"zeros" declares 52428800 bytes/);
    assert.equal(maxBytes, 0);
    assert.ok(ms < QUICKLY_MS, `took ${ms} ms`);
  });

  it("stops a 1 GiB tar.gz of many 1 MiB files at maxTotalBytes, never writing past it", async (t) => {
    const bomb = gigabyteTarGz();
    assert.ok(bomb.length < 2 * MiB, `the bomb is ${bomb.length} bytes`);
    const { box, outcome, maxBytes, ms } = await watched(t, bomb, { maxTotalBytes: 10 * MiB });
    assertRefused(box, outcome, TOO_LARGE);
    assert.ok(maxBytes <= 10 * MiB, `wrote ${maxBytes} bytes`);
    assert.ok(maxBytes >= 9 * MiB, "it did extract up to the bound");
    assert.ok(ms < QUICKLY_MS, `took ${ms} ms`);
  });

  it("stops 50 MB of gzipped zeros (no tar inside) after the end-of-archive padding bound", async (t) => {
    const bomb = gzip(Buffer.alloc(50 * MiB));
    const { box, outcome, ms } = await watched(t, bomb, {});
    const error = assertRefused(box, outcome, TOO_LARGE);
    assert.match(error.message, /after its end-of-archive blocks/);
    assert.ok(ms < QUICKLY_MS, `took ${ms} ms`);
  });

  it("stops a zip entry whose directory says 1 KiB but whose deflate data expands to 50 MB", async (t) => {
    const bomb = zip([
      { name: "small.txt", data: Buffer.alloc(50 * MiB), central: { size: 1024 }, local: { size: 1024 } },
    ]);
    const { box, outcome, maxBytes, ms } = await watched(t, bomb, {});
    assertRefused(box, outcome, MALFORMED);
    assert.ok(maxBytes <= 1024, `wrote ${maxBytes} bytes`);
    assert.ok(ms < QUICKLY_MS, `took ${ms} ms`);
  });

  it("refuses an honest 50 MB zip entry over maxTotalBytes from its directory, before writing a byte", async (t) => {
    const bomb = zip([{ name: "zeros", data: Buffer.alloc(50 * MiB) }]);
    const { box, outcome, maxBytes } = await watched(t, bomb, { maxTotalBytes: 10 * MiB });
    assertRefused(box, outcome, TOO_LARGE);
    assert.equal(maxBytes, 0);
  });

  it("refuses a zip whose entries together declare more than maxTotalBytes, before writing a byte", async (t) => {
    const bomb = zip(Array.from({ length: 20 }, (_, i) => ({ name: `z${i}`, data: Buffer.alloc(MiB) })));
    const { box, outcome, maxBytes } = await watched(t, bomb, { maxTotalBytes: 10 * MiB });
    assertRefused(box, outcome, TOO_LARGE);
    assert.equal(maxBytes, 0);
  });
});

describe("stopping early releases the archive", () => {
  const fdCount = () => readdirSync("/proc/self/fd").length;
  it("closes the archive's file after refusing a tar.gz and a zip midway", {
    skip: !existsSync("/proc/self/fd") && "needs /proc/self/fd",
  }, async (t) => {
    // Incompressible data, so the refusal comes long before the end of the file.
    const noise = randomBytes(2 * MiB);
    const tgz = gzip(
      tar([
        { name: "a", data: noise },
        { name: "b", data: noise },
      ]),
    );
    const lying = zip([{ name: "a", data: noise, central: { size: 1000 }, local: { size: 1000 } }]);
    const before = fdCount();
    for (let i = 0; i < 20; i++) {
      const a = await extractIn(t, tgz, { maxTotalBytes: 3 * MiB });
      assertRefused(a.box, a.outcome, TOO_LARGE);
      const b = await extractIn(t, lying);
      assertRefused(b.box, b.outcome, MALFORMED);
    }
    assert.equal(fdCount(), before);
  });
});

describe("work is linear in the archive, whatever its shape", () => {
  it("extracts 1,000 files 500 directories deep quickly", async (t) => {
    const deep = "d/".repeat(500);
    const specs: TarSpec[] = Array.from({ length: 1000 }, (_, i) => ({
      name: `f${i}`,
      data: "",
      pax: { path: `${deep}f${i}` },
    }));
    const started = performance.now();
    const { outcome } = await extractIn(t, tar(specs));
    assert.ok("result" in outcome, String("error" in outcome && outcome.error));
    assert.equal(outcome.result.files, 1000);
    assert.ok(performance.now() - started < QUICKLY_MS * 5, `took ${performance.now() - started} ms`);
  });

  it("stops resolving links that cost too much (long chains of long targets)", async (t) => {
    // 40 links, each a 2,000-step detour to the next; then 1,000 links into the chain.
    const detour = "./".repeat(1990);
    const chain: TarSpec[] = Array.from({ length: 40 }, (_, i) => ({
      name: `l${i}`,
      type: "2",
      linkname: "x",
      pax: { linkpath: `${detour}${i === 39 ? "end" : `l${i + 1}`}` },
    }));
    const users: TarSpec[] = Array.from({ length: 1000 }, (_, i) => ({ name: `u${i}`, type: "2", linkname: "l0" }));
    const started = performance.now();
    const { box, outcome } = await extractIn(t, tar([{ name: "end", data: "" }, ...chain, ...users]));
    const error = assertRefused(box, outcome, TOO_LARGE);
    assert.match(error.message, /links take too long/);
    assert.ok(performance.now() - started < QUICKLY_MS * 5, `took ${performance.now() - started} ms`);
  });
});

describe("every bound is a typed ARCHIVE_TOO_LARGE", () => {
  const files = (n: number): TarSpec[] => Array.from({ length: n }, (_, i) => ({ name: `f${i}`, data: "x" }));
  const zfiles = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `f${i}`, data: "x" }));
  const longName = `${"d/".repeat(150)}file`; // 304 bytes
  const cases: Array<{ bound: string; archive: () => Buffer; options: ExtractOptions; code?: string }> = [
    { bound: "maxEntries (tar)", archive: () => tar(files(11)), options: { maxEntries: 10 } },
    { bound: "maxEntries (zip, from its directory)", archive: () => zip(zfiles(11)), options: { maxEntries: 10 } },
    {
      bound: "maxEntryBytes (tar)",
      archive: () => tar([{ name: "big", data: Buffer.alloc(2 * MiB) }]),
      options: { maxEntryBytes: MiB },
    },
    {
      bound: "maxEntryBytes (zip)",
      archive: () => zip([{ name: "big", data: Buffer.alloc(2 * MiB) }]),
      options: { maxEntryBytes: MiB },
    },
    {
      bound: "maxPathLength (pax path)",
      archive: () => tar([{ name: "x", data: "x", pax: { path: longName } }]),
      options: { maxPathLength: 200 },
    },
    {
      bound: "maxPathLength (GNU long name)",
      archive: () => tar([{ name: longName, data: "x", longName: true, gnu: true }]),
      options: { maxPathLength: 200 },
    },
    {
      bound: "maxPathLength (zip name)",
      archive: () => zip([{ name: longName, data: "x" }]),
      options: { maxPathLength: 200 },
    },
    {
      bound: "maxPathLength (symlink target)",
      archive: () => tar([{ name: "l", type: "2", linkname: "a", pax: { linkpath: longName } }]),
      options: { maxPathLength: 200 },
    },
    {
      bound: "maxPathLength (zip symlink target)",
      archive: () => zip([{ name: "l", symlink: longName }]),
      options: { maxPathLength: 200 },
    },
    {
      bound: "maxCompressionRatio (tar.gz)",
      archive: () => gzip(tar([{ name: "z", data: Buffer.alloc(5 * MiB) }])),
      options: { maxCompressionRatio: 100 },
    },
    {
      bound: "maxCompressionRatio (zip entry)",
      archive: () => zip([{ name: "z", data: Buffer.alloc(5 * MiB) }]),
      options: { maxCompressionRatio: 100 },
    },
    {
      bound: "the pax header size",
      archive: () => tar([{ name: "x", data: "x", pax: { comment: "c".repeat(MAX_PAX_HEADER_BYTES) } }]),
      options: {},
    },
    {
      bound: "maxTotalBytes counting tar headers (1000 empty files)",
      archive: () => tar(Array.from({ length: 1000 }, (_, i) => ({ name: `e${i}` }))),
      options: { maxTotalBytes: 100_000 },
    },
    {
      bound: "segment length (255 bytes)",
      archive: () => tar([{ name: "s".repeat(256), data: "x", longName: true, gnu: true }]),
      options: {},
      code: UNSAFE_PATH,
    },
  ];
  for (const c of cases) {
    it(`refuses an archive over ${c.bound}`, async (t) => {
      const { box, outcome } = await extractIn(t, c.archive(), c.options);
      const error = assertRefused(box, outcome, c.code ?? TOO_LARGE);
      t.diagnostic(error.message);
    });
  }

  it("extracts an archive exactly at its bounds", async (t) => {
    const { outcome } = await extractIn(
      t,
      zip([
        { name: "a", data: Buffer.alloc(MiB) },
        { name: "b", data: "b" },
      ]),
      {
        maxTotalBytes: MiB + 1,
        maxEntryBytes: MiB,
        maxEntries: 2,
      },
    );
    assert.ok("result" in outcome, String("error" in outcome && outcome.error));
    assert.equal(outcome.result.totalBytes, MiB + 1);
    const over = await extractIn(
      t,
      zip([
        { name: "a", data: Buffer.alloc(MiB) },
        { name: "b", data: "b" },
      ]),
      {
        maxTotalBytes: MiB,
      },
    );
    assertRefused(over.box, over.outcome, TOO_LARGE);
  });

  it("extracts a highly compressible archive when no ratio bound is set", async (t) => {
    const { outcome } = await extractIn(t, gzip(tar([{ name: "z", data: Buffer.alloc(5 * MiB) }])));
    assert.ok("result" in outcome);
  });
});
