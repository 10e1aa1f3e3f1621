/**
 * The walk through a release's archives: every format, nested archives named with `!/`,
 * and the bounds that stop hostile archives (zip bombs, too many entries, too deep a nest,
 * names that climb out) with typed errors.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "@bulwark/testkit";
import { gzip, tar, zip } from "@bulwark/testkit/archives";
import {
  ScanFormatError,
  ScanLimitError,
  type ScanProgress,
  scanRelease,
  type WalkItem,
  walkRelease,
} from "../src/index.js";
import { asar, noise } from "./release-builders.js";

async function walk(file: string, options: Parameters<typeof walkRelease>[1] = {}): Promise<WalkItem[]> {
  const items: WalkItem[] = [];
  // A file's bytes are valid until the walk moves on (its buffer is reused): keep a copy.
  for await (const item of walkRelease(file, options)) {
    items.push(item.kind === "file" ? { ...item, bytes: Buffer.from(item.bytes) } : item);
  }
  return items;
}

function paths(items: readonly WalkItem[]): string[] {
  return items.map((i) => `${i.kind === "file" ? "" : `${i.kind}:`}${i.path}`);
}

describe("walking a release's archives", () => {
  it("reads tar, tar.gz, zip and asar, and names nested files through their archive with !/", async (t) => {
    const dir = tempDir(t);
    const inner = zip([{ name: "lib/readme.txt", data: "zip inside asar" }]);
    const app = asar({
      "package.json": '{"name":"app","version":"1.0.0"}',
      lib: { "x.zip": inner },
      link: { link: "package.json" },
    });
    const release = path.join(dir, "release.tar.gz");
    writeFileSync(
      release,
      gzip(
        tar([
          { name: "app/resources/app.asar", data: app },
          { name: "app/run.sh", data: "#!/bin/sh\n", mode: 0o755 },
        ]),
      ),
    );
    const items = await walk(release);
    assert.deepEqual(paths(items), [
      "app/resources/app.asar",
      "app/resources/app.asar!/package.json",
      "app/resources/app.asar!/lib/x.zip",
      "app/resources/app.asar!/lib/x.zip!/lib/readme.txt",
      "app/run.sh",
    ]);
    const leaf = items.find((i) => i.path.endsWith("readme.txt"));
    assert.equal(leaf?.kind === "file" && leaf.bytes.toString(), "zip inside asar");
    const script = items.find((i) => i.path === "app/run.sh");
    assert.equal(script?.kind === "file" && script.executable, true);
  });

  it("reads zip64 archives: zip64 end record, extra fields, 8-byte data descriptors, nested too", async (t) => {
    const dir = tempDir(t);
    const z64 = zip(
      [
        { name: "a/readme.txt", data: "zip64 entry" },
        { name: "b.bin", data: noise(3000), descriptor: true },
      ],
      { zip64: true },
    );
    writeFileSync(path.join(dir, "top.zip"), z64);
    const top = await walk(path.join(dir, "top.zip"));
    assert.deepEqual(paths(top), ["a/readme.txt", "b.bin"]);
    assert.equal(top[0]?.kind === "file" && top[0].bytes.toString(), "zip64 entry");
    writeFileSync(path.join(dir, "outer.tar"), tar([{ name: "inner.zip", data: z64 }]));
    assert.deepEqual(paths(await walk(path.join(dir, "outer.tar"))), [
      "inner.zip",
      "inner.zip!/a/readme.txt",
      "inner.zip!/b.bin",
    ]);
  });

  it("reads a zip64 archive written by Info-ZIP (zip -fz), when zip is installed", async (t) => {
    const dir = tempDir(t);
    try {
      execFileSync("zip", ["-v"], { stdio: "ignore" });
    } catch {
      t.skip("Info-ZIP zip is not installed (apt-get install zip): the writer-made zip64 case above still runs");
      return;
    }
    mkdirSync(path.join(dir, "src"));
    writeFileSync(path.join(dir, "src", "hello.txt"), "hello from Info-ZIP\n");
    execFileSync("zip", ["-q", "-fz", "-r", path.join(dir, "info.zip"), "src"], { cwd: dir });
    const items = await walk(path.join(dir, "info.zip"));
    const hello = items.find((i) => i.path === "src/hello.txt");
    assert.equal(hello?.kind === "file" && hello.bytes.toString(), "hello from Info-ZIP\n");
  });

  it("walks a folder in sorted order and reads a single file as itself", async (t) => {
    const dir = tempDir(t);
    writeFileSync(path.join(dir, "b.txt"), "b");
    writeFileSync(path.join(dir, "a.zip"), zip([{ name: "in.txt", data: "in" }]));
    assert.deepEqual(paths(await walk(dir)), ["a.zip", "a.zip!/in.txt", "b.txt"]);
    assert.deepEqual(paths(await walk(path.join(dir, "b.txt"))), ["b.txt"]);
  });

  it("notes asar files kept in app.asar.unpacked instead of reading them", async (t) => {
    const file = path.join(tempDir(t), "app.asar");
    writeFileSync(file, asar({ "native.node": { unpacked: 1234 }, "index.js": "x" }));
    const items = await walk(file);
    assert.deepEqual(paths(items), ["unpacked:native.node", "index.js"]);
  });

  it("refuses a zip bomb at the compression-ratio bound (SCAN_LIMIT_COMPRESSION_RATIO)", async (t) => {
    const file = path.join(tempDir(t), "bomb.zip");
    writeFileSync(file, zip([{ name: "zeros", data: Buffer.alloc(8 * 1024 * 1024) }]));
    await assert.rejects(
      walk(file),
      (e: unknown) => e instanceof ScanLimitError && e.code === "SCAN_LIMIT_COMPRESSION_RATIO",
    );
  });

  it("refuses a tar.gz bomb while it streams (SCAN_LIMIT_COMPRESSION_RATIO)", async (t) => {
    const file = path.join(tempDir(t), "bomb.tar.gz");
    writeFileSync(file, gzip(tar([{ name: "zeros", data: Buffer.alloc(16 * 1024 * 1024) }])));
    await assert.rejects(
      walk(file),
      (e: unknown) => e instanceof ScanLimitError && e.code === "SCAN_LIMIT_COMPRESSION_RATIO",
    );
  });

  it("refuses a nested zip bomb: a bomb inside an archive stops the scan, not just its entry", async (t) => {
    const file = path.join(tempDir(t), "outer.tar");
    writeFileSync(
      file,
      tar([{ name: "inner.zip", data: zip([{ name: "zeros", data: Buffer.alloc(8 * 1024 * 1024) }]) }]),
    );
    await assert.rejects(
      walk(file),
      (e: unknown) => e instanceof ScanLimitError && e.code === "SCAN_LIMIT_COMPRESSION_RATIO",
    );
  });

  it("a bomb in the new release stops the walk of the previous one too", async (t) => {
    const dir = tempDir(t);
    const bomb = path.join(dir, "bomb.zip");
    writeFileSync(bomb, zip([{ name: "zeros", data: Buffer.alloc(8 * 1024 * 1024) }]));
    const previous = path.join(dir, "previous");
    mkdirSync(previous);
    for (let i = 0; i < 3000; i++) writeFileSync(path.join(previous, `f${i}.txt`), `file ${i}`);
    const seen: ScanProgress[] = [];
    await assert.rejects(
      scanRelease(bomb, { previous, onProgress: (p) => seen.push(p) }),
      (e: unknown) => e instanceof ScanLimitError,
    );
    const atRefusal = seen.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(seen.length, atRefusal, "nothing more was walked after the refusal");
    assert.ok(atRefusal < 3000);
  });

  it("refuses more entries than maxEntries (SCAN_LIMIT_ENTRIES), nested ones counted", async (t) => {
    const file = path.join(tempDir(t), "many.tar");
    const inner = zip(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, data: "x" })));
    writeFileSync(file, tar([{ name: "a.zip", data: inner }]));
    await assert.rejects(
      walk(file, { limits: { maxEntries: 10 } }),
      (e: unknown) => e instanceof ScanLimitError && e.code === "SCAN_LIMIT_ENTRIES",
    );
  });

  it("refuses a file over maxFileBytes before reading it (SCAN_LIMIT_FILE_BYTES)", async (t) => {
    const file = path.join(tempDir(t), "big.tar");
    writeFileSync(file, tar([{ name: "big", data: noise(4096) }]));
    await assert.rejects(
      walk(file, { limits: { maxFileBytes: 1000 } }),
      (e: unknown) => e instanceof ScanLimitError && e.code === "SCAN_LIMIT_FILE_BYTES",
    );
  });

  it("stops opening archives at maxDepth (a nest of archives)", async (t) => {
    let nested: Buffer = zip([{ name: "core.txt", data: "core" }]);
    for (let i = 0; i < 6; i++) nested = zip([{ name: `level${i}.zip`, data: nested }]);
    const file = path.join(tempDir(t), "nest.zip");
    writeFileSync(file, nested);
    const items = await walk(file, { limits: { maxDepth: 3 } });
    assert.equal(items.length, 3);
    assert.ok(items.every((i) => i.path.split("!/").length <= 3));
  });

  for (const [attack, name] of [
    ["a name that climbs out with ..", "../../etc/passwd"],
    ["an absolute name", "/etc/passwd"],
    ["a Windows drive name", "C:\\evil.dll"],
  ] as const) {
    it(`refuses ${attack} (path traversal, SCAN_BAD_ARCHIVE_PATH)`, async (t) => {
      const file = path.join(tempDir(t), "evil.tar");
      writeFileSync(file, tar([{ name, data: "x" }]));
      await assert.rejects(
        walk(file),
        (e: unknown) => e instanceof ScanFormatError && e.code === "SCAN_BAD_ARCHIVE_PATH",
      );
    });
  }

  it("refuses an asar name that climbs out (SCAN_BAD_ARCHIVE_PATH)", async (t) => {
    const file = path.join(tempDir(t), "app.asar");
    writeFileSync(file, asar({ "..": { "evil.js": "x" } }));
    await assert.rejects(
      walk(file),
      (e: unknown) => e instanceof ScanFormatError && e.code === "SCAN_BAD_ARCHIVE_PATH",
    );
  });

  it("refuses an asar entry whose offset lies past the archive (SCAN_BAD_ASAR)", async (t) => {
    const file = path.join(tempDir(t), "app.asar");
    writeFileSync(
      file,
      asar({ "index.js": "abc" }, (table) => {
        const files = table.files as Record<string, { offset: string }>;
        files["index.js"] = { ...(files["index.js"] as { offset: string }), offset: "999999" };
      }),
    );
    await assert.rejects(walk(file), (e: unknown) => e instanceof ScanFormatError && e.code === "SCAN_BAD_ASAR");
  });

  it("reports a corrupt archive nested in a release as unreadable and goes on", async (t) => {
    const broken = zip([{ name: "a.txt", data: "hello hello hello" }]);
    broken.writeUInt32LE(7, broken.length - 6); // the central directory's offset now points elsewhere
    const file = path.join(tempDir(t), "release.tar");
    writeFileSync(
      file,
      tar([
        { name: "broken.zip", data: broken },
        { name: "after.txt", data: "after" },
      ]),
    );
    const items = await walk(file);
    assert.deepEqual(paths(items), ["broken.zip", "unreadable:broken.zip", "after.txt"]);
    const unreadable = items[1];
    assert.equal(unreadable?.kind === "unreadable" && unreadable.error.code, "SCAN_BAD_ZIP");
  });

  it("refuses a truncated top-level tar.gz with SCAN_BAD_TAR", async (t) => {
    const whole = gzip(tar([{ name: "a", data: noise(100_000) }]));
    const file = path.join(tempDir(t), "cut.tar.gz");
    writeFileSync(file, whole.subarray(0, whole.length / 2));
    await assert.rejects(walk(file), (e: unknown) => e instanceof ScanFormatError && e.code === "SCAN_BAD_TAR");
  });
});
