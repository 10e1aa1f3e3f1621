/**
 * The policy decision: given a release, its approvals, the policy, the pins, the freeze and the
 * time, what each ring may do now and why. Pure: no I/O, no clock; the same inputs give the
 * same answer, so a decision can be re-made and checked later.
 *
 * Checks run in a fixed order, hard stops first (freeze, blocks, rejections, suspicion, the
 * scan's block verdict, pins), then the waits (scan, soak, ring order and delay, approvals,
 * maintenance window). Only the waits depend on the time, and each only ever ends, so for a
 * release whose inputs do not change the decision moves wait → approve → publish and never back,
 * except that outside a maintenance window a ring waits for the next one.
 */
import type { Policy } from "./model.js";
import { windowOpen } from "./windows.js";

/** What a ring may do with the release now. */
export type PolicyVerdict = "wait" | "approve" | "publish" | "block" | "hold";

/** Why: a stable code, one per check. */
export const DECISION_REASONS = {
  /** A freeze is in force: nothing moves. */
  FROZEN: "FROZEN",
  /** The release's state is `blocked`. */
  RELEASE_BLOCKED: "RELEASE_BLOCKED",
  /** Its SHA-256 is on the policy's block list. */
  BLOCKED_HASH: "BLOCKED_HASH",
  /** Its signer is on the policy's block list. */
  BLOCKED_SIGNER: "BLOCKED_SIGNER",
  /** An approver rejected it. */
  REJECTED: "REJECTED",
  /** A source raised an alert about it: held for a person to look at. */
  SUSPICIOUS: "SUSPICIOUS",
  /** The scan's verdict is `block`. */
  SCAN_BLOCKED: "SCAN_BLOCKED",
  /** Its source is pinned to another version. */
  PINNED: "PINNED",
  /** Already published in this ring. */
  PUBLISHED: "PUBLISHED",
  /** Not scanned yet. */
  NOT_SCANNED: "NOT_SCANNED",
  /** The scan asks for review and this ring accepts only `clean`. */
  SCAN_REVIEW: "SCAN_REVIEW",
  /** Still soaking (see `until`). */
  SOAKING: "SOAKING",
  /** The previous ring has not published it yet. */
  PREVIOUS_RING: "PREVIOUS_RING",
  /** The ring's delay after the previous ring is not over (see `until`). */
  RING_DELAY: "RING_DELAY",
  /** Fewer approvals than the ring needs. */
  AWAITING_APPROVALS: "AWAITING_APPROVALS",
  /** The scan asks for review and the ring needs no approvals: nothing can approve it but a policy change. */
  NEEDS_APPROVERS: "NEEDS_APPROVERS",
  /** k of n approvers approved: approve it for this ring. */
  APPROVED: "APPROVED",
  /** Clean, soaked, and the policy approves such releases itself. */
  AUTO_APPROVED: "AUTO_APPROVED",
  /** Approved, but outside every maintenance window (see `until`). */
  OUTSIDE_WINDOW: "OUTSIDE_WINDOW",
  /** Approved, and inside a maintenance window (or the ring has none): publish it. */
  READY: "READY",
} as const;

/** One of {@link DECISION_REASONS}. */
export type DecisionReason = (typeof DECISION_REASONS)[keyof typeof DECISION_REASONS];

/** The scan's verdict, as `bulwark scan` reports it. */
export type ScanVerdict = "clean" | "review" | "block";

/** How far a release went in one ring. */
export interface RingProgress {
  readonly approvedAt?: Date;
  readonly publishedAt?: Date;
}

/** What the decision needs to know of a release. */
export interface PolicyRelease {
  /** The source's name (the key of the policy's `sources`). */
  readonly source: string;
  readonly version: string;
  /** One of the release states (`blocked` is a hard stop). */
  readonly state: string;
  /** Lowercase hex. */
  readonly sha256: string;
  /** The identity that signed it, when its feed has signatures. */
  readonly signer?: string | undefined;
  readonly fetchedAt: Date;
  /** Undefined until it was scanned. */
  readonly scan?: ScanVerdict | undefined;
  /** True when a source raised an alert about it. */
  readonly suspicious: boolean;
  /** Per ring name. */
  readonly rings?: Readonly<Record<string, RingProgress>>;
}

/** One approver's decision on a release for a ring. */
export interface ApprovalVote {
  readonly approver: string;
  readonly ring: string;
  readonly decision: "approve" | "reject";
}

/** A freeze in force. */
export interface Freeze {
  readonly reason: string;
  readonly by: string;
  readonly since: Date;
}

/** Everything besides the release that a decision depends on. */
export interface PolicyContext {
  readonly policy: Policy;
  /** Source name → the version it is pinned to. */
  readonly pins: ReadonlyMap<string, string>;
  /** Undefined when no freeze is in force. */
  readonly freeze?: Freeze | undefined;
}

/** What one ring may do now, and why. */
export interface RingDecision {
  readonly ring: string;
  readonly decision: PolicyVerdict;
  readonly reason: DecisionReason;
  /** For a person. */
  readonly detail: string;
  /** When a wait ends, when that is known. */
  readonly until?: Date;
}

type Outcome = Omit<RingDecision, "ring">;

const at = (ms: number): Date => new Date(ms);

/** The hard stops: the same for every ring and at every time. */
function hardStop(release: PolicyRelease, votes: readonly ApprovalVote[], context: PolicyContext): Outcome | undefined {
  const { policy, freeze } = context;
  if (freeze !== undefined) {
    return {
      decision: "hold",
      reason: "FROZEN",
      detail: `frozen by ${freeze.by} since ${freeze.since.toISOString()}: ${freeze.reason}`,
    };
  }
  if (release.state === "blocked")
    return { decision: "block", reason: "RELEASE_BLOCKED", detail: "the release is blocked" };
  if (policy.blockedSha256.has(release.sha256)) {
    return { decision: "block", reason: "BLOCKED_HASH", detail: `sha256 ${release.sha256} is on the block list` };
  }
  if (release.signer !== undefined && policy.blockedSigners.has(release.signer)) {
    return { decision: "block", reason: "BLOCKED_SIGNER", detail: `signer ${release.signer} is on the block list` };
  }
  const rejection = votes.find((v) => v.decision === "reject");
  if (rejection !== undefined) {
    return {
      decision: "block",
      reason: "REJECTED",
      detail: `rejected by ${rejection.approver} (ring ${rejection.ring})`,
    };
  }
  if (release.suspicious) {
    return {
      decision: "hold",
      reason: "SUSPICIOUS",
      detail: "a source raised an alert about this release: a person must look at it",
    };
  }
  if (release.scan === "block")
    return { decision: "block", reason: "SCAN_BLOCKED", detail: "the scan's verdict is block" };
  const pin = context.pins.get(release.source);
  if (pin !== undefined && pin !== release.version) {
    return { decision: "hold", reason: "PINNED", detail: `${release.source} is pinned to ${pin}` };
  }
  return undefined;
}

function ringOutcome(
  release: PolicyRelease,
  votes: readonly ApprovalVote[],
  policy: Policy,
  index: number,
  now: Date,
): Outcome {
  const ring = policy.rings[index] as Policy["rings"][number];
  const rule = policy.rule(release.source, ring.name);
  const progress = release.rings?.[ring.name];
  if (progress?.publishedAt !== undefined) {
    return { decision: "publish", reason: "PUBLISHED", detail: `published at ${progress.publishedAt.toISOString()}` };
  }
  if (release.scan === undefined) return { decision: "wait", reason: "NOT_SCANNED", detail: "waiting for the scan" };
  if (release.scan === "review" && rule.scan === "clean") {
    return {
      decision: "hold",
      reason: "SCAN_REVIEW",
      detail: `the scan asks for review and ring ${ring.name} accepts only clean releases`,
    };
  }
  const t = now.getTime();
  const soakEnd = release.fetchedAt.getTime() + rule.soakMs;
  if (t < soakEnd) return { decision: "wait", reason: "SOAKING", detail: "soaking", until: at(soakEnd) };
  let start = soakEnd + ring.delayMs;
  if (index > 0) {
    const previous = policy.rings[index - 1] as Policy["rings"][number];
    const published = release.rings?.[previous.name]?.publishedAt;
    if (published === undefined) {
      return { decision: "wait", reason: "PREVIOUS_RING", detail: `waiting for ring ${previous.name} to publish it` };
    }
    start = Math.max(soakEnd, published.getTime() + ring.delayMs);
  }
  if (t < start)
    return { decision: "wait", reason: "RING_DELAY", detail: `ring ${ring.name}'s delay`, until: at(start) };
  if (progress?.approvedAt === undefined) {
    if (rule.autoApprove && release.scan === "clean") {
      return { decision: "approve", reason: "AUTO_APPROVED", detail: "clean and soaked: approved by the policy" };
    }
    const allowed = (id: string) => rule.approvers.length === 0 || rule.approvers.includes(id);
    const approvers = new Set(
      votes
        .filter((v) => v.ring === ring.name && v.decision === "approve" && allowed(v.approver))
        .map((v) => v.approver),
    );
    if (rule.required === 0) {
      return {
        decision: "hold",
        reason: "NEEDS_APPROVERS",
        detail: `ring ${ring.name} names no approvers and cannot approve this release itself`,
      };
    }
    if (approvers.size < rule.required) {
      return {
        decision: "wait",
        reason: "AWAITING_APPROVALS",
        detail: `${approvers.size} of ${rule.required} approvals`,
      };
    }
    return { decision: "approve", reason: "APPROVED", detail: `approved by ${[...approvers].sort().join(", ")}` };
  }
  const open = windowOpen(rule.windows, now);
  if (open !== true)
    return { decision: "wait", reason: "OUTSIDE_WINDOW", detail: "outside the maintenance windows", until: open };
  return { decision: "publish", reason: "READY", detail: "approved: publish it" };
}

/**
 * What each ring of the policy may do with `release` at `now`, in ring order.
 * `votes` are the approvals recorded for the release (policy/store.ts refuses invalid ones;
 * here a vote counts only for its ring and only from an approver the ring's rule lists).
 */
export function decide(
  release: PolicyRelease,
  votes: readonly ApprovalVote[],
  context: PolicyContext,
  now: Date,
): RingDecision[] {
  const stop = hardStop(release, votes, context);
  return context.policy.rings.map((ring, index) => ({
    ring: ring.name,
    ...(stop ?? ringOutcome(release, votes, context.policy, index, now)),
  }));
}
