/**
 * Every finding ID the audit can emit. `finding()` takes only a {@link FindingId}, so the
 * compiler keeps this list complete; docs/audit.md gives each one's meaning, and a test
 * checks the two agree. IDs are stable: audits are compared by them.
 */

/** The role part of a per-role TUF finding: a top-level role, or any delegated role. */
export const TUF_ROLE_KINDS = ["root", "timestamp", "snapshot", "targets", "delegated"] as const;
/** One of {@link TUF_ROLE_KINDS}. */
export type RoleKind = (typeof TUF_ROLE_KINDS)[number];

/** Findings every role can have, as `tuf.ROLE.NAME`. */
export const TUF_ROLE_FINDINGS = [
  "threshold-unreachable",
  "key-aliases",
  "unknown-key-id",
  "long-expiry",
  "expired",
  "missing",
  "does-not-verify",
] as const;

/** The finding IDs that are not per role. */
export const FINDING_IDS = [
  // every type
  "build.no-independent-builders",
  "feed.no-expiry",
  "feed.no-rollback-protection",
  "feed.other-host",
  "feed.unreadable",
  "feed.entity-expansion-refused",
  "feed.limit-exceeded",
  "feed.unrecognised",
  "transport.plain-http",
  "transport.loopback",
  "release.no-transparency-log",
  // TUF
  "tuf.root.single-key",
  "tuf.root.threshold-one",
  "tuf.root.key-online",
  "tuf.targets.threshold-one",
  "tuf.targets.key-online",
  "tuf.key.weak-rsa",
  "tuf.key.unusable",
  "tuf.consistent-snapshot.off",
  "tuf.delegation.any-path-one-key",
  "tuf.delegation.non-terminating",
  "tuf.delegation.not-read",
  "tuf.root-only",
  // Bulwark
  "bulwark.release-policy",
  "bulwark.release-policy.no-default",
  "bulwark.release-policy.unreadable",
  "bulwark.builders.repository-key",
  "bulwark.transparency-log",
  "bulwark.transparency-log.no-witnesses",
  "bulwark.transparency-log.single-witness",
  "bulwark.transparency-log.unreadable",
  // electron-updater
  "electron.feed-unsigned",
  "electron.windows-publisher-check",
  "electron.macos-code-signature",
  "electron.linux-no-signature",
  "electron.platform-unknown",
  "electron.no-hash",
  "electron.sha256-only",
  "electron.bad-hash",
  "electron.incomplete",
  "electron.staged-rollout",
  "electron.unsafe-file-name",
  "electron.legacy-mismatch",
  // Sparkle
  "sparkle.unsigned-enclosure",
  "sparkle.dsa-only",
  "sparkle.bad-signature",
  "sparkle.feed-unsigned",
  "sparkle.feed-signed",
  "sparkle.feed-signature-length",
  "sparkle.no-items",
  "sparkle.phased-rollout",
  "sparkle.critical-update",
  "sparkle.version-gate",
  // Squirrel.Windows
  "squirrel.no-signature",
  "squirrel.sha1",
  "squirrel.staged-rollout",
  // unknown
  "unknown.digests",
  "unknown.signature-fields",
] as const;

/** A finding ID: one of {@link FINDING_IDS}, or `tuf.ROLE.NAME` of {@link TUF_ROLE_FINDINGS}. */
export type FindingId = (typeof FINDING_IDS)[number] | `tuf.${RoleKind}.${(typeof TUF_ROLE_FINDINGS)[number]}`;

/** Every ID the audit can emit, per-role IDs spelled out. */
export function allFindingIds(): FindingId[] {
  const perRole = TUF_ROLE_KINDS.flatMap((role) => TUF_ROLE_FINDINGS.map((name) => `tuf.${role}.${name}` as const));
  return [...FINDING_IDS, ...perRole];
}
