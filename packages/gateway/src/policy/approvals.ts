/**
 * Approvals: one approver's `approve` or `reject` of a release for one ring. Refused with a
 * {@link PolicyError} unless it comes from a registered approver whom the policy lists for the
 * release's source and ring, for a release that is not blocked, once per approver and ring.
 */
import type { Database, Queryable } from "../db/database.js";
import { checkText, trailEntry as entry, type PolicyChange } from "./change.js";
import type { ApprovalVote } from "./decide.js";
import { POLICY_ERRORS, PolicyError } from "./errors.js";
import { badRow, loadPolicy, num, optionalNum, releaseRow, str } from "./rows.js";

/** One recorded approval or rejection. */
export interface ApprovalRecord extends ApprovalVote {
  readonly id: number;
  readonly releaseId: number;
  readonly comment?: string;
  readonly policyId: number;
  readonly createdAt: Date;
}

/** What {@link recordApproval} records. */
export interface ApprovalRequest {
  readonly releaseId: number;
  readonly ring: string;
  /** The approver's id: the authenticated identity, never a value from the request body. */
  readonly approver: string;
  readonly decision: "approve" | "reject";
  readonly comment?: string;
}

/**
 * Records an approver's approval or rejection of a release for one ring.
 * @throws {PolicyError} `POLICY_NONE`, `POLICY_UNKNOWN_RELEASE`, `POLICY_UNKNOWN_RING`,
 *   `POLICY_UNKNOWN_APPROVER` (not registered, or removed), `POLICY_NOT_AN_APPROVER` (not listed
 *   for this source and ring), `POLICY_RELEASE_BLOCKED`, `POLICY_DUPLICATE_APPROVAL`.
 */
export async function recordApproval(
  db: Database,
  request: ApprovalRequest,
  now: Date,
): Promise<PolicyChange<ApprovalRecord>> {
  if (request.comment !== undefined) checkText("a comment", request.comment);
  const record = await db.transaction(async (tx) => {
    const active = await loadPolicy(tx);
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
export async function listApprovals(db: Queryable, releaseId: number): Promise<ApprovalRecord[]> {
  const rows = await db.query(
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
