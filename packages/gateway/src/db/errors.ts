/**
 * Errors of the gateway's storage (database, job queue, blob store), on Bulwark's one error
 * tree. A caller's mistake (a bad URL, a malformed digest) is a {@link UsageError}; a store
 * that is not in the state the code needs (a newer schema, a lost lease, bytes that do not
 * hash to what was expected) is a {@link StorageError}.
 */
import { BulwarkError } from "@bulwark/tuf";

/**
 * The database, queue or blob store is not in a state this code can safely work with.
 * Codes: `DB_SCHEMA_NEWER`, `DB_MIGRATION_FAILED`, `DB_UNAVAILABLE`, `DB_BUSY`, `DB_BAD_ROW`, `QUEUE_LEASE_LOST`,
 * `QUEUE_BAD_ROW`, `BLOB_NOT_FOUND`, `BLOB_HASH_MISMATCH`, `BLOB_TOO_LARGE`.
 */
export class StorageError extends BulwarkError {
  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown; hint?: string | undefined }) {
    super(code, message, options);
  }
}

/** The stable codes of {@link StorageError}. */
export type StorageErrorCode =
  | "DB_SCHEMA_NEWER"
  | "DB_MIGRATION_FAILED"
  | "DB_UNAVAILABLE"
  | "DB_BUSY"
  | "DB_BAD_ROW"
  | "QUEUE_LEASE_LOST"
  | "QUEUE_BAD_ROW"
  | "BLOB_NOT_FOUND"
  | "BLOB_HASH_MISMATCH"
  | "BLOB_TOO_LARGE";
