import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  type ApprovalVote,
  decide,
  type PolicyContext,
  type PolicyRelease,
  type PolicyVerdict,
  parsePolicy,
  type RingDecision,
} from "../src/index.js";
import { after, BAD_SHA, CONTEXT, DAY, FETCHED, HOUR, POLICY_DOCUMENT, RELEASE } from "./policy-fixtures.js";

const vote = (approver: string, ring = "canary", decision: "approve" | "reject" = "approve"): ApprovalVote => ({
  approver,
  ring,
  decision,
});

interface Case {
  readonly name: string;
  readonly release?: Partial<PolicyRelease>;
  readonly votes?: readonly ApprovalVote[];
  readonly context?: Partial<PolicyContext>;
  /** Default: 3 days after the fetch (soaked). */
  readonly now?: Date;
  readonly ring?: string;
  readonly expect: Pick<RingDecision, "decision" | "reason"> & { until?: Date };
}

const FREEZE = { reason: "incident 42", by: "secops", since: after(HOUR) };
const SAT = new Date("2026-12-05T00:00:00.000Z");

const CASES: readonly Case[] = [
  {
    name: "soak not over: wait until it is",
    now: after(DAY),
    expect: { decision: "wait", reason: "SOAKING", until: after(2 * DAY) },
  },
  {
    name: "1 of 2 approvals: wait",
    votes: [vote("alice")],
    expect: { decision: "wait", reason: "AWAITING_APPROVALS" },
  },
  {
    name: "2 of 2 approvals: approve",
    votes: [vote("alice"), vote("bob")],
    expect: { decision: "approve", reason: "APPROVED" },
  },
  {
    name: "the same approver twice counts once",
    votes: [vote("alice"), vote("alice")],
    expect: { decision: "wait", reason: "AWAITING_APPROVALS" },
  },
  {
    name: "an approval by someone the ring does not list does not count",
    votes: [vote("alice"), vote("mallory")],
    expect: { decision: "wait", reason: "AWAITING_APPROVALS" },
  },
  {
    name: "an approval for another ring does not count",
    votes: [vote("alice"), vote("bob", "early")],
    expect: { decision: "wait", reason: "AWAITING_APPROVALS" },
  },
  {
    name: "approved before the soak is over: still wait",
    votes: [vote("alice"), vote("bob")],
    now: after(DAY),
    expect: { decision: "wait", reason: "SOAKING", until: after(2 * DAY) },
  },
  {
    name: "a freeze holds",
    votes: [vote("alice"), vote("bob")],
    context: { freeze: FREEZE },
    expect: { decision: "hold", reason: "FROZEN" },
  },
  {
    name: "a blocked hash is blocked",
    release: { sha256: BAD_SHA },
    expect: { decision: "block", reason: "BLOCKED_HASH" },
  },
  {
    name: "a blocked signer is blocked",
    release: { signer: "CN=Stolen Key" },
    expect: { decision: "block", reason: "BLOCKED_SIGNER" },
  },
  {
    name: "a blocked release is blocked",
    release: { state: "blocked" },
    expect: { decision: "block", reason: "RELEASE_BLOCKED" },
  },
  {
    name: "one rejection blocks, whatever the approvals",
    votes: [vote("alice"), vote("bob"), vote("carol", "broad", "reject")],
    expect: { decision: "block", reason: "REJECTED" },
  },
  {
    name: "pinned to another version: hold",
    votes: [vote("alice"), vote("bob")],
    context: { pins: new Map([["manual", "1.1.0"]]) },
    expect: { decision: "hold", reason: "PINNED" },
  },
  {
    name: "pinned to this version: goes on",
    votes: [vote("alice"), vote("bob")],
    context: {
      pins: new Map([
        ["manual", "1.2.0"],
        ["other", "0.1.0"],
      ]),
    },
    expect: { decision: "approve", reason: "APPROVED" },
  },
  {
    name: "suspicious (a source's alert): hold for a person, even where clean releases are approved automatically",
    release: { source: "auto", suspicious: true },
    expect: { decision: "hold", reason: "SUSPICIOUS" },
  },
  { name: "not scanned yet: wait", release: { scan: undefined }, expect: { decision: "wait", reason: "NOT_SCANNED" } },
  {
    name: "the scan says block: block",
    release: { scan: "block" },
    expect: { decision: "block", reason: "SCAN_BLOCKED" },
  },
  {
    name: "the scan asks for review where only clean is accepted: hold",
    release: { scan: "review" },
    votes: [vote("alice"), vote("bob")],
    expect: { decision: "hold", reason: "SCAN_REVIEW" },
  },
  {
    name: "review accepted: approvals decide (1 of carol)",
    release: { source: "lenient", scan: "review" },
    votes: [vote("carol")],
    expect: { decision: "approve", reason: "APPROVED" },
  },
  {
    name: "review accepted but never auto-approved, and no approvers: hold",
    release: { source: "review-auto", scan: "review" },
    expect: { decision: "hold", reason: "NEEDS_APPROVERS" },
  },
  {
    name: "clean and soaked where the policy allows: auto-approve",
    release: { source: "auto" },
    expect: { decision: "approve", reason: "AUTO_APPROVED" },
  },
  {
    name: "approved: publish",
    release: { rings: { canary: { approvedAt: after(2 * DAY) } } },
    expect: { decision: "publish", reason: "READY" },
  },
  {
    name: "outside the maintenance window: wait until the next one (Saturday 02:00)",
    release: { source: "windowed", rings: { canary: { approvedAt: after(2 * DAY) } } },
    expect: { decision: "wait", reason: "OUTSIDE_WINDOW", until: new Date("2026-12-05T02:00:00.000Z") },
  },
  {
    name: "inside the maintenance window: publish",
    release: { source: "windowed", rings: { canary: { approvedAt: after(2 * DAY) } } },
    now: new Date(SAT.getTime() + 3 * HOUR),
    expect: { decision: "publish", reason: "READY" },
  },
  {
    name: "the window just closed: wait a week",
    release: { source: "windowed", rings: { canary: { approvedAt: after(2 * DAY) } } },
    now: new Date(SAT.getTime() + 6 * HOUR),
    expect: { decision: "wait", reason: "OUTSIDE_WINDOW", until: new Date("2026-12-12T02:00:00.000Z") },
  },
  {
    name: "early waits for canary to publish",
    release: { source: "auto" },
    ring: "early",
    expect: { decision: "wait", reason: "PREVIOUS_RING" },
  },
  {
    name: "early follows canary after its delay",
    release: { source: "auto", rings: { canary: { publishedAt: after(2 * DAY + 12 * HOUR) } } },
    ring: "early",
    expect: { decision: "wait", reason: "RING_DELAY", until: after(3 * DAY + 12 * HOUR) },
  },
  {
    name: "early, its delay over: auto-approve",
    release: { source: "auto", rings: { canary: { publishedAt: after(2 * DAY + 12 * HOUR) } } },
    ring: "early",
    now: after(3 * DAY + 12 * HOUR),
    expect: { decision: "approve", reason: "AUTO_APPROVED" },
  },
  {
    name: "broad follows early after its own delay",
    release: {
      source: "auto",
      rings: { canary: { publishedAt: after(2 * DAY) }, early: { publishedAt: after(3 * DAY) } },
    },
    ring: "broad",
    expect: { decision: "wait", reason: "RING_DELAY", until: after(6 * DAY) },
  },
  {
    name: "published: stays published",
    release: { rings: { canary: { approvedAt: after(2 * DAY), publishedAt: after(2 * DAY) } } },
    expect: { decision: "publish", reason: "PUBLISHED" },
  },
];

describe("policy decisions", () => {
  for (const c of CASES) {
    test(c.name, () => {
      const decisions = decide(
        { ...RELEASE, ...c.release },
        c.votes ?? [],
        { ...CONTEXT, ...c.context },
        c.now ?? after(3 * DAY),
      );
      assert.deepEqual(
        decisions.map((d) => d.ring),
        ["canary", "early", "broad"],
      );
      const got = decisions.find((d) => d.ring === (c.ring ?? "canary"));
      assert.ok(got !== undefined);
      assert.deepEqual(
        { decision: got.decision, reason: got.reason, until: got.until },
        { until: undefined, ...c.expect },
      );
      assert.ok(got.detail.length > 0);
    });
  }

  test("a ring's rule: default, then the ring's own, then the source's, then the source's for that ring", () => {
    const policy = parsePolicy({
      rings: [{ name: "canary", rule: { soak: "1d", autoApprove: true } }, { name: "broad" }],
      default: { soak: "3d", approvals: { required: 1 } },
      sources: { acme: { soak: "5d", rings: { broad: { soak: "7d" } } } },
    });
    assert.deepEqual(
      [
        policy.rule("other", "canary"),
        policy.rule("other", "broad"),
        policy.rule("acme", "canary"),
        policy.rule("acme", "broad"),
      ].map((r) => [r.soakMs / DAY, r.autoApprove, r.required]),
      [
        [1, true, 1],
        [3, false, 1],
        [5, true, 1],
        [7, false, 1],
      ],
    );
  });
});

const RANK: Record<PolicyVerdict, number> = { wait: 0, approve: 1, publish: 2, hold: -1, block: -1 };
const APPROVERS = ["alice", "bob", "carol", "mallory"];
const RINGS = ["canary", "early", "broad"];
const maybeTime = fc.option(
  fc.integer({ min: 0, max: 14 * DAY }).map((ms) => after(ms)),
  { nil: undefined },
);

const arbVotes = fc.array(
  fc.record({
    approver: fc.constantFrom(...APPROVERS),
    ring: fc.constantFrom(...RINGS),
    decision: fc.constant("approve" as const),
  }),
  { maxLength: 6 },
);
const arbProgress = fc.dictionary(
  fc.constantFrom(...RINGS),
  fc.record({ approvedAt: maybeTime, publishedAt: maybeTime }).map((p) => ({
    ...(p.approvedAt === undefined ? {} : { approvedAt: p.approvedAt }),
    ...(p.publishedAt === undefined ? {} : { publishedAt: p.publishedAt }),
  })),
);

describe("policy decision properties", () => {
  test("for a clean release, decisions only move forward in time (wait → approve → publish)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("manual", "auto", "lenient"),
        arbVotes,
        arbProgress,
        fc.integer({ min: 0, max: 14 * DAY }),
        fc.integer({ min: 0, max: 14 * DAY }),
        (source, votes, rings, a, b) => {
          const release = { ...RELEASE, source, rings };
          const early = decide(release, votes, CONTEXT, after(Math.min(a, b)));
          const late = decide(release, votes, CONTEXT, after(Math.max(a, b)));
          for (const [i, d] of early.entries()) {
            const l = late[i] as RingDecision;
            assert.ok(RANK[d.decision] >= 0 && RANK[l.decision] >= 0, "a clean release is never held or blocked");
            assert.ok(RANK[d.decision] <= RANK[l.decision], `${d.ring}: ${d.reason} then ${l.reason}`);
          }
        },
      ),
    );
  });

  test("with maintenance windows, only the window's wait comes back once a ring is approved", () => {
    fc.assert(
      fc.property(
        arbProgress,
        fc.integer({ min: 0, max: 21 * DAY }),
        fc.integer({ min: 0, max: 21 * DAY }),
        (rings, a, b) => {
          const release = { ...RELEASE, source: "windowed", rings };
          const early = decide(release, [], CONTEXT, after(Math.min(a, b)));
          const late = decide(release, [], CONTEXT, after(Math.max(a, b)));
          for (const [i, d] of early.entries()) {
            const l = late[i] as RingDecision;
            if (d.decision !== "wait")
              assert.ok(l.decision !== "wait" || l.reason === "OUTSIDE_WINDOW", `${d.reason} then ${l.reason}`);
            if (l.reason === "OUTSIDE_WINDOW") assert.ok(l.until !== undefined && l.until > after(Math.max(a, b)));
          }
        },
      ),
    );
  });

  test("a freeze always holds every ring, whatever the release, approvals and time", () => {
    fc.assert(
      fc.property(
        fc.record({
          source: fc.constantFrom("manual", "auto", "windowed", "lenient", "unknown"),
          version: fc.string(),
          state: fc.constantFrom("fetched", "scanned", "approved", "published", "blocked"),
          sha256: fc.constantFrom(RELEASE.sha256, BAD_SHA),
          signer: fc.option(fc.constantFrom("CN=Acme", "CN=Stolen Key"), { nil: undefined }),
          fetchedAt: maybeTime.map((t) => t ?? FETCHED),
          scan: fc.option(fc.constantFrom("clean" as const, "review" as const, "block" as const), { nil: undefined }),
          suspicious: fc.boolean(),
          rings: arbProgress,
        }),
        arbVotes,
        fc.integer({ min: -DAY, max: 30 * DAY }),
        (release, votes, t) => {
          const decisions = decide(release, votes, { ...CONTEXT, freeze: FREEZE }, after(t));
          assert.equal(decisions.length, 3);
          for (const d of decisions) assert.deepEqual([d.decision, d.reason], ["hold", "FROZEN"]);
        },
      ),
    );
  });

  test("the fixture policy checks", () => {
    assert.equal(parsePolicy(POLICY_DOCUMENT).rings.length, 3);
  });
});
