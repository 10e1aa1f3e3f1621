/**
 * The gateway's records as the API serves them: sources, releases (with their evidence and
 * alerts). Rows are parsed here, at the database's edge; adding a source is a recorded change.
 */
import { UsageError } from "@bulwark/tuf";
import type { Database, Queryable, Row, SqlValue } from "../db/database.js";
import { StorageError } from "../db/errors.js";
import { RELEASE_STATES } from "../db/migrations/0001-initial.js";
import { checkSourceConfig } from "../sources/config.js";
import type { SourceConfig } from "../sources/types.js";
import type { TrailActor } from "../trail/entry.js";
import type { Trail } from "../trail/trail.js";
import { recordChange } from "./changes.js";
import type { SourceConfigBody } from "./schemas.js";

/** One of {@link RELEASE_STATES}. */
export type ReleaseState = (typeof RELEASE_STATES)[number];

/** A source as the API shows it. */
export interface SourceView {
  readonly id: string;
  readonly kind: string;
  readonly config: SourceConfigBody;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastPolledAt: string | null;
}

/** A release as the API lists it. */
export interface ReleaseView {
  readonly id: number;
  readonly source: string;
  readonly version: string;
  readonly url: string;
  readonly sha256: string;
  readonly size: number;
  readonly state: ReleaseState;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** An alert as the API shows it. */
export interface AlertView {
  readonly id: number;
  readonly kind: string;
  readonly severity: string;
  readonly message: string;
  readonly evidence: unknown;
  readonly createdAt: string;
  readonly resolvedAt: string | null;
}

/** A page of a list, and the cursor of the next (null on the last page). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

/** The largest page, and the one given when none is asked. */
export const PAGE_LIMITS = { max: 500, default: 100 } as const;

const bad = (table: string): never => {
  throw new StorageError("DB_BAD_ROW", `bad row in the ${table} table`);
};
const iso = (ms: unknown): string => new Date(Number(ms)).toISOString();
const isoOrNull = (ms: unknown): string | null => (ms === null || ms === undefined ? null : iso(ms));

function json(text: unknown, table: string): unknown {
  if (typeof text !== "string") return bad(table);
  try {
    return JSON.parse(text);
  } catch {
    return bad(table);
  }
}

/** The library's `SourceConfig` of a body: the pinned root's bytes decoded. */
export function sourceConfigOf(body: SourceConfigBody): SourceConfig {
  if (body.kind === "tuf") {
    return { ...body, trustedRoot: new Uint8Array(Buffer.from(body.trustedRoot, "base64")) } as SourceConfig;
  }
  return body as SourceConfig;
}

function parseSource(row: Row): SourceView {
  const { name, kind } = row;
  if (typeof name !== "string" || typeof kind !== "string") bad("sources");
  return {
    id: name as string,
    kind: kind as string,
    config: json(row.config, "sources") as SourceConfigBody,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    lastPolledAt: isoOrNull(row.last_polled_at),
  };
}

function parseRelease(row: Row): ReleaseView {
  const { source, version, url, sha256, state } = row;
  if (typeof source !== "string" || typeof version !== "string" || typeof url !== "string") bad("releases");
  if (typeof sha256 !== "string" || !RELEASE_STATES.includes(state as ReleaseState)) bad("releases");
  return {
    id: Number(row.id),
    source: source as string,
    version: version as string,
    url: url as string,
    sha256: sha256 as string,
    size: Number(row.size),
    state: state as ReleaseState,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

function parseAlert(row: Row): AlertView {
  const { kind, severity, message } = row;
  if (typeof kind !== "string" || typeof severity !== "string" || typeof message !== "string") bad("alerts");
  return {
    id: Number(row.id),
    kind: kind as string,
    severity: severity as string,
    message: message as string,
    evidence: json(row.evidence, "alerts"),
    createdAt: iso(row.created_at),
    resolvedAt: isoOrNull(row.resolved_at),
  };
}

const SOURCE_COLUMNS = "id, name, kind, config, created_at, updated_at, last_polled_at";

/**
 * Adds a source: its configuration checked with the sources' own checks, recorded in the
 * trail as `source.added` by `actor`.
 * @throws {SourceConfigError} SOURCE_BAD_CONFIG; {@link UsageError} SOURCE_EXISTS.
 */
export async function addSource(db: Database, trail: Trail, body: SourceConfigBody, actor: TrailActor) {
  checkSourceConfig(sourceConfigOf(body));
  const now = new Date();
  return recordChange(db, trail, async (tx) => {
    const existing = await tx.query("SELECT id FROM sources WHERE name = $1", [body.id]);
    if (existing.length > 0) {
      throw new UsageError(`a source named ${body.id} already exists`, { code: "SOURCE_EXISTS" });
    }
    const [row] = await tx.query(
      `INSERT INTO sources (name, kind, config, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
       RETURNING ${SOURCE_COLUMNS}`,
      [body.id, body.kind, JSON.stringify(body), now.getTime()],
    );
    const source = parseSource(row as Row);
    const entry = {
      actor,
      action: "source.added" as const,
      subject: { kind: "source", id: source.id },
      time: now,
      details: { kind: source.kind },
    };
    return { result: source, entries: [entry] };
  });
}

/** Parses a page cursor (the last id seen) and limit from a query. */
export function pageOf(after: string | undefined, limit: string | undefined): { after: number; limit: number } {
  const a = after === undefined ? 0 : Number(after);
  const l = limit === undefined ? PAGE_LIMITS.default : Number(limit);
  if (!Number.isSafeInteger(a) || a < 0)
    throw new UsageError("after must be a cursor from a previous page", { code: "BAD_CURSOR" });
  if (!Number.isSafeInteger(l) || l < 1 || l > PAGE_LIMITS.max) {
    throw new UsageError(`limit must be from 1 to ${PAGE_LIMITS.max}`, { code: "BAD_LIMIT" });
  }
  return { after: a, limit: l };
}

/** Sources in the order they were added. */
export async function listSources(db: Queryable, page: { after: number; limit: number }): Promise<Page<SourceView>> {
  const rows = await db.query(`SELECT ${SOURCE_COLUMNS} FROM sources WHERE id > $1 ORDER BY id LIMIT $2`, [
    page.after,
    page.limit + 1,
  ]);
  return pageFrom(rows, page.limit, parseSource);
}

function pageFrom<T>(rows: Row[], limit: number, parse: (row: Row) => T): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items: items.map(parse), next: rows.length > limit && last ? String(last.id) : null };
}

/** The source named `id`, or undefined. */
export async function getSource(db: Queryable, id: string): Promise<SourceView | undefined> {
  const [row] = await db.query(`SELECT ${SOURCE_COLUMNS} FROM sources WHERE name = $1`, [id]);
  return row === undefined ? undefined : parseSource(row);
}

const RELEASE_SELECT = `SELECT r.id, s.name AS source, r.version, r.url, r.sha256, r.size, r.state, r.evidence,
  r.created_at, r.updated_at FROM releases r JOIN sources s ON s.id = r.source_id`;

/** Releases, oldest first, optionally only those in `state` or of source `source`. */
export async function listReleases(
  db: Queryable,
  filter: { readonly state?: ReleaseState; readonly source?: string },
  page: { after: number; limit: number },
): Promise<Page<ReleaseView>> {
  const where = ["r.id > $1"];
  const params: SqlValue[] = [page.after];
  if (filter.state !== undefined) {
    params.push(filter.state);
    where.push(`r.state = $${params.length}`);
  }
  if (filter.source !== undefined) {
    params.push(filter.source);
    where.push(`s.name = $${params.length}`);
  }
  params.push(page.limit + 1);
  const rows = await db.query(
    `${RELEASE_SELECT} WHERE ${where.join(" AND ")} ORDER BY r.id LIMIT $${params.length}`,
    params,
  );
  return pageFrom(rows, page.limit, parseRelease);
}

/** Release `id` with its evidence and alerts, or undefined. */
export async function getRelease(
  db: Queryable,
  id: number,
): Promise<(ReleaseView & { evidence: unknown; alerts: AlertView[] }) | undefined> {
  const [row] = await db.query(`${RELEASE_SELECT} WHERE r.id = $1`, [id]);
  if (row === undefined) return undefined;
  const alerts = await db.query(
    "SELECT id, kind, severity, message, evidence, created_at, resolved_at FROM alerts WHERE release_id = $1 ORDER BY id",
    [id],
  );
  return { ...parseRelease(row), evidence: json(row.evidence, "releases"), alerts: alerts.map(parseAlert) };
}

/** How many releases and jobs are in each state (for /metrics). */
export async function countByState(
  db: Queryable,
): Promise<{ releases: Map<string, number>; jobs: Map<string, number> }> {
  const count = async (table: string) =>
    new Map(
      (await db.query(`SELECT state, COUNT(*) AS n FROM ${table} GROUP BY state`)).map((r) => [
        String(r.state),
        Number(r.n),
      ]),
    );
  return { releases: await count("releases"), jobs: await count("jobs") };
}
