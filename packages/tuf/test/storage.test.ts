import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { StorageError, UnsafeNameError } from "../src/errors.js";
import { encodeName, readFileIfExists, targetFileName, writeFileAtomic } from "../src/updater/storage.js";

function isUnsafeName(error: unknown): true {
  assert.ok(error instanceof UnsafeNameError, `expected UnsafeNameError, got ${String(error)}`);
  assert.equal(error.code, "TUF_UNSAFE_NAME");
  return true;
}

function isStorageError(error: unknown): true {
  assert.ok(error instanceof StorageError, `expected StorageError, got ${String(error)}`);
  assert.equal(error.code, "STORAGE");
  return true;
}

describe("writeFileAtomic", () => {
  let root = "";
  let n = 0;
  /** A fresh, empty directory per test, so directory listings are exact. */
  const freshDir = async (): Promise<string> => {
    n += 1;
    const dir = path.join(root, `t${n}`);
    await fs.mkdir(dir);
    return dir;
  };

  before(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), "bulwark-storage-"));
  });
  after(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it("writes a new file and leaves no temp file", async () => {
    const dir = await freshDir();
    const file = path.join(dir, "root.json");
    await writeFileAtomic(file, Buffer.from("hello"));
    assert.equal(await fs.readFile(file, "utf8"), "hello");
    assert.deepEqual(await fs.readdir(dir), ["root.json"]);
  });

  it("replaces an existing file and leaves no temp file", async () => {
    const dir = await freshDir();
    const file = path.join(dir, "timestamp.json");
    await writeFileAtomic(file, Buffer.from("old bytes, longer than the new ones"));
    await writeFileAtomic(file, new Uint8Array([1, 2, 3]));
    assert.deepEqual(await fs.readFile(file), Buffer.from([1, 2, 3]));
    assert.deepEqual(await fs.readdir(dir), ["timestamp.json"]);
  });

  it("writes an empty file", async () => {
    const dir = await freshDir();
    const file = path.join(dir, "empty");
    await writeFileAtomic(file, new Uint8Array());
    assert.equal((await fs.stat(file)).size, 0);
    assert.deepEqual(await fs.readdir(dir), ["empty"]);
  });

  it("fails with a StorageError and leaves no temp file when the target is a directory", async () => {
    const dir = await freshDir();
    const target = path.join(dir, "snapshot.json");
    await fs.mkdir(target);
    await assert.rejects(writeFileAtomic(target, Buffer.from("x")), isStorageError);
    assert.deepEqual(await fs.readdir(dir), ["snapshot.json"]);
    assert.ok((await fs.stat(target)).isDirectory());
  });

  it("fails with a StorageError when the directory does not exist", async () => {
    const dir = await freshDir();
    await assert.rejects(writeFileAtomic(path.join(dir, "missing", "root.json"), Buffer.from("x")), isStorageError);
    assert.deepEqual(await fs.readdir(dir), []);
  });

  it("leaves one whole version after concurrent writes to the same file", async () => {
    const dir = await freshDir();
    const file = path.join(dir, "targets.json");
    const payloads = Array.from({ length: 8 }, (_, i) => Buffer.alloc(64 * 1024, 0x61 + i));
    await Promise.all(payloads.map((p) => writeFileAtomic(file, p)));
    const got = await fs.readFile(file);
    assert.ok(
      payloads.some((p) => p.equals(got)),
      "the file is a mix of writes",
    );
    assert.deepEqual(await fs.readdir(dir), ["targets.json"]);
  });
});

describe("readFileIfExists", () => {
  let dir = "";
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "bulwark-storage-"));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("returns undefined for a missing file and the bytes of an existing one", async () => {
    assert.equal(await readFileIfExists(path.join(dir, "missing.json")), undefined);
    await fs.writeFile(path.join(dir, "root.json"), "{}");
    assert.deepEqual(await readFileIfExists(path.join(dir, "root.json")), Buffer.from("{}"));
  });

  it("fails with a StorageError for anything but a missing file (a directory)", async () => {
    await assert.rejects(readFileIfExists(dir), isStorageError);
  });
});

describe("encodeName matches Python urllib.parse.quote(name, safe='')", () => {
  // Python keeps only A-Za-z0-9 and _.-~ and writes every other UTF-8 byte as uppercase %XX.
  const table: [name: string, expected: string][] = [
    ["a/b", "a%2Fb"],
    ["../a", "..%2Fa"],
    [".", "."],
    ["..", ".."],
    ["ö", "%C3%B6"],
    ["a b", "a%20b"],
    ["%2F", "%252F"],
    ["a\u0000b", "a%00b"],
    ["!'()*~-_.", "%21%27%28%29%2A~-_."],
    ["snapshot", "snapshot"],
    ["registry.npmjs.org", "registry.npmjs.org"],
    ["\u{1F600}", "%F0%9F%98%80"],
    ["a\\b", "a%5Cb"],
    ["", ""],
  ];
  for (const [name, expected] of table) {
    it(`${JSON.stringify(name)} -> ${expected}`, () => {
      assert.equal(encodeName(name), expected);
    });
  }

  const loneSurrogates = ["\uD800", "a\uDC00b", "\uDE00\uD83D"];
  for (const name of loneSurrogates) {
    it(`refuses the lone surrogate in ${JSON.stringify(name)} with UnsafeNameError`, () => {
      assert.throws(() => encodeName(name), isUnsafeName);
    });
  }

  it("is one path segment of safe characters that decodes back to the name (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (name) => {
        const encoded = encodeName(name);
        assert.match(encoded, /^(?:[A-Za-z0-9_.~-]|%[0-9A-F]{2})*$/);
        assert.equal(decodeURIComponent(encoded), name);
      }),
    );
  });

  it("refuses exactly the names that are not well-formed Unicode (property)", () => {
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(fc.string({ unit: codeUnit }), (name) => {
        if (name.isWellFormed()) assert.equal(typeof encodeName(name), "string");
        else assert.throws(() => encodeName(name), isUnsafeName);
      }),
    );
  });
});

describe("targetFileName keeps every target inside its directory", () => {
  const dir = path.join(os.tmpdir(), "bulwark-targets");

  for (const name of ["", ".", ".."]) {
    it(`refuses ${JSON.stringify(name)} with UnsafeNameError`, () => {
      assert.throws(() => targetFileName(name), isUnsafeName);
    });
  }

  const escapes: [attack: string, name: string][] = [
    ["path traversal", "../../etc/passwd"],
    ["absolute path", "/etc/passwd"],
    ["traversal after a directory", "a/../../b"],
    ["percent-encoded traversal", "%2e%2e%2fx"],
    ["Windows separators", "..\\..\\x"],
    ["NUL byte truncation", "a\u0000b"],
  ];
  for (const [attack, name] of escapes) {
    it(`keeps ${JSON.stringify(name)} inside the directory (${attack})`, () => {
      const fileName = targetFileName(name);
      const joined = path.join(dir, fileName);
      assert.equal(path.dirname(joined), dir);
      assert.equal(path.basename(joined), fileName);
      assert.ok(!fileName.includes("/") && !fileName.includes("\\") && !fileName.includes("\u0000"));
    });
  }

  it("any name is refused or stays a direct child of the directory (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (name) => {
        let fileName: string;
        try {
          fileName = targetFileName(name);
        } catch (error) {
          return isUnsafeName(error);
        }
        return path.dirname(path.join(dir, fileName)) === dir;
      }),
    );
  });
});
