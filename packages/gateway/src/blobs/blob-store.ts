/**
 * Content-addressed storage of release bytes: a blob is named by the SHA-256 of its bytes.
 * The disk store implements it now; an S3-compatible store can later, with the same contract:
 * `put` hashes while it stores and never makes a blob visible under a name its bytes do not
 * hash to.
 */
import type { Readable } from "node:stream";
import { UsageError } from "@bulwark/tuf";

/** What {@link BlobStore.put} stored. */
export interface StoredBlob {
  /** Lower-case hex SHA-256 of the bytes: the blob's name. */
  readonly sha256: string;
  readonly size: number;
  /** False when a blob with these bytes was already stored (nothing was written). */
  readonly created: boolean;
}

/** Options of {@link BlobStore.put}. */
export interface PutOptions {
  /** Refuse the bytes (store nothing) unless they hash to this. */
  readonly expectedSha256?: string;
  /** Refuse the bytes (store nothing) once more than this many have arrived. */
  readonly maxBytes?: number;
}

/** A content-addressed blob store. */
export interface BlobStore {
  /**
   * Stores the bytes of `source`, hashing them as they stream.
   * @throws StorageError `BLOB_HASH_MISMATCH` (bytes differ from `expectedSha256`),
   *   `BLOB_TOO_LARGE` (over `maxBytes`); UsageError `BLOB_BAD_DIGEST` (a malformed expected hash).
   */
  put(source: AsyncIterable<Uint8Array>, options?: PutOptions): Promise<StoredBlob>;
  /**
   * The bytes of blob `sha256`, as a stream that fails with `BLOB_HASH_MISMATCH` at its end when
   * the stored bytes no longer hash to their name (damage at rest).
   * @throws StorageError `BLOB_NOT_FOUND`; UsageError `BLOB_BAD_DIGEST`.
   */
  get(sha256: string): Promise<Readable>;
  /** Whether blob `sha256` is stored. @throws UsageError `BLOB_BAD_DIGEST`. */
  has(sha256: string): Promise<boolean>;
  /** Deletes blob `sha256`; false when it was not stored. @throws UsageError `BLOB_BAD_DIGEST`. */
  delete(sha256: string): Promise<boolean>;
}

const DIGEST = /^[0-9a-f]{64}$/;

/**
 * Checks that `sha256` is 64 lower-case hex digits: a blob's name reaches file paths and object
 * keys, so nothing else (`../`, separators, upper case aliases) may pass.
 * @throws UsageError `BLOB_BAD_DIGEST`.
 */
export function parseDigest(sha256: string): string {
  if (!DIGEST.test(sha256)) {
    throw new UsageError(`${JSON.stringify(sha256.slice(0, 80))} is not a SHA-256 digest (64 lower-case hex digits)`, {
      code: "BLOB_BAD_DIGEST",
    });
  }
  return sha256;
}
