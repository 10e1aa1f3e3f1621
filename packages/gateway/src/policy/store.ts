/**
 * The policy engine's state in the gateway's database, behind one class: the policy in force
 * (every saved version kept), the approvers, the approvals (approvals.ts), how far each release
 * went in each ring, pins and the freeze (holds.ts). Each change is one transaction and returns
 * the audit-trail entry that records it, which the caller appends to the trail (trail/trail.ts).
 *
 * An approval is refused with a {@link PolicyError} unless it comes from a registered approver
 * whom the policy lists for the release's source and ring, for a release that is not blocked,
 * once per approver and ring.
 */
import { createHash } from "node:crypto";
import { canonicalString, type JsonValue } from "@bulwark/tuf";
import type { Database, Queryable } from "../db/database.js";
import type { TrailActor } from "../trail/entry.js";
import { type ApprovalRecord, type ApprovalRequest, listApprovals, recordApproval } from "./approvals.js";
import { checkText, trailEntry as entry, type PolicyChange } from "./change.js";
import type { Freeze, PolicyContext, PolicyRelease, RingProgress, ScanVerdict } from "./decide.js";
import { POLICY_ERRORS, PolicyError } from "./errors.js";
import { currentFreeze, freeze, listPins, pin, unfreeze, unpin } from "./holds.js";
import { type Policy, parsePolicy } from "./model.js";
import { loadPolicy, num, optionalNum, releaseRow, str } from "./rows.js";

/** A person (or, later, a token) who may approve releases. */
export interface Approver {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}

const APPROVER_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The policy engine's tables (migration 3) in one database. */
export class PolicyStore {
  constructor(readonly db: Database) {}

  /**
   * Checks and saves a policy document; it is in force from now on.
   * @throws {ConfigError} `POLICY_INVALID` for a document that does not check, or one naming an
   *   approver who is not in the approvers table.
   */
  async savePolicy(
    document: unknown,
    actor: TrailActor,
    now: Date,
  ): Promise<PolicyChange<{ id: number; policy: Policy }>> {
    const policy = parsePolicy(document);
    const text = canonicalString(document as JsonValue);
    const digest = createHash("sha256").update(text).digest("hex");
    const id = await this.db.transaction(async (tx) => {
      const known = new Set((await this.activeApprovers(tx)).map((a) => a.id));
      const unknown = [...policy.approverIds].filter((a) => !known.has(a)).sort();
      if (unknown.length > 0) {
        throw new PolicyError(
          POLICY_ERRORS.INVALID,
          `the policy names approvers who are not registered: ${unknown.join(", ")}`,
          {
            hint: "Add them as approvers first, or remove them from the policy.",
          },
        );
      }
      const [row] = await tx.query(
        "INSERT INTO policies (document, digest, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        [text, digest, actor.id, now.getTime()],
      );
      const policyId = num(row ?? {}, "policies", "id");
      for (const [position, ring] of policy.rings.entries()) {
        await tx.execute("INSERT INTO rings (policy_id, position, name, delay_ms) VALUES ($1, $2, $3, $4)", [
          policyId,
          position,
          ring.name,
          ring.delayMs,
        ]);
      }
      return policyId;
    });
    return {
      result: { id, policy },
      trail: entry(actor, "policy.changed", { kind: "policy", id: String(id) }, now, {
        digest,
        rings: policy.rings.map((r) => r.name),
      }),
    };
  }

  /** The policy in force, or undefined before one was saved. */
  async policy(): Promise<{ id: number; policy: Policy } | undefined> {
    return loadPolicy(this.db);
  }

  /**
   * Registers an approver.
   * @throws {PolicyError} `POLICY_INVALID` for a malformed id or name; `POLICY_DUPLICATE_APPROVER`.
   */
  async addApprover(approver: { id: string; name: string }, actor: TrailActor, now: Date): Promise<PolicyChange> {
    if (!APPROVER_ID.test(approver.id)) {
      throw new PolicyError(
        POLICY_ERRORS.INVALID,
        `approver id ${JSON.stringify(approver.id)} is not lowercase letters, digits, '.', '_', '-' (at most 64)`,
      );
    }
    checkText("an approver's name", approver.name);
    const added = await this.db.execute(
      "INSERT INTO approvers (id, name, created_by, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
      [approver.id, approver.name, actor.id, now.getTime()],
    );
    if (added === 0) throw new PolicyError(POLICY_ERRORS.DUPLICATE_APPROVER, `approver ${approver.id} already exists`);
    return {
      result: undefined,
      trail: entry(actor, "policy.changed", { kind: "approver", id: approver.id }, now, { added: approver.name }),
    };
  }

  /**
   * Removes an approver: their approvals stay on record, they can approve no more.
   * @throws {PolicyError} `POLICY_UNKNOWN_APPROVER`.
   */
  async removeApprover(id: string, actor: TrailActor, now: Date): Promise<PolicyChange> {
    const removed = await this.db.execute("UPDATE approvers SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL", [
      now.getTime(),
      id,
    ]);
    if (removed === 0) throw new PolicyError(POLICY_ERRORS.UNKNOWN_APPROVER, `no approver ${JSON.stringify(id)}`);
    return {
      result: undefined,
      trail: entry(actor, "policy.changed", { kind: "approver", id }, now, { removed: true }),
    };
  }

  /** The approvers who may approve, by id. */
  async approvers(): Promise<Approver[]> {
    return this.activeApprovers(this.db);
  }

  private async activeApprovers(on: Queryable): Promise<Approver[]> {
    const rows = await on.query("SELECT id, name, created_at FROM approvers WHERE removed_at IS NULL ORDER BY id");
    return rows.map((r) => ({
      id: str(r, "approvers", "id"),
      name: str(r, "approvers", "name"),
      createdAt: new Date(num(r, "approvers", "created_at")),
    }));
  }

  /**
   * Records an approver's approval or rejection of a release for one ring (see {@link recordApproval}).
   * @throws {PolicyError} `POLICY_NONE`, `POLICY_UNKNOWN_RELEASE`, `POLICY_UNKNOWN_RING`,
   *   `POLICY_UNKNOWN_APPROVER`, `POLICY_NOT_AN_APPROVER`, `POLICY_RELEASE_BLOCKED`, `POLICY_DUPLICATE_APPROVAL`.
   */
  recordApproval(request: ApprovalRequest, now: Date): Promise<PolicyChange<ApprovalRecord>> {
    return recordApproval(this.db, request, now);
  }

  /** The approvals and rejections of a release, oldest first. */
  approvals(releaseId: number): Promise<ApprovalRecord[]> {
    return listApprovals(this.db, releaseId);
  }

  /**
   * Blocks a release: no ring will approve or publish it.
   * @throws {PolicyError} `POLICY_UNKNOWN_RELEASE`.
   */
  async blockRelease(releaseId: number, reason: string, actor: TrailActor, now: Date): Promise<PolicyChange> {
    checkText("a reason", reason);
    const changed = await this.db.execute("UPDATE releases SET state = 'blocked', updated_at = $1 WHERE id = $2", [
      now.getTime(),
      releaseId,
    ]);
    if (changed === 0) throw new PolicyError(POLICY_ERRORS.UNKNOWN_RELEASE, `no release ${releaseId}`);
    return {
      result: undefined,
      trail: entry(actor, "release.blocked", { kind: "release", id: String(releaseId) }, now, { reason }),
    };
  }

  /**
   * Records that a ring approved or published a release (what {@link decide} reads as progress).
   * @throws {PolicyError} `POLICY_UNKNOWN_RELEASE`.
   */
  async markRing(
    releaseId: number,
    ring: string,
    step: "approved" | "published",
    actor: TrailActor,
    now: Date,
  ): Promise<PolicyChange> {
    await this.db.transaction(async (tx) => {
      await releaseRow(tx, releaseId);
      const column = step === "approved" ? "approved_at" : "published_at";
      await tx.execute(
        `INSERT INTO release_rings (release_id, ring, ${column}) VALUES ($1, $2, $3)
         ON CONFLICT (release_id, ring) DO UPDATE SET ${column} = COALESCE(release_rings.${column}, excluded.${column})`,
        [releaseId, ring, now.getTime()],
      );
    });
    return {
      result: undefined,
      trail: entry(
        actor,
        step === "approved" ? "release.approved" : "release.published",
        { kind: "release", id: String(releaseId) },
        now,
        {
          ring,
        },
      ),
    };
  }

  /** How far a release went in each ring. */
  async progress(releaseId: number): Promise<Record<string, RingProgress>> {
    const rows = await this.db.query(
      "SELECT ring, approved_at, published_at FROM release_rings WHERE release_id = $1",
      [releaseId],
    );
    const out: Record<string, RingProgress> = {};
    for (const r of rows) {
      const approved = optionalNum(r, "release_rings", "approved_at");
      const published = optionalNum(r, "release_rings", "published_at");
      out[str(r, "release_rings", "ring")] = {
        ...(approved === undefined ? {} : { approvedAt: new Date(approved) }),
        ...(published === undefined ? {} : { publishedAt: new Date(published) }),
      };
    }
    return out;
  }

  /**
   * What {@link decide} needs of a release, from the database: its source, version, state, hash,
   * signer (`evidence.signer`), when it was fetched, how far it went in each ring, and whether
   * it is suspicious: it is while any alert about it is unresolved (a person resolving the
   * alerts is what lets it go on).
   * @throws {PolicyError} `POLICY_UNKNOWN_RELEASE`.
   */
  async release(releaseId: number, scan: ScanVerdict | undefined): Promise<PolicyRelease> {
    const facts = await releaseRow(this.db, releaseId);
    const [open] = await this.db.query(
      "SELECT COUNT(*) AS n FROM alerts WHERE release_id = $1 AND resolved_at IS NULL",
      [releaseId],
    );
    return {
      source: facts.source,
      version: facts.version,
      state: facts.state,
      sha256: facts.sha256,
      signer: facts.signer,
      fetchedAt: facts.fetchedAt,
      scan,
      suspicious: num(open ?? {}, "alerts", "n") > 0,
      rings: await this.progress(releaseId),
    };
  }

  /**
   * Pins a source to a version: no other version of it is approved or published until unpinned.
   * @throws {PolicyError} `POLICY_UNKNOWN_SOURCE`, `POLICY_INVALID` for an empty version or reason.
   */
  pin(source: string, version: string, reason: string, actor: TrailActor, now: Date): Promise<PolicyChange> {
    return pin(this.db, source, version, reason, actor, now);
  }

  /**
   * Removes a source's pin (nothing happens when it has none).
   * @throws {PolicyError} `POLICY_UNKNOWN_SOURCE`.
   */
  unpin(source: string, actor: TrailActor, now: Date): Promise<PolicyChange> {
    return unpin(this.db, source, actor, now);
  }

  /** Source name → the version it is pinned to. */
  pins(): Promise<Map<string, string>> {
    return listPins(this.db);
  }

  /**
   * Freezes every source and ring: nothing is approved or published until {@link unfreeze}.
   * @throws {PolicyError} `POLICY_ALREADY_FROZEN`.
   */
  freeze(reason: string, actor: TrailActor, now: Date): Promise<PolicyChange<{ id: number }>> {
    return freeze(this.db, reason, actor, now);
  }

  /**
   * Lifts the freeze in force.
   * @throws {PolicyError} `POLICY_NOT_FROZEN`.
   */
  unfreeze(actor: TrailActor, now: Date): Promise<PolicyChange<{ id: number }>> {
    return unfreeze(this.db, actor, now);
  }

  /** The freeze in force, or undefined. */
  currentFreeze(): Promise<Freeze | undefined> {
    return currentFreeze(this.db);
  }

  /**
   * What {@link decide} needs besides the release: the policy in force, the pins, the freeze.
   * @throws {PolicyError} `POLICY_NONE` before a policy was saved.
   */
  async context(): Promise<PolicyContext> {
    const active = await this.policy();
    if (active === undefined) throw new PolicyError(POLICY_ERRORS.NONE, "no policy is in force");
    return { policy: active.policy, pins: await this.pins(), freeze: await this.currentFreeze() };
  }
}
