/**
 * The policy engine's state in the gateway's database: the policy in force (every saved version
 * kept), the approvers, the approvals, how far each release went in each ring, pins and the
 * freeze. Each change is one transaction and returns the audit-trail entry that records it,
 * which the caller appends to the trail (trail/trail.ts).
 *
 * An approval is refused with a {@link PolicyError} unless it comes from a registered approver
 * whom the policy lists for the release's source and ring, for a release that is not blocked,
 * once per approver and ring.
 */
import { createHash } from "node:crypto";
import { canonicalString, type JsonObject, type JsonValue } from "@bulwark/tuf";
import type { Database, Queryable } from "../db/database.js";
import type { TrailActor, TrailEntry } from "../trail/entry.js";
import type { ApprovalVote, Freeze, PolicyContext, PolicyRelease, RingProgress, ScanVerdict } from "./decide.js";
import { POLICY_ERRORS, PolicyError } from "./errors.js";
import { type Policy, parsePolicy } from "./model.js";
import { badRow, num, optionalNum, releaseRow, sourceRowId, str } from "./rows.js";

/** The longest name, reason or comment kept. */
export const MAX_POLICY_TEXT = 1024;

/** A person (or, later, a token) who may approve releases. */
export interface Approver {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}

/** One recorded approval or rejection. */
export interface ApprovalRecord extends ApprovalVote {
  readonly id: number;
  readonly releaseId: number;
  readonly comment?: string;
  readonly policyId: number;
  readonly createdAt: Date;
}

/** What {@link PolicyStore.recordApproval} records. */
export interface ApprovalRequest {
  readonly releaseId: number;
  readonly ring: string;
  /** The approver's id: the authenticated identity, never a value from the request body. */
  readonly approver: string;
  readonly decision: "approve" | "reject";
  readonly comment?: string;
}

/** A change made, and the trail entry that records it (append it to the trail). */
export interface PolicyChange<T = undefined> {
  readonly result: T;
  readonly trail: TrailEntry;
}

const APPROVER_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function checkText(what: string, text: string): void {
  if (text.trim() === "" || text.length > MAX_POLICY_TEXT) {
    throw new PolicyError(POLICY_ERRORS.INVALID, `${what} must be between 1 and ${MAX_POLICY_TEXT} characters`);
  }
}

function entry(
  actor: TrailActor,
  action: TrailEntry["action"],
  subject: TrailEntry["subject"],
  time: Date,
  details: JsonObject,
): TrailEntry {
  return { actor, action, subject, time, details };
}

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
  async policy(on: Queryable = this.db): Promise<{ id: number; policy: Policy } | undefined> {
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
   * Records an approver's approval or rejection of a release for one ring.
   * @throws {PolicyError} `POLICY_NONE`, `POLICY_UNKNOWN_RELEASE`, `POLICY_UNKNOWN_RING`,
   *   `POLICY_UNKNOWN_APPROVER` (not registered, or removed), `POLICY_NOT_AN_APPROVER` (not listed
   *   for this source and ring), `POLICY_RELEASE_BLOCKED`, `POLICY_DUPLICATE_APPROVAL`.
   */
  async recordApproval(request: ApprovalRequest, now: Date): Promise<PolicyChange<ApprovalRecord>> {
    if (request.comment !== undefined) checkText("a comment", request.comment);
    const record = await this.db.transaction(async (tx) => {
      const active = await this.policy(tx);
      if (active === undefined)
        throw new PolicyError(POLICY_ERRORS.NONE, "no policy is in force: nothing can be approved");
      const { policy } = active;
      const release = await releaseRow(tx, request.releaseId);
      if (!policy.rings.some((r) => r.name === request.ring)) {
        throw new PolicyError(POLICY_ERRORS.UNKNOWN_RING, `the policy has no ring ${JSON.stringify(request.ring)}`);
      }
      const [approver] = await tx.query("SELECT id FROM approvers WHERE id = $1 AND removed_at IS NULL", [
        request.approver,
      ]);
      if (approver === undefined) {
        throw new PolicyError(POLICY_ERRORS.UNKNOWN_APPROVER, `${JSON.stringify(request.approver)} is not an approver`);
      }
      const rule = policy.rule(release.source, request.ring);
      if (rule.approvers.length > 0 && !rule.approvers.includes(request.approver)) {
        throw new PolicyError(
          POLICY_ERRORS.NOT_AN_APPROVER,
          `${request.approver} is not an approver of ${release.source} in ring ${request.ring}`,
        );
      }
      const blocked =
        release.state === "blocked"
          ? "the release is blocked"
          : policy.blockedSha256.has(release.sha256)
            ? `sha256 ${release.sha256} is on the block list`
            : release.signer !== undefined && policy.blockedSigners.has(release.signer)
              ? `signer ${release.signer} is on the block list`
              : undefined;
      if (blocked !== undefined && request.decision === "approve") {
        throw new PolicyError(
          POLICY_ERRORS.RELEASE_BLOCKED,
          `release ${request.releaseId} cannot be approved: ${blocked}`,
        );
      }
      const [row] = await tx.query(
        `INSERT INTO approvals (release_id, ring, approver, decision, comment, created_at, policy_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (release_id, ring, approver) DO NOTHING RETURNING id`,
        [
          request.releaseId,
          request.ring,
          request.approver,
          request.decision,
          request.comment ?? null,
          now.getTime(),
          active.id,
        ],
      );
      if (row === undefined) {
        throw new PolicyError(
          POLICY_ERRORS.DUPLICATE_APPROVAL,
          `${request.approver} already decided on release ${request.releaseId} for ring ${request.ring}`,
        );
      }
      return {
        id: num(row, "approvals", "id"),
        releaseId: request.releaseId,
        ring: request.ring,
        approver: request.approver,
        decision: request.decision,
        ...(request.comment === undefined ? {} : { comment: request.comment }),
        policyId: active.id,
        createdAt: now,
      } satisfies ApprovalRecord;
    });
    return {
      result: record,
      trail: entry(
        { kind: "user", id: record.approver },
        record.decision === "approve" ? "release.approved" : "release.rejected",
        { kind: "release", id: String(record.releaseId) },
        now,
        { ring: record.ring, vote: record.decision, policy: record.policyId },
      ),
    };
  }

  /** The approvals and rejections of a release, oldest first. */
  async approvals(releaseId: number): Promise<ApprovalRecord[]> {
    const rows = await this.db.query(
      "SELECT id, ring, approver, decision, comment, created_at, policy_id FROM approvals WHERE release_id = $1 ORDER BY id",
      [releaseId],
    );
    return rows.map((r) => {
      const decision = str(r, "approvals", "decision");
      if (decision !== "approve" && decision !== "reject") badRow("approvals", "decision");
      return {
        id: num(r, "approvals", "id"),
        releaseId,
        ring: str(r, "approvals", "ring"),
        approver: str(r, "approvals", "approver"),
        decision,
        ...(typeof r.comment === "string" ? { comment: r.comment } : {}),
        policyId: optionalNum(r, "approvals", "policy_id") ?? 0,
        createdAt: new Date(num(r, "approvals", "created_at")),
      };
    });
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
  async pin(source: string, version: string, reason: string, actor: TrailActor, now: Date): Promise<PolicyChange> {
    checkText("a version", version);
    checkText("a reason", reason);
    await this.db.transaction(async (tx) => {
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
  async unpin(source: string, actor: TrailActor, now: Date): Promise<PolicyChange> {
    await this.db.transaction(async (tx) => {
      await tx.execute("DELETE FROM pins WHERE source_id = $1", [await sourceRowId(tx, source)]);
    });
    return {
      result: undefined,
      trail: entry(actor, "policy.changed", { kind: "source", id: source }, now, { pin: null }),
    };
  }

  /** Source name → the version it is pinned to. */
  async pins(): Promise<Map<string, string>> {
    const rows = await this.db.query("SELECT s.name, p.version FROM pins p JOIN sources s ON s.id = p.source_id");
    return new Map(rows.map((r) => [str(r, "sources", "name"), str(r, "pins", "version")]));
  }

  /**
   * Freezes every source and ring: nothing is approved or published until {@link unfreeze}.
   * @throws {PolicyError} `POLICY_ALREADY_FROZEN`.
   */
  async freeze(reason: string, actor: TrailActor, now: Date): Promise<PolicyChange<{ id: number }>> {
    checkText("a reason", reason);
    const [row] = await this.db.query(
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
  async unfreeze(actor: TrailActor, now: Date): Promise<PolicyChange<{ id: number }>> {
    const [row] = await this.db.query(
      "UPDATE freezes SET in_force = NULL, lifted_by = $1, lifted_at = $2 WHERE in_force = 1 RETURNING id",
      [actor.id, now.getTime()],
    );
    if (row === undefined) throw new PolicyError(POLICY_ERRORS.NOT_FROZEN, "no freeze is in force");
    const id = num(row, "freezes", "id");
    return { result: { id }, trail: entry(actor, "release.unfrozen", { kind: "freeze", id: String(id) }, now, {}) };
  }

  /** The freeze in force, or undefined. */
  async currentFreeze(on: Queryable = this.db): Promise<Freeze | undefined> {
    const [row] = await on.query("SELECT reason, frozen_by, frozen_at FROM freezes WHERE in_force = 1");
    if (row === undefined) return undefined;
    return {
      reason: str(row, "freezes", "reason"),
      by: str(row, "freezes", "frozen_by"),
      since: new Date(num(row, "freezes", "frozen_at")),
    };
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
