/**
 * Correct extraction: nested and empty directories, execute bits, Unicode names, links
 * inside the tree, the tar extensions (GNU long names, pax, ustar prefix) and zip's two
 * methods and data descriptors; and cross-checks with the system's `tar`, `zip` and `unzip`,
 * both ways, on the same trees.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { describe, it, type TestContext } from "node:test";
import { UsageError } from "@bulwark/tuf";
import { crc32 } from "../src/archive/crc32.js";
import {
  DEST_EXISTS,
  detectArchiveFormat,
  type ExtractProgress,
  extractArchive,
  extractTar,
  extractZip,
} from "../src/archive/index.js";
import {
  extractIn,
  fixtureCrc32,
  gzip,
  hasProgram,
  sandbox,
  type TarSpec,
  type TreeItem,
  tar,
  tempDir,
  walkTree,
  type ZipSpec,
  zip,
} from "./archive-fixtures.js";

const LONG_DIR = `${"long-directory-name-".repeat(6)}end`; // 123 characters: past ustar's 100
const ODD_MTIME = 1_600_000_001;
const LONG_NAME = `${LONG_DIR}/${"f".repeat(120)}.txt`;

/** The tree every "release" in this file holds, as tar specs. */
const RELEASE_TAR: TarSpec[] = [
  { name: "app/" },
  { name: "app/bin/" },
  { name: "app/bin/run", data: "#!/bin/sh\necho run\n", mode: 0o755 },
  { name: "app/lib/nested/deep/" },
  { name: "app/lib/nested/deep/data.json", data: '{"a":1}\n' },
  { name: "app/empty/" },
  { name: "app/données/日本語.txt", data: "こんにちは\n" },
  { name: "app/emoji-😀.txt", data: "😀" },
  { name: "app/current", type: "2", linkname: "lib/nested" },
  { name: "app/readme", data: "", mode: 0o600 },
];

const RELEASE_TREE: TreeItem[] = walkExpected([
  ["app", "dir"],
  ["app/bin", "dir"],
  ["app/bin/run", "#!/bin/sh\necho run\n", true],
  ["app/current", "->lib/nested"],
  ["app/données", "dir"],
  ["app/données/日本語.txt", "こんにちは\n"],
  ["app/emoji-😀.txt", "😀"],
  ["app/empty", "dir"],
  ["app/lib", "dir"],
  ["app/lib/nested", "dir"],
  ["app/lib/nested/deep", "dir"],
  ["app/lib/nested/deep/data.json", '{"a":1}\n'],
  ["app/readme", ""],
]);

function walkExpected(rows: Array<[string, string, boolean?]>): TreeItem[] {
  return rows.map(([p, what, exec]) => {
    if (what === "dir") return { path: p, kind: "dir" };
    if (what.startsWith("->")) return { path: p, kind: "symlink", target: what.slice(2) };
    const sha256 = createHash("sha256").update(what, "utf8").digest("hex");
    return { path: p, kind: "file", exec: exec ?? false, sha256 };
  });
}

/** The same release as zip specs: deflate, stored, a data descriptor. */
const RELEASE_ZIP: ZipSpec[] = [
  { name: "app/" },
  { name: "app/bin/" },
  { name: "app/bin/run", data: "#!/bin/sh\necho run\n", mode: 0o100755 },
  { name: "app/lib/nested/deep/" },
  { name: "app/lib/nested/deep/data.json", data: '{"a":1}\n', method: 0 },
  { name: "app/empty/" },
  { name: "app/données/日本語.txt", data: "こんにちは\n", descriptor: true },
  { name: "app/emoji-😀.txt", data: "😀", method: 0, descriptor: true },
  { name: "app/current", symlink: "lib/nested" },
  { name: "app/readme", data: "" },
];

function modeOf(file: string): number {
  return statSync(file).mode & 0o777;
}

describe("extracts release archives", () => {
  const formats: Array<{ format: string; bytes: () => Buffer }> = [
    { format: "tar", bytes: () => tar(RELEASE_TAR) },
    { format: "tar.gz", bytes: () => gzip(tar(RELEASE_TAR)) },
    { format: "zip", bytes: () => zip(RELEASE_ZIP) },
  ];
  for (const { format, bytes } of formats) {
    it(`extracts nested and empty directories, execute bits, Unicode names and an inner link from a ${format}`, async (t) => {
      const box = sandbox(t, bytes());
      assert.equal(await detectArchiveFormat(box.archive), format);
      const result = await extractArchive(box.archive, box.dest);
      assert.equal(result.format, format);
      assert.equal(result.files, 5);
      assert.equal(result.directories, 4);
      assert.equal(result.symlinks, 1);
      assert.equal(result.totalBytes, 19 + 8 + 16 + 4);
      assert.deepEqual(
        result.paths,
        RELEASE_TAR.map((e) => e.name.replace(/\/$/, "")),
      );
      assert.deepEqual(walkTree(box.dest), RELEASE_TREE);
      assert.equal(modeOf(path.join(box.dest, "app/bin/run")), 0o755);
      assert.equal(modeOf(path.join(box.dest, "app/readme")), 0o644, "only the execute bit is kept");
      assert.equal(modeOf(path.join(box.dest, "app/empty")), 0o755);
      assert.deepEqual(readdirSync(box.out), ["dest"], "no .partial- directory is left");
    });
  }

  it("keeps only the execute bit: setuid, setgid, sticky and world-write are dropped", async (t) => {
    const { box, outcome } = await extractIn(
      t,
      tar([
        { name: "suid", data: "x", mode: 0o4777 },
        { name: "sticky-dir/", mode: 0o1777 },
        { name: "group-exec", data: "x", mode: 0o610 },
      ]),
    );
    assert.ok("result" in outcome);
    assert.equal(modeOf(path.join(box.dest, "suid")), 0o755);
    assert.equal(modeOf(path.join(box.dest, "sticky-dir")), 0o755);
    assert.equal(modeOf(path.join(box.dest, "group-exec")), 0o755);
  });

  it("reads GNU long names and long link names (L, K)", async (t) => {
    const { box, outcome } = await extractIn(
      t,
      tar([
        { name: LONG_NAME, data: "long", longName: true, gnu: true },
        { name: "link", type: "2", linkname: LONG_NAME, longLink: true, gnu: true },
      ]),
    );
    assert.ok("result" in outcome, String("error" in outcome && outcome.error));
    assert.equal(readFileSync(path.join(box.dest, LONG_NAME), "utf8"), "long");
    assert.equal(readFileSync(path.join(box.dest, "link"), "utf8"), "long");
  });

  it("reads pax path, linkpath, size and mtime, and ignores a global header", async (t) => {
    const globalHeader: TarSpec = {
      name: "pax_global_header",
      type: "g",
      data: "52 comment=0123456789abcdef0123456789abcdef01234567\n",
    };
    const big = "b".repeat(1000);
    const { box, outcome } = await extractIn(
      t,
      tar([
        globalHeader,
        { name: "short-name", data: "pax", pax: { path: LONG_NAME, mtime: "1600000000.5" } },
        { name: "l", type: "2", linkname: "x", pax: { linkpath: LONG_NAME, path: "dir/pax-link" } },
        { name: "sized", data: big, size: 0, pax: { size: String(big.length) } },
      ]),
      { preserveMtimes: true },
    );
    assert.ok("result" in outcome, String("error" in outcome && outcome.error));
    assert.deepEqual(outcome.result.paths, [LONG_NAME, "dir/pax-link", "sized"]);
    assert.equal(readFileSync(path.join(box.dest, LONG_NAME), "utf8"), "pax");
    assert.equal(statSync(path.join(box.dest, LONG_NAME)).mtimeMs, 1_600_000_000_500);
    assert.equal(lstatSync(path.join(box.dest, "dir/pax-link")).isSymbolicLink(), true);
    assert.equal(readFileSync(path.join(box.dest, "sized"), "utf8"), big);
  });

  it("joins the ustar prefix and name fields", async (t) => {
    const name = `${"p".repeat(90)}/${"q".repeat(40)}/file.txt`;
    const { box, outcome } = await extractIn(t, tar([{ name, data: "prefixed" }]));
    assert.ok("result" in outcome);
    assert.equal(readFileSync(path.join(box.dest, name), "utf8"), "prefixed");
  });

  it("accepts `./` prefixes and the `.` root entry that `tar -C dir .` writes", async (t) => {
    const { box, outcome } = await extractIn(t, tar([{ name: "./" }, { name: "./a/" }, { name: "./a/b", data: "b" }]));
    assert.ok("result" in outcome);
    assert.deepEqual(outcome.result.paths, ["a", "a/b"]);
    assert.deepEqual(
      walkTree(box.dest).map((i) => i.path),
      ["a", "a/b"],
    );
  });

  it("sets modification times only when asked", async (t) => {
    const specs: TarSpec[] = [
      { name: "d/", mtime: 1_500_000_000 },
      { name: "d/f", data: "f", mtime: 1_500_000_100 },
    ];
    const kept = await extractIn(t, tar(specs), { preserveMtimes: true });
    assert.equal(statSync(path.join(kept.box.dest, "d/f")).mtimeMs, 1_500_000_100_000);
    assert.equal(statSync(path.join(kept.box.dest, "d")).mtimeMs, 1_500_000_000_000);
    const now = await extractIn(t, tar(specs));
    assert.ok(statSync(path.join(now.box.dest, "d/f")).mtimeMs > 1_600_000_000_000);
  });

  it("takes zip modification times from the extended timestamp, else the MS-DOS time", async (t) => {
    const { box } = await extractIn(t, zip([{ name: "f", data: "f" }]), { preserveMtimes: true });
    const m = statSync(path.join(box.dest, "f")).mtime;
    assert.deepEqual(
      [m.getFullYear(), m.getMonth() + 1, m.getDate(), m.getHours(), m.getMinutes()],
      [2023, 12, 1, 11, 17],
    );
  });

  it("extracts an empty tar and an empty zip into an empty directory", async (t) => {
    // An empty plain tar has no magic to detect; gzipped, it is detected by gzip's.
    for (const bytes of [gzip(tar([])), zip([])]) {
      const { box, outcome } = await extractIn(t, bytes);
      assert.ok("result" in outcome);
      assert.equal(outcome.result.files, 0);
      assert.deepEqual(readdirSync(box.dest), []);
    }
  });

  it("extracts a tar through extractTar and a zip through extractZip", async (t) => {
    const a = sandbox(t, tar([{ name: "f", data: "tar" }]));
    assert.equal((await extractTar(a.archive, a.dest)).files, 1);
    const b = sandbox(t, zip([{ name: "f", data: "zip" }]));
    assert.equal((await extractZip(b.archive, b.dest)).files, 1);
  });

  it("reports progress as entries and bytes are written", async (t) => {
    const seen: ExtractProgress[] = [];
    await extractIn(t, tar([{ name: "a", data: "aaaa" }, { name: "b/" }]), { onProgress: (p) => seen.push(p) });
    assert.deepEqual(seen.at(-1), { entries: 2, bytes: 4 });
    assert.ok(seen.some((p) => p.entries === 1 && p.bytes === 4));
  });

  it("refuses an existing destination (UsageError ARCHIVE_DEST_EXISTS) and leaves it alone", async (t) => {
    const box = sandbox(t, tar([{ name: "f", data: "new" }]));
    mkdirSync(box.dest);
    writeFileSync(path.join(box.dest, "old"), "old");
    await assert.rejects(extractArchive(box.archive, box.dest), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.code, DEST_EXISTS);
      return true;
    });
    assert.deepEqual(readdirSync(box.dest), ["old"]);
    assert.deepEqual(readdirSync(box.out), ["dest"]);
  });

  it("refuses bad options with a UsageError", async (t) => {
    const box = sandbox(t, tar([]));
    for (const options of [{ maxTotalBytes: -1 }, { maxEntries: 1.5 }, { maxCompressionRatio: 0 }]) {
      await assert.rejects(extractArchive(box.archive, box.dest, options), UsageError);
    }
    assert.deepEqual(readdirSync(box.out), []);
  });

  it("computes the CRC-32 of the zip format", () => {
    assert.equal(crc32(Buffer.from("123456789")), 0xcbf43926);
    const data = Buffer.from("The quick brown fox jumps over the lazy dog ".repeat(50));
    assert.equal(crc32(data.subarray(100), crc32(data.subarray(0, 100))), fixtureCrc32(data));
  });
});

// ---------------------------------------------------------------------------------------
// cross-checks with the system's tools

/** The release tree on disk, for the system tools to archive. */
function writeSourceTree(dir: string): void {
  mkdirSync(path.join(dir, "app/bin"), { recursive: true });
  mkdirSync(path.join(dir, "app/lib/nested/deep"), { recursive: true });
  mkdirSync(path.join(dir, "app/empty"));
  mkdirSync(path.join(dir, "app/données"));
  mkdirSync(path.join(dir, `app/${LONG_DIR}`));
  writeFileSync(path.join(dir, "app/bin/run"), "#!/bin/sh\necho run\n");
  chmodSync(path.join(dir, "app/bin/run"), 0o755);
  // An odd second: MS-DOS times have two-second steps, so only a UTC extended timestamp keeps it.
  utimesSync(path.join(dir, "app/bin/run"), ODD_MTIME, ODD_MTIME);
  writeFileSync(path.join(dir, "app/lib/nested/deep/data.json"), '{"a":1}\n');
  writeFileSync(path.join(dir, "app/données/日本語.txt"), "こんにちは\n");
  writeFileSync(path.join(dir, "app/emoji-😀.txt"), "😀");
  writeFileSync(path.join(dir, `app/${LONG_NAME}`), "long");
  writeFileSync(path.join(dir, "app/big.bin"), Buffer.alloc(300_000, "abcdefgh"));
  writeFileSync(path.join(dir, "app/readme"), "");
  symlinkSync("lib/nested", path.join(dir, "app/current"));
  symlinkSync(`${LONG_NAME}`, path.join(dir, "app/long-link"));
}

function sh(cmd: string, args: string[], cwd: string): void {
  execFileSync(cmd, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

async function oursOf(t: TestContext, archive: string): Promise<TreeItem[]> {
  const box = sandbox(t, readFileSync(archive));
  await extractArchive(box.archive, box.dest);
  return walkTree(box.dest);
}

const HAS_ZIP = hasProgram("zip");
const HAS_UNZIP = hasProgram("unzip");
if (!HAS_ZIP || !HAS_UNZIP) {
  console.log("# note: zip/unzip not installed; the zip cross-checks with Info-ZIP are skipped");
}

describe("extracts real archives exactly as the system's tools made them", () => {
  const tarFormats = ["gnu", "posix", "ustar"] as const;
  for (const format of tarFormats) {
    it(`matches the source tree of a tar.gz made by tar --format=${format}`, async (t) => {
      const dir = tempDir(t);
      writeSourceTree(path.join(dir, "src"));
      const names = format === "ustar" ? ["app"] : ["."];
      // ustar cannot hold a 123-character directory name without a split; leave the long names out for it.
      const exclude = format === "ustar" ? ["--exclude", `app/${LONG_DIR}`, "--exclude", "app/long-link"] : [];
      sh(
        "tar",
        [...exclude, `--format=${format}`, "-czf", path.join(dir, "a.tgz"), "-C", path.join(dir, "src"), ...names],
        dir,
      );
      const expected = walkTree(path.join(dir, "src")).filter(
        (i) => format !== "ustar" || (!i.path.includes(LONG_DIR) && i.path !== "app/long-link"),
      );
      assert.deepEqual(await oursOf(t, path.join(dir, "a.tgz")), expected);
    });
  }

  it("matches the source tree of a plain tar made by tar", async (t) => {
    const dir = tempDir(t);
    writeSourceTree(path.join(dir, "src"));
    sh("tar", ["-cf", path.join(dir, "a.tar"), "-C", path.join(dir, "src"), "app"], dir);
    assert.deepEqual(await oursOf(t, path.join(dir, "a.tar")), walkTree(path.join(dir, "src")));
  });

  it("extracts its own test tars exactly as the system tar does", async (t) => {
    const dir = tempDir(t);
    const archive = path.join(dir, "a.tgz");
    writeFileSync(
      archive,
      gzip(
        tar([
          ...RELEASE_TAR,
          { name: LONG_NAME, data: "gnu", longName: true, gnu: true },
          { name: "p", data: "pax", pax: { path: `x/${LONG_NAME}` } },
        ]),
      ),
    );
    mkdirSync(path.join(dir, "system"));
    sh("tar", ["-xzf", archive, "-C", path.join(dir, "system")], dir);
    assert.deepEqual(await oursOf(t, archive), walkTree(path.join(dir, "system")));
  });

  it("matches the source tree of a zip made by zip -ry (deflate, stored with -0, streamed with data descriptors)", {
    skip: !HAS_ZIP && "zip is not installed",
  }, async (t) => {
    const dir = tempDir(t);
    writeSourceTree(path.join(dir, "src"));
    const src = path.join(dir, "src");
    sh("zip", ["-qry", path.join(dir, "deflate.zip"), "app"], src);
    sh("zip", ["-qry0", path.join(dir, "stored.zip"), "app"], src);
    // Written to a pipe, zip cannot seek back: it uses data descriptors (flag bit 3).
    // It refuses to store (method 0) anything that way, so the empty file and the links are left out.
    const streamedOut = ["app/readme", "app/current", "app/long-link"];
    const streamed = execFileSync("zip", ["-qry", "-", "app", "-x", ...streamedOut], { cwd: src, maxBuffer: 1 << 26 });
    writeFileSync(path.join(dir, "streamed.zip"), streamed);
    const expected = walkTree(src);
    assert.deepEqual(await oursOf(t, path.join(dir, "deflate.zip")), expected);
    // Info-ZIP's UTC extended timestamp, to the second.
    const timed = sandbox(t, readFileSync(path.join(dir, "deflate.zip")));
    await extractArchive(timed.archive, timed.dest, { preserveMtimes: true });
    assert.equal(statSync(path.join(timed.dest, "app/bin/run")).mtimeMs, ODD_MTIME * 1000);
    assert.deepEqual(await oursOf(t, path.join(dir, "stored.zip")), expected);
    const streamedTree = expected.filter((i) => !streamedOut.includes(i.path));
    assert.deepEqual(await oursOf(t, path.join(dir, "streamed.zip")), streamedTree);
  });

  it("extracts its own test zips exactly as unzip does", {
    skip: !HAS_UNZIP && "unzip is not installed",
  }, async (t) => {
    const dir = tempDir(t);
    const archive = path.join(dir, "a.zip");
    writeFileSync(archive, zip(RELEASE_ZIP));
    mkdirSync(path.join(dir, "system"));
    sh("unzip", ["-q", archive, "-d", path.join(dir, "system")], dir);
    assert.deepEqual(await oursOf(t, archive), walkTree(path.join(dir, "system")));
  });
});
