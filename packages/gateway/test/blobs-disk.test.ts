import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { test } from "node:test";
import { UsageError } from "@bulwark/tuf";
import fc from "fast-check";
import { bytesSource, DiskBlobStore, parseDigest, readBlob, StorageError } from "../src/index.js";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function withStore(work: (store: DiskBlobStore, root: string) => Promise<void>) {
  return async () => {
    const root = mkdtempSync(path.join(tmpdir(), "bulwark-gw-blobs-"));
    try {
      await work(new DiskBlobStore(root), root);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
}

/** Files left in the store's temporary folder. */
const leftovers = (root: string) => readdirSync(path.join(root, "tmp"));

/** A source of `count` chunks of `size` bytes each. */
async function* chunks(count: number, size: number, fill = 7): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < count; i++) yield new Uint8Array(size).fill((fill + i) % 256);
}

const mismatch = (e: unknown) => e instanceof StorageError && e.code === "BLOB_HASH_MISMATCH";
const badDigest = (e: unknown) => e instanceof UsageError && e.code === "BLOB_BAD_DIGEST";

test(
  "put streams bytes into a sharded, content-addressed file; get, has and delete find it by its hash",
  withStore(async (store, root) => {
    const bytes = new TextEncoder().encode("installer bytes");
    const digest = sha256(bytes);
    assert.deepEqual(await store.put(bytesSource(bytes)), { sha256: digest, size: bytes.length, created: true });
    assert.equal(store.pathOf(digest), path.join(root, "sha256", digest.slice(0, 2), digest.slice(2, 4), digest));
    assert.deepEqual(readFileSync(store.pathOf(digest)), Buffer.from(bytes));
    assert.equal(await store.has(digest), true);
    assert.deepEqual(await readBlob(store, digest), Buffer.from(bytes));
    assert.deepEqual(await store.put(bytesSource(bytes)), { sha256: digest, size: bytes.length, created: false });
    assert.equal(await store.delete(digest), true);
    assert.equal(await store.has(digest), false);
    assert.equal(await store.delete(digest), false);
    await assert.rejects(store.get(digest), { code: "BLOB_NOT_FOUND" });
    assert.deepEqual(leftovers(root), []);
  }),
);

test(
  "a many-chunk stream is hashed as it is written",
  withStore(async (store) => {
    const parts: Uint8Array[] = [];
    for await (const chunk of chunks(64, 65_536)) parts.push(chunk);
    const all = Buffer.concat(parts);
    const stored = await store.put(chunks(64, 65_536));
    assert.deepEqual([stored.sha256, stored.size], [sha256(all), all.length]);
    assert.equal(sha256(await readBlob(store, stored.sha256)), stored.sha256);
  }),
);

test(
  "bytes that do not hash to the expected digest are refused and nothing is stored (a swapped download)",
  withStore(async (store, root) => {
    const honest = new TextEncoder().encode("honest release");
    const trojaned = new TextEncoder().encode("trojaned release");
    await assert.rejects(store.put(bytesSource(trojaned), { expectedSha256: sha256(honest) }), mismatch);
    assert.equal(await store.has(sha256(honest)), false);
    assert.equal(await store.has(sha256(trojaned)), false);
    assert.deepEqual(leftovers(root), []);
    assert.equal((await store.put(bytesSource(honest), { expectedSha256: sha256(honest) })).created, true);
  }),
);

test(
  "a stream over the size limit is cut off while streaming and nothing is stored",
  withStore(async (store, root) => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        pulled++;
        yield new Uint8Array(1024);
      }
    }
    await assert.rejects(store.put(endless(), { maxBytes: 10_000 }), { code: "BLOB_TOO_LARGE" });
    assert.equal(pulled, 10, "stopped at the chunk that crossed the limit");
    assert.deepEqual(leftovers(root), []);
  }),
);

test(
  "a stream that fails midway leaves no blob and no temporary file",
  withStore(async (store, root) => {
    const failing = new Readable({
      read() {
        this.destroy(new Error("connection reset"));
      },
    });
    await assert.rejects(store.put(failing), /connection reset/);
    assert.deepEqual(leftovers(root), []);
  }),
);

test(
  "a blob damaged at rest fails its read at the end (BLOB_HASH_MISMATCH) instead of serving other bytes",
  withStore(async (store) => {
    const { sha256: digest } = await store.put(bytesSource(new TextEncoder().encode("good bytes")));
    writeFileSync(store.pathOf(digest), "evil bytes");
    await assert.rejects(readBlob(store, digest), mismatch);
  }),
);

test(
  "a digest that could reach outside the store is refused (path traversal)",
  withStore(async (store) => {
    for (const name of ["../../../etc/passwd", `${"a".repeat(62)}/.`, "A".repeat(64), "", `${"a".repeat(64)}\n`]) {
      await assert.rejects(store.get(name), badDigest, name);
      await assert.rejects(store.has(name), badDigest, name);
      await assert.rejects(store.delete(name), badDigest, name);
      await assert.rejects(store.put(bytesSource(new Uint8Array(1)), { expectedSha256: name }), badDigest, name);
    }
  }),
);

test("parseDigest accepts exactly 64 lower-case hex digits (property)", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 80 }), (s) => {
      const ok = /^[0-9a-f]{64}$/.test(s);
      if (ok) assert.equal(parseDigest(s), s);
      else assert.throws(() => parseDigest(s), badDigest);
    }),
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), (bytes) => {
      const digest = sha256(bytes);
      assert.equal(parseDigest(digest), digest);
    }),
  );
});
