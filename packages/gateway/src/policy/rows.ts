/**
 * Reading the policy engine's rows: every value narrowed at the boundary (a bad row is a
 * `StorageError` `DB_BAD_ROW`), and the facts about releases and sources the engine checks.
 */
import type { Queryable, Row } from "../db/database.js";
import { StorageError } from "../db/errors.js";
import { POLICY_ERRORS, PolicyError } from "./errors.js";
import { type Policy, parsePolicy } from "./model.js";

/** @throws {StorageError} `DB_BAD_ROW`, naming the table and field. */
export function badRow(table: string, field: string): never {
  throw new StorageError("DB_BAD_ROW", `bad ${field} in the ${table} table`);
}

/** A safe integer column (PostgreSQL may send a 64-bit one as text). @throws {StorageError} `DB_BAD_ROW` */
export function num(row: Row, table: string, field: string): number {
  const value = row[field];
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n)) badRow(table, field);
  return n;
}

/** A text column. @throws {StorageError} `DB_BAD_ROW` */
export function str(row: Row, table: string, field: string): string {
  const value = row[field];
  if (typeof value !== "string") badRow(table, field);
  return value;
}

/** A nullable integer column. @throws {StorageError} `DB_BAD_ROW` */
export function optionalNum(row: Row, table: string, field: string): number | undefined {
  return row[field] === null || row[field] === undefined ? undefined : num(row, table, field);
}

/** What the engine checks of a release. */
export interface ReleaseFacts {
  readonly source: string;
  readonly version: string;
  readonly fetchedAt: Date;
  readonly state: string;
  readonly sha256: string;
  readonly signer: string | undefined;
}

/**
 * The facts of release `releaseId`.
 * @throws {PolicyError} `POLICY_UNKNOWN_RELEASE`.
 */
export async function releaseRow(on: Queryable, releaseId: number): Promise<ReleaseFacts> {
  const [row] = await on.query(
    "SELECT s.name, r.version, r.state, r.sha256, r.evidence, r.created_at FROM releases r JOIN sources s ON s.id = r.source_id WHERE r.id = $1",
    [releaseId],
  );
  if (row === undefined) throw new PolicyError(POLICY_ERRORS.UNKNOWN_RELEASE, `no release ${releaseId}`);
  let evidence: unknown;
  try {
    evidence = JSON.parse(str(row, "releases", "evidence"));
  } catch {
    badRow("releases", "evidence");
  }
  // The signer's identity, when the release's feed has one (evidence.signer).
  const signer =
    typeof evidence === "object" && evidence !== null && typeof (evidence as { signer?: unknown }).signer === "string"
      ? (evidence as { signer: string }).signer
      : undefined;
  return {
    source: str(row, "sources", "name"),
    version: str(row, "releases", "version"),
    fetchedAt: new Date(num(row, "releases", "created_at")),
    state: str(row, "releases", "state"),
    sha256: str(row, "releases", "sha256"),
    signer,
  };
}

/**
 * The row id of the source named `name`.
 * @throws {PolicyError} `POLICY_UNKNOWN_SOURCE`.
 */
export async function sourceRowId(on: Queryable, name: string): Promise<number> {
  const [row] = await on.query("SELECT id FROM sources WHERE name = $1", [name]);
  if (row === undefined) throw new PolicyError(POLICY_ERRORS.UNKNOWN_SOURCE, `no source ${JSON.stringify(name)}`);
  return num(row, "sources", "id");
}

/** The policy in force (the newest saved), or undefined before one was saved. */
export async function loadPolicy(on: Queryable): Promise<{ id: number; policy: Policy } | undefined> {
  const [row] = await on.query("SELECT id, document FROM policies ORDER BY id DESC LIMIT 1");
  if (row === undefined) return undefined;
  let document: unknown;
  try {
    document = JSON.parse(str(row, "policies", "document"));
  } catch {
    badRow("policies", "document");
  }
  return { id: num(row, "policies", "id"), policy: parsePolicy(document) };
}
