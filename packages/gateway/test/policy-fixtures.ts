/** A policy, releases and times shared by the policy tests. */
import { type PolicyContext, type PolicyRelease, parsePolicy } from "../src/index.js";

export const DAY = 86_400_000;
export const HOUR = 3_600_000;
/** A Tuesday, midnight UTC. */
export const FETCHED = new Date("2026-12-01T00:00:00.000Z");
export const after = (ms: number): Date => new Date(FETCHED.getTime() + ms);
export const SHA = "ab".repeat(32);
export const BAD_SHA = "cd".repeat(32);

/** canary → early (1 day after) → broad (3 days after); 2-day soak; 2 of alice, bob, carol. */
export const POLICY_DOCUMENT = {
  rings: [{ name: "canary" }, { name: "early", delay: "1d" }, { name: "broad", delay: "3d" }],
  default: { soak: "2d", scan: "clean", approvals: { required: 2, approvers: ["alice", "bob", "carol"] } },
  sources: {
    auto: { autoApprove: true },
    windowed: { autoApprove: true, windows: [{ days: ["sat"], start: "02:00", end: "06:00" }] },
    lenient: { scan: "review", rings: { canary: { approvals: { required: 1, approvers: ["carol"] } } } },
    "review-auto": { scan: "review", autoApprove: true, approvals: { required: 0 } },
  },
  block: { sha256: [BAD_SHA], signers: ["CN=Stolen Key"] },
};

export const POLICY = parsePolicy(POLICY_DOCUMENT);

export const CONTEXT: PolicyContext = { policy: POLICY, pins: new Map() };

/** A clean, verified release of `manual` (a source with no rule of its own). */
export const RELEASE: PolicyRelease = {
  source: "manual",
  version: "1.2.0",
  state: "scanned",
  sha256: SHA,
  signer: "CN=Acme",
  fetchedAt: FETCHED,
  scan: "clean",
  suspicious: false,
};
