/**
 * Property tests of the archive readers on untrusted bytes: whatever the input — random
 * bytes, random bytes behind each format's magic, valid archives with bytes flipped,
 * truncated or inserted, archives of hostile names and links — extraction returns a result
 * or throws an ArchiveError with a known code, never another exception; and it never leaves
 * anything outside `dest`, nor anything at all when it fails. Links left inside `dest` are
 * resolved on disk, step by step, and must stay inside.
 */
import assert from "node:assert/strict";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ARCHIVE_ERRORS, ArchiveError, type ExtractResult, extractArchive } from "../src/archive/index.js";
import { gzip, type TarSpec, tar, type ZipSpec, zip } from "./archive-fixtures.js";

const RUNS = 150;
// A memory file system where there is one: these runs test logic, and a real disk's fsyncs
// (every extraction syncs its files and directories) would make them slow.
const SCRATCH = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
const CODES = new Set<string>(Object.values(ARCHIVE_ERRORS));
const SMALL = { maxTotalBytes: 1024 * 1024, maxEntries: 64 };

/** Every path under `dir`, relative, links not followed. */
function listAll(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(dir, rel))) {
    const p = rel === "" ? name : `${rel}/${name}`;
    out.push(p);
    const st = lstatSync(path.join(dir, p));
    if (st.isDirectory() && !st.isSymbolicLink()) out.push(...listAll(dir, p));
  }
  return out;
}

function inside(dest: string, p: string): boolean {
  const rel = path.relative(dest, p);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** Resolves the link at `link` like the kernel, asserting every step stays inside `dest`. */
function assertLinkInside(dest: string, link: string, hops = 0): string {
  assert.ok(hops < 64, `link loop at ${link}`);
  let resolved = path.dirname(link);
  for (const part of readlinkSync(link).split("/")) {
    if (part === "" || part === ".") continue;
    resolved = part === ".." ? path.dirname(resolved) : path.join(resolved, part);
    assert.ok(inside(dest, resolved), `${link} resolves through ${resolved}, outside ${dest}`);
    let isLink = false;
    try {
      isLink = lstatSync(resolved).isSymbolicLink();
    } catch {
      // missing: the kernel would stop here
    }
    if (isLink) resolved = assertLinkInside(dest, resolved, hops + 1);
  }
  return resolved;
}

/**
 * Extracts `bytes` inside a private tree (four levels deep, so a climb of a few `..` would
 * still land in it) and checks the invariants.
 */
async function extractChecked(bytes: Uint8Array): Promise<ExtractResult | ArchiveError> {
  const top = mkdtempSync(path.join(SCRATCH, "bulwark-archive-prop-"));
  try {
    const base = "a/b/c/d";
    mkdirSync(path.join(top, base, "out"), { recursive: true });
    writeFileSync(path.join(top, base, "archive.bin"), bytes);
    const dest = path.join(top, base, "out/dest");
    let outcome: ExtractResult | ArchiveError;
    try {
      outcome = await extractArchive(path.join(top, base, "archive.bin"), dest, SMALL);
    } catch (error) {
      if (error instanceof ArchiveError && CODES.has(error.code)) outcome = error;
      else {
        const what = error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
        throw new assert.AssertionError({ message: `escaped a non-ArchiveError: ${what}` });
      }
    }
    const fixed = ["a", "a/b", "a/b/c", "a/b/c/d", `${base}/archive.bin`, `${base}/out`];
    const extra = listAll(top).filter((p) => !fixed.includes(p));
    if (outcome instanceof ArchiveError) {
      assert.deepEqual(extra, [], `left behind after ${outcome.code}`);
    } else {
      for (const p of extra) assert.ok(p === `${base}/out/dest` || p.startsWith(`${base}/out/dest/`), `wrote ${p}`);
      for (const p of extra) {
        const abs = path.join(top, p);
        if (lstatSync(abs).isSymbolicLink()) assertLinkInside(dest, abs);
      }
      for (const p of outcome.paths) lstatSync(path.join(dest, p));
    }
    return outcome;
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// generators

const segment = fc.constantFrom("a", "b", "A", "..", ".", "", "\\", "c:", "\u0000", "\n", "é", "e\u0301", "d/e");
const hostilePath = fc
  .tuple(fc.boolean(), fc.array(segment, { minLength: 1, maxLength: 4 }))
  .map(([absolute, parts]) => `${absolute ? "/" : ""}${parts.join("/")}`);
const safePath = fc
  .array(fc.constantFrom("a", "b", "c", "dir", "é"), { minLength: 1, maxLength: 3 })
  .map((p) => p.join("/"));
const anyPath = fc.oneof(safePath, hostilePath);
/** Link targets: plain, climbing with `..` (inside or not), or hostile. */
const linkTarget = fc.oneof(
  safePath,
  fc.array(fc.constantFrom("a", "b", "..", "."), { minLength: 1, maxLength: 5 }).map((p) => p.join("/")),
  hostilePath,
);
const data = fc.uint8Array({ maxLength: 300 });

type Kind = "file" | "dir" | "symlink" | "hardlink" | "fifo";
const entry = fc.record({
  kind: fc.constantFrom<Kind>("file", "file", "dir", "symlink", "symlink", "hardlink", "fifo"),
  name: anyPath,
  target: linkTarget,
  data,
  exec: fc.boolean(),
});
type Entry = typeof entry extends fc.Arbitrary<infer T> ? T : never;

function tarOf(entries: readonly Entry[]): Buffer {
  const specs = entries.map((e): TarSpec => {
    const long = Buffer.byteLength(e.name) > 100;
    switch (e.kind) {
      case "dir":
        return { name: `${e.name}/`, type: "5", longName: long, gnu: long };
      case "symlink":
        return { name: e.name, type: "2", linkname: "", pax: { linkpath: e.target }, longName: long, gnu: long };
      case "hardlink":
        return { name: e.name, type: "1", linkname: "", pax: { linkpath: e.target } };
      case "fifo":
        return { name: e.name, type: "6" };
      default:
        return { name: e.name, data: e.data, mode: e.exec ? 0o755 : 0o644, pax: { path: e.name } };
    }
  });
  return tar(specs);
}

function zipOf(entries: readonly Entry[]): Buffer {
  return zip(
    entries.map((e): ZipSpec => {
      switch (e.kind) {
        case "dir":
          return { name: `${e.name}/` };
        case "symlink":
        case "hardlink":
          return { name: e.name, symlink: e.target };
        case "fifo":
          return { name: e.name, mode: 0o010644 };
        default:
          return {
            name: e.name,
            data: e.data,
            mode: e.exec ? 0o100755 : 0o100644,
            descriptor: e.data.length % 2 === 0,
          };
      }
    }),
  );
}

const archiveOf = (format: "tar" | "tar.gz" | "zip", entries: readonly Entry[]): Buffer =>
  format === "zip" ? zipOf(entries) : format === "tar" ? tarOf(entries) : gzip(tarOf(entries));

const format = fc.constantFrom<"tar" | "tar.gz" | "zip">("tar", "tar.gz", "zip");
const validArchive = fc.tuple(format, fc.array(entry, { maxLength: 6 })).map(([f, es]) => archiveOf(f, es));

type Mutation =
  | { kind: "set"; at: number; value: number }
  | { kind: "cut"; at: number }
  | { kind: "insert"; at: number; bytes: Uint8Array };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
);

function mutate(bytes: Buffer, mutations: readonly Mutation[]): Buffer {
  let out = Buffer.from(bytes);
  for (const m of mutations) {
    if (out.length === 0) break;
    const at = m.at % out.length;
    if (m.kind === "set") out[at] = m.value;
    else if (m.kind === "cut") out = out.subarray(0, at);
    else out = Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)]);
  }
  return out;
}

/** Random bytes behind each format's magic, so the readers (not detection) see them. */
const behindMagic = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((b) => gzip(b)),
  fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.concat([Buffer.from("PK\u0003\u0004", "latin1"), b])),
  fc.uint8Array({ maxLength: 2048 }).map((b) => {
    const out = Buffer.concat([Buffer.from(b), Buffer.alloc(Math.max(0, 512 - b.length))]);
    out.write("ustar\u000000", 257, "latin1");
    return out;
  }),
);

// ---------------------------------------------------------------------------------------

describe("extraction of untrusted bytes: a result or a typed ArchiveError, and nothing outside dest", () => {
  it("random bytes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (b) => {
        await extractChecked(b);
      }),
      { numRuns: RUNS },
    );
  });

  it("random bytes behind gzip, zip and ustar magic", async () => {
    await fc.assert(
      fc.asyncProperty(behindMagic, async (b) => {
        await extractChecked(b);
      }),
      { numRuns: RUNS },
    );
  });

  it("archives of hostile names, links, hard links and FIFOs", async () => {
    await fc.assert(
      fc.asyncProperty(validArchive, async (b) => {
        await extractChecked(b);
      }),
      { numRuns: RUNS },
    );
  });

  it("valid archives with bytes changed, cut or inserted", async () => {
    await fc.assert(
      fc.asyncProperty(validArchive, fc.array(mutation, { minLength: 1, maxLength: 3 }), async (b, ms) => {
        await extractChecked(mutate(b, ms));
      }),
      { numRuns: RUNS },
    );
  });

  it("trees of directories and links with climbing targets", async () => {
    const node = fc.record({
      kind: fc.constantFrom<Kind>("dir", "symlink", "symlink", "file"),
      name: safePath,
      target: fc
        .array(fc.constantFrom("a", "b", "dir", "..", "..", "."), { minLength: 1, maxLength: 6 })
        .map((p) => p.join("/")),
      data,
      exec: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        format,
        fc.uniqueArray(node, { selector: (e) => e.name, minLength: 1, maxLength: 8 }),
        async (f, es) => {
          await extractChecked(archiveOf(f, es));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("archives of safe names always extract, to exactly their paths", async () => {
    const safeEntry = fc.record({ name: safePath, data, exec: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(format, fc.uniqueArray(safeEntry, { selector: (e) => e.name, maxLength: 6 }), async (f, es) => {
        // A file cannot also be the parent of another file: keep only names that are no one's prefix.
        const leaves = es.filter((e) => !es.some((o) => o.name.startsWith(`${e.name}/`)));
        const bytes = archiveOf(
          f,
          leaves.map((e) => ({ ...e, kind: "file" as const, target: "" })),
        );
        const outcome = f === "tar" && leaves.length === 0 ? undefined : await extractChecked(bytes);
        if (outcome === undefined) return;
        assert.ok(!(outcome instanceof ArchiveError), outcome instanceof ArchiveError ? outcome.message : "");
        assert.deepEqual(
          outcome.paths,
          leaves.map((e) => e.name),
        );
      }),
      { numRuns: RUNS },
    );
  });
});
