/**
 * The sources' memory (`SourceMemory`, sources/memory.ts) kept in the gateway's database, so
 * what a feed served before (its versions, the bytes of each, its validators) survives a
 * restart and is shared by every gateway process: a feed that goes back a version or changes
 * the bytes of one it served is caught whichever process polls it next.
 */
import { UsageError } from "@bulwark/tuf";
import type { FeedValidators, SeenRelease, SourceMemory } from "../sources/memory.js";
import type { Database, Row } from "./database.js";
import { StorageError } from "./errors.js";

function bad(table: string, field: string): never {
  throw new StorageError("DB_BAD_ROW", `bad ${field} in the ${table} table`);
}

function parseFiles(text: unknown): Record<string, string> {
  let value: unknown;
  try {
    value = typeof text === "string" ? JSON.parse(text) : undefined;
  } catch {
    bad("source_versions", "files");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) bad("source_versions", "files");
  const files: Record<string, string> = {};
  for (const [name, sha256] of Object.entries(value)) {
    if (typeof sha256 !== "string") bad("source_versions", "files");
    files[name] = sha256;
  }
  return files;
}

function parseSeen(row: Row): SeenRelease {
  const { version, declared, verified, seen_at: seenAt } = row;
  if (typeof version !== "string") bad("source_versions", "version");
  if (typeof declared !== "string") bad("source_versions", "declared");
  if (verified !== 0 && verified !== 1) bad("source_versions", "verified");
  if (typeof seenAt !== "number") bad("source_versions", "seen_at");
  return {
    version,
    sha256: parseFiles(row.files),
    declared,
    verified: verified === 1,
    seenAt: new Date(seenAt).toISOString(),
  };
}

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** A {@link SourceMemory} for one source, in the gateway's database. */
export class DatabaseSourceMemory implements SourceMemory {
  private constructor(
    readonly db: Database,
    /** The source's row id in `sources`. */
    readonly sourceRowId: number,
  ) {}

  /**
   * The memory of the source named `name` in `sources`.
   * @throws UsageError `DB_UNKNOWN_SOURCE` when there is no such source.
   */
  static async open(db: Database, name: string): Promise<DatabaseSourceMemory> {
    const [row] = await db.query("SELECT id FROM sources WHERE name = $1", [name]);
    if (row === undefined || typeof row.id !== "number") {
      throw new UsageError(`no source named ${JSON.stringify(name)} in the gateway's database`, {
        code: "DB_UNKNOWN_SOURCE",
      });
    }
    return new DatabaseSourceMemory(db, row.id);
  }

  async validators(url: string): Promise<FeedValidators | undefined> {
    const [row] = await this.db.query(
      "SELECT etag, last_modified FROM feed_validators WHERE source_id = $1 AND url = $2",
      [this.sourceRowId, url],
    );
    if (row === undefined) return undefined;
    const etag = text(row.etag);
    const lastModified = text(row.last_modified);
    return { ...(etag === undefined ? {} : { etag }), ...(lastModified === undefined ? {} : { lastModified }) };
  }

  async setValidators(url: string, validators: FeedValidators): Promise<void> {
    await this.db.execute(
      `INSERT INTO feed_validators (source_id, url, etag, last_modified, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (source_id, url) DO UPDATE
       SET etag = excluded.etag, last_modified = excluded.last_modified, updated_at = excluded.updated_at`,
      [this.sourceRowId, url, validators.etag ?? null, validators.lastModified ?? null, Date.now()],
    );
  }

  async releases(): Promise<readonly SeenRelease[]> {
    const rows = await this.db.query(
      "SELECT version, files, declared, verified, seen_at FROM source_versions WHERE source_id = $1 ORDER BY id",
      [this.sourceRowId],
    );
    return rows.map(parseSeen);
  }

  /**
   * Records a version, replacing an earlier record of it (which keeps its place in the order).
   * @throws UsageError `DB_BAD_TIME` when `seenAt` is not a date.
   */
  async remember(release: SeenRelease): Promise<void> {
    const seenAt = Date.parse(release.seenAt);
    if (Number.isNaN(seenAt)) {
      throw new UsageError(`seenAt ${JSON.stringify(release.seenAt)} is not a date`, { code: "DB_BAD_TIME" });
    }
    await this.db.execute(
      `INSERT INTO source_versions (source_id, version, files, declared, verified, seen_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (source_id, version) DO UPDATE
       SET files = excluded.files, declared = excluded.declared, verified = excluded.verified, seen_at = excluded.seen_at`,
      [
        this.sourceRowId,
        release.version,
        JSON.stringify(release.sha256),
        release.declared,
        release.verified ? 1 : 0,
        seenAt,
      ],
    );
  }
}
