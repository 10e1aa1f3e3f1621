import type { RepoConfig } from "./config.js";

/** How long before root expires `repo refresh` and `repo status` start to say so (root is signed offline). */
export const ROOT_NOTICE_SECONDS = 30 * 86400;

/** The kinds of role a refresh window applies to. */
export type RefreshKind = "root" | "timestamp" | "snapshot" | "targets" | "delegated";

/**
 * The refresh window of a role in milliseconds: re-sign when less than this is left.
 * `refreshBefore` from bulwark.json, shortened to half the role's validity so that a role
 * just signed is never due again (a window longer than the validity would re-sign on
 * every run, and refresh would not be idempotent).
 */
export function refreshWindow(config: RepoConfig, kind: RefreshKind): { ms: number; shortened: boolean } {
  const before =
    kind === "root"
      ? ROOT_NOTICE_SECONDS
      : kind === "delegated"
        ? config.refreshBefore.targets
        : config.refreshBefore[kind];
  const half = config.expiry[kind] / 2;
  return { ms: Math.min(before, half) * 1000, shortened: before > half };
}
