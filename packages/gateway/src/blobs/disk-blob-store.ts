/**
 * The blob store on a local disk. Layout under its root: `sha256/ab/cd/abcd…` (two levels of
 * 256 shards, so no folder grows past a few thousand entries for millions of blobs) and `tmp/`
 * for writes in progress. A write goes to a temporary file, is hashed as it streams, fsynced,
 * checked, and renamed into place (then its folder is fsynced): a crash leaves either no blob or
 * a whole one, never a partial file under a blob's name.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { StorageError } from "../db/errors.js";
import { type BlobStore, type PutOptions, parseDigest, type StoredBlob } from "./blob-store.js";

/** A {@link BlobStore} in a folder. */
export class DiskBlobStore implements BlobStore {
  constructor(readonly root: string) {}

  /** Where blob `sha256` lives. @throws UsageError `BLOB_BAD_DIGEST`. */
  pathOf(sha256: string): string {
    const digest = parseDigest(sha256);
    return path.join(this.root, "sha256", digest.slice(0, 2), digest.slice(2, 4), digest);
  }

  async put(source: AsyncIterable<Uint8Array>, options: PutOptions = {}): Promise<StoredBlob> {
    const expected = options.expectedSha256 === undefined ? undefined : parseDigest(options.expectedSha256);
    const tmpDir = path.join(this.root, "tmp");
    await mkdir(tmpDir, { recursive: true });
    const tmp = path.join(tmpDir, `${randomBytes(12).toString("hex")}.part`);
    const hash = createHash("sha256");
    let size = 0;
    let placed = false;
    const file = await open(tmp, "wx", 0o644);
    try {
      try {
        for await (const chunk of source) {
          size += chunk.byteLength;
          if (options.maxBytes !== undefined && size > options.maxBytes) {
            throw new StorageError("BLOB_TOO_LARGE", `the blob is over its limit of ${options.maxBytes} bytes`);
          }
          hash.update(chunk);
          await file.write(chunk);
        }
        await file.sync();
      } finally {
        await file.close();
      }
      const sha256 = hash.digest("hex");
      if (expected !== undefined && sha256 !== expected) {
        throw new StorageError("BLOB_HASH_MISMATCH", `the bytes hash to ${sha256}, not the expected ${expected}`);
      }
      const final = this.pathOf(sha256);
      if (await exists(final)) return { sha256, size, created: false };
      await mkdir(path.dirname(final), { recursive: true });
      await rename(tmp, final);
      placed = true;
      await syncDir(path.dirname(final));
      return { sha256, size, created: true };
    } finally {
      if (!placed) await rm(tmp, { force: true });
    }
  }

  async get(sha256: string): Promise<Readable> {
    const file = this.pathOf(sha256);
    if (!(await exists(file))) throw notFound(sha256);
    const hash = createHash("sha256");
    const check = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
      flush(done) {
        const actual = hash.digest("hex");
        done(
          actual === sha256
            ? null
            : new StorageError("BLOB_HASH_MISMATCH", `stored blob ${sha256} is damaged: its bytes hash to ${actual}`),
        );
      },
    });
    return createReadStream(file)
      .on("error", (error) => check.destroy(error))
      .pipe(check);
  }

  async has(sha256: string): Promise<boolean> {
    return exists(this.pathOf(sha256));
  }

  async delete(sha256: string): Promise<boolean> {
    try {
      await unlink(this.pathOf(sha256));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    }
  }
}

/** Reads a whole blob into memory (for small blobs and tests). */
export async function readBlob(store: BlobStore, sha256: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(sha256)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `bytes` as a stream source for {@link BlobStore.put}. */
export function bytesSource(bytes: Uint8Array): Readable {
  return Readable.from([bytes]);
}

function notFound(sha256: string): StorageError {
  return new StorageError("BLOB_NOT_FOUND", `no blob ${sha256} in the store`);
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/** Makes a rename in `dir` durable. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
