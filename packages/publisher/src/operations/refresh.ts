/**
 * Refreshing a repository: re-signing, with the online keys, every role whose remaining
 * validity is below its refresh window, so that clients never see it expire. Root is never
 * re-signed here (its keys are offline); a root expiring soon is reported.
 */
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import type { PublisherOptions } from "../options.js";
import { type RefreshKind, refreshWindow } from "../store/refresh-window.js";
import type { RepoDir } from "../store/repo-dir.js";
import { withRepository } from "./open.js";
import type { RootNotice } from "./publish.js";

/** Options of {@link refreshRepository}. */
export interface RefreshOptions extends PublisherOptions {
  /** Report what is due; sign and write nothing. */
  readonly dryRun?: boolean;
  /** Re-sign timestamp even when it is not due. */
  readonly force?: boolean;
}

/** One role as the refresh saw it. */
export interface RoleCheck {
  readonly name: string;
  readonly version: number;
  readonly expires: string;
  /** Seconds of validity left when the refresh started. */
  readonly expiresIn: number;
  due: boolean;
}

/** A refresh window of bulwark.json longer than half the role's validity, and what was used instead. */
export interface ShortenedWindow {
  readonly kind: RefreshKind;
  /** The role's validity, in seconds. */
  readonly expiry: number;
  /** The window used, in seconds. */
  readonly used: number;
}

/** What {@link refreshRepository} did. */
export interface RefreshResult {
  readonly dryRun: boolean;
  /** Whether anything was re-signed and published. */
  readonly refreshed: boolean;
  /** The roles that were due (with `dryRun`: are due). */
  readonly due: readonly string[];
  /** The new version of each re-signed role. */
  readonly versions: Readonly<Record<string, number>>;
  readonly files: ReadonlyArray<{ readonly path: string; readonly bytes: number }>;
  /** Root, timestamp, snapshot, then every targets role. */
  readonly roles: readonly RoleCheck[];
  /** Windows shortened to half a role's validity. */
  readonly shortened: readonly ShortenedWindow[];
  /** Set when root expires within its notice window (30 days). */
  readonly rootNotice?: RootNotice;
}

/** Refuses to publish staged changes by surprise. */
async function requireNothingStaged(repoDir: RepoDir, pending: readonly string[], dir: string): Promise<void> {
  const staged = await repoDir.stagedState();
  if (pending.length === 0 && staged.added.length === 0) return;
  const what = [
    ...(staged.added.length > 0 ? [`${staged.added.length} target(s)`] : []),
    ...(pending.length > 0 ? [`changes to ${pending.join(", ")}`] : []),
  ].join(" and ");
  throw new PublisherError(
    PUBLISHER_ERRORS.STAGED_CHANGES,
    `${dir} has staged changes that are not published yet (${what}); refresh does not publish them`,
    {
      hint: `review them with \`bulwark repo status ${dir}\`, publish them with \`bulwark repo publish ${dir}\`, then refresh`,
    },
  );
}

/**
 * Re-signs every role whose remaining validity is below its window (`refreshBefore` in
 * bulwark.json, at most half the role's validity, so that a role just signed is never due
 * again and a refresh is idempotent): targets and delegated roles, then snapshot (also
 * whenever a targets role was re-signed), then timestamp; and publishes them.
 * @throws {PublisherError} `STAGED_CHANGES` when changes wait to be published; `LOCKED`;
 *   the key store's and publish's errors.
 */
export async function refreshRepository(dir: string, options: RefreshOptions = {}): Promise<RefreshResult> {
  return withRepository(dir, options, async (repoDir, repo) => {
    await requireNothingStaged(repoDir, repo.pendingRoles(), dir);
    const config = repoDir.config;
    const shortened: ShortenedWindow[] = [];
    for (const kind of ["timestamp", "snapshot", "targets", "delegated"] as const) {
      const w = refreshWindow(config, kind);
      if (w.shortened) shortened.push({ kind, expiry: config.expiry[kind], used: w.ms / 1000 });
    }
    const now = repoDir.now();
    const check = (name: string, kind: RefreshKind, signed: { version: number; expiresAt: number }): RoleCheck => ({
      name,
      version: signed.version,
      expires: new Date(signed.expiresAt).toISOString(),
      expiresIn: Math.floor((signed.expiresAt - now) / 1000),
      due: signed.expiresAt - now < refreshWindow(config, kind).ms,
    });

    const targetsChecks: RoleCheck[] = [];
    for (const name of repo.targetsRoleNames()) {
      const c = check(name, name === "targets" ? "targets" : "delegated", repo.targets(name).signed);
      targetsChecks.push(c);
      if (c.due) repo.touch(name);
    }
    const snapshot = check("snapshot", "snapshot", repo.snapshot.signed);
    // Any re-signed targets role changes snapshot anyway.
    snapshot.due ||= targetsChecks.some((c) => c.due);
    if (snapshot.due) repo.resignSnapshot();
    const timestamp = check("timestamp", "timestamp", repo.timestamp.signed);
    timestamp.due ||= snapshot.due || options.force === true;
    const root = check("root", "root", repo.root.signed);
    const rootNotice = root.due ? { version: root.version, expiresInMs: root.expiresIn * 1000 } : undefined;
    root.due = false;

    const checks = [root, timestamp, snapshot, ...targetsChecks];
    const due = checks.filter((c) => c.due).map((c) => c.name);
    const dryRun = options.dryRun === true;
    const report = timestamp.due && !dryRun ? await repoDir.publish(repo) : undefined;
    // The new version of each re-signed role (timestamp.json carries no version in its name).
    const versions: Record<string, number> = {};
    if (report !== undefined) {
      for (const name of due) {
        const md = name === "timestamp" ? repo.timestamp : name === "snapshot" ? repo.snapshot : repo.targets(name);
        versions[name] = md.signed.version;
      }
    }
    return {
      dryRun,
      refreshed: report !== undefined,
      due,
      versions,
      files: report?.files ?? [],
      roles: checks,
      shortened,
      ...(rootNotice ? { rootNotice } : {}),
    };
  });
}
