/**
 * Holds that are state, not policy edits: a source pinned to a version, and the freeze that
 * stops every source and ring at once (one at a time, even across gateway processes).
 */
import type { Database, Queryable } from "../db/database.js";
import type { TrailActor } from "../trail/entry.js";
import { checkText, trailEntry as entry, type PolicyChange } from "./change.js";
import type { Freeze } from "./decide.js";
import { POLICY_ERRORS, PolicyError } from "./errors.js";
import { num, sourceRowId, str } from "./rows.js";

/**
 * Pins a source to a version: no other version of it is approved or published until unpinned.
 * @throws {PolicyError} `POLICY_UNKNOWN_SOURCE`, `POLICY_INVALID` for an empty version or reason.
 */
export async function pin(
  db: Database,
  source: string,
  version: string,
  reason: string,
  actor: TrailActor,
  now: Date,
): Promise<PolicyChange> {
  checkText("a version", version);
  checkText("a reason", reason);
  await db.transaction(async (tx) => {
    const sourceId = await sourceRowId(tx, source);
    await tx.execute(
      `INSERT INTO pins (source_id, version, reason, pinned_by, pinned_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (source_id) DO UPDATE SET version = excluded.version, reason = excluded.reason,
         pinned_by = excluded.pinned_by, pinned_at = excluded.pinned_at`,
      [sourceId, version, reason, actor.id, now.getTime()],
    );
  });
  return {
    result: undefined,
    trail: entry(actor, "policy.changed", { kind: "source", id: source }, now, { pin: version, reason }),
  };
}

/**
 * Removes a source's pin (nothing happens when it has none).
 * @throws {PolicyError} `POLICY_UNKNOWN_SOURCE`.
 */
export async function unpin(db: Database, source: string, actor: TrailActor, now: Date): Promise<PolicyChange> {
  await db.transaction(async (tx) => {
    await tx.execute("DELETE FROM pins WHERE source_id = $1", [await sourceRowId(tx, source)]);
  });
  return {
    result: undefined,
    trail: entry(actor, "policy.changed", { kind: "source", id: source }, now, { pin: null }),
  };
}

/** Source name → the version it is pinned to. */
export async function listPins(db: Queryable): Promise<Map<string, string>> {
  const rows = await db.query("SELECT s.name, p.version FROM pins p JOIN sources s ON s.id = p.source_id");
  return new Map(rows.map((r) => [str(r, "sources", "name"), str(r, "pins", "version")]));
}

/**
 * Freezes every source and ring: nothing is approved or published until {@link unfreeze}.
 * @throws {PolicyError} `POLICY_ALREADY_FROZEN`.
 */
export async function freeze(
  db: Queryable,
  reason: string,
  actor: TrailActor,
  now: Date,
): Promise<PolicyChange<{ id: number }>> {
  checkText("a reason", reason);
  const [row] = await db.query(
    `INSERT INTO freezes (reason, frozen_by, frozen_at, in_force) VALUES ($1, $2, $3, 1)
     ON CONFLICT (in_force) DO NOTHING RETURNING id`,
    [reason, actor.id, now.getTime()],
  );
  if (row === undefined) throw new PolicyError(POLICY_ERRORS.ALREADY_FROZEN, "a freeze is already in force");
  const id = num(row, "freezes", "id");
  return {
    result: { id },
    trail: entry(actor, "release.frozen", { kind: "freeze", id: String(id) }, now, { reason }),
  };
}

/**
 * Lifts the freeze in force.
 * @throws {PolicyError} `POLICY_NOT_FROZEN`.
 */
export async function unfreeze(db: Queryable, actor: TrailActor, now: Date): Promise<PolicyChange<{ id: number }>> {
  const [row] = await db.query(
    "UPDATE freezes SET in_force = NULL, lifted_by = $1, lifted_at = $2 WHERE in_force = 1 RETURNING id",
    [actor.id, now.getTime()],
  );
  if (row === undefined) throw new PolicyError(POLICY_ERRORS.NOT_FROZEN, "no freeze is in force");
  const id = num(row, "freezes", "id");
  return { result: { id }, trail: entry(actor, "release.unfrozen", { kind: "freeze", id: String(id) }, now, {}) };
}

/** The freeze in force, or undefined. */
export async function currentFreeze(on: Queryable): Promise<Freeze | undefined> {
  const [row] = await on.query("SELECT reason, frozen_by, frozen_at FROM freezes WHERE in_force = 1");
  if (row === undefined) return undefined;
  return {
    reason: str(row, "freezes", "reason"),
    by: str(row, "freezes", "frozen_by"),
    since: new Date(num(row, "freezes", "frozen_at")),
  };
}
