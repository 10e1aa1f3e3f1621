/**
 * A repository's state at a glance, as `repo status` (and a dashboard) shows it: each role
 * with its keys, threshold, published version, expiry and whether the next publish signs it;
 * the keys in bulwark.json and where their private halves are; the staged targets. Keys and
 * thresholds include staged changes; versions and expiry are what clients see now. Under a
 * log policy, the releases clients refuse for want of a proof. Reads without taking the
 * repository lock.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { LogPolicy } from "@bulwark/tlog";
import { encodeName, Metadata, type Repository, type Targets } from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import { type UnloggedRelease, unloggedReleases } from "../log/backfill.js";
import type { PublisherOptions } from "../options.js";
import type { RepoConfig } from "../store/config.js";
import { type RefreshKind, refreshWindow } from "../store/refresh-window.js";
import { RepoDir } from "../store/repo-dir.js";
import { logPolicyIn } from "../transparency-policy.js";

/** One row of the roles table; a set of hashed bins is one row. */
export interface RoleRow {
  name: string;
  kind: "root" | "timestamp" | "snapshot" | "targets" | "delegated" | "bins";
  delegator?: string;
  /** Bins only: how many bins, and how many of them have staged changes. */
  count?: number;
  stagedCount?: number;
  keyids: string[];
  threshold: number;
  version: number | null;
  expires: string | null;
  expiresIn: number | null;
  refreshDue: boolean;
  staged: boolean;
}

/** Where a key's private half is, as `repo status` reports it. */
export type KeyLocation =
  | { location: "file"; file: string; present: boolean }
  | { location: "command"; program: string }
  | { location: "offline" };

function where(entry: RepoConfig["keys"][number], dir: string): KeyLocation {
  if ("file" in entry)
    return { location: "file", file: entry.file, present: existsSync(path.resolve(dir, entry.file)) };
  // Only the program: arguments may carry a token.
  if ("command" in entry) return { location: "command", program: entry.command.trim().split(/\s+/)[0] ?? "" };
  return { location: "offline" };
}

/** Reads the published state next to the working state with staged changes. */
class StatusReader {
  private readonly pending: Set<string>;
  private readonly consistent: boolean;
  readonly rows: RoleRow[] = [];

  constructor(
    private readonly repoDir: RepoDir,
    private readonly repo: Repository,
    private readonly now: number,
  ) {
    this.pending = new Set(repo.pendingRoles());
    this.consistent = (repo.publishedRoot() ?? repo.root).signed.consistentSnapshot === true;
  }

  /** The published version of a targets role (what clients see), or undefined when never published. */
  private publishedTargets(name: string): Metadata<Targets> | undefined {
    if (!this.pending.has(name)) {
      try {
        return this.repo.targets(name);
      } catch (error) {
        if (isCorrupt(error)) throw error;
        return undefined;
      }
    }
    const meta = this.repo.snapshot.signed.meta.get(`${name}.json`);
    if (meta === undefined) return undefined;
    const file = `${this.consistent ? `${meta.version}.` : ""}${encodeName(name)}.json`;
    try {
      return Metadata.fromBytes(readFileSync(path.join(this.repoDir.paths.metadata, file)), "targets");
    } catch {
      return undefined;
    }
  }

  private timing(kind: RefreshKind, signed: { version: number; expiresAt: number } | undefined) {
    if (signed === undefined) return { version: null, expires: null, expiresIn: null, refreshDue: false };
    return {
      version: signed.version,
      expires: new Date(signed.expiresAt).toISOString(),
      expiresIn: Math.floor((signed.expiresAt - this.now) / 1000),
      refreshDue: signed.expiresAt - this.now < refreshWindow(this.repoDir.config, kind).ms,
    };
  }

  topLevel(): void {
    const { repo } = this;
    const root = repo.root.signed;
    const anyTargets = [...this.pending].some((r) => r !== "root" && r !== "snapshot");
    const staged = {
      root: this.pending.has("root"),
      timestamp: this.pending.size > 0,
      snapshot: this.pending.has("snapshot") || anyTargets,
      targets: this.pending.has("targets"),
    };
    const signed = {
      root: repo.publishedRoot()?.signed,
      timestamp: repo.timestamp.signed,
      snapshot: repo.snapshot.signed,
      targets: this.publishedTargets("targets")?.signed,
    };
    for (const name of ["root", "targets", "snapshot", "timestamp"] as const) {
      const role = root.role(name);
      this.rows.push({
        name,
        kind: name,
        keyids: [...role.keyids],
        threshold: role.threshold,
        ...this.timing(name, signed[name]),
        staged: staged[name],
      });
    }
  }

  /** Walks the delegation graph of the working state, pre-order depth first, each role once. */
  delegations(delegator = "targets", visited = new Set(["targets"])): void {
    let md: Metadata<Targets>;
    try {
      md = this.repo.targets(delegator);
    } catch (error) {
      if (isCorrupt(error)) throw error;
      return;
    }
    const d = md.signed.delegations;
    if (d?.succinctRoles !== undefined) {
      const bins = d.succinctRoles;
      const names = [...bins.roleNames()];
      const published = names.map((n) => this.publishedTargets(n)?.signed);
      const versions = published.flatMap((s) => (s === undefined ? [] : [s.version]));
      const soonest = published.reduce<Targets | undefined>(
        (a, s) => (s !== undefined && (a === undefined || s.expiresAt < a.expiresAt) ? s : a),
        undefined,
      );
      const stagedCount = names.filter((n) => this.pending.has(n)).length;
      this.rows.push({
        name: `${bins.namePrefix}-*`,
        kind: "bins",
        delegator,
        count: names.length,
        stagedCount,
        keyids: [...bins.keyids],
        threshold: bins.threshold,
        ...this.timing("delegated", soonest),
        version: versions.length === 0 ? null : Math.max(...versions),
        staged: stagedCount > 0,
      });
      return;
    }
    for (const role of d?.roles?.values() ?? []) {
      if (visited.has(role.name)) continue;
      visited.add(role.name);
      this.rows.push({
        name: role.name,
        kind: "delegated",
        delegator,
        keyids: [...role.keyids],
        threshold: role.threshold,
        ...this.timing("delegated", this.publishedTargets(role.name)?.signed),
        staged: this.pending.has(role.name),
      });
      this.delegations(role.name, visited);
    }
  }
}

/** A key of bulwark.json and where its private half is. */
export type KeyStatus = { readonly id: string; readonly roles: string[]; readonly scheme: string } & KeyLocation;

/** A staged target, with the role that will list it. */
export interface StagedTargetStatus {
  readonly path: string;
  readonly length: number;
  readonly sha256: string;
  readonly role: string;
}

/** What {@link repositoryStatus} reports. */
export interface RepositoryStatus {
  readonly dir: string;
  readonly consistentSnapshot: boolean;
  /** Top-level roles, then delegated roles pre-order (a set of hashed bins as one row). */
  readonly roles: RoleRow[];
  readonly keys: KeyStatus[];
  readonly stagedTargets: StagedTargetStatus[];
  /** Roles with changes the next publish signs. */
  readonly pendingRoles: string[];
  /**
   * Set when the root the next publish signs requires a transparency log: its origin, and
   * the listed, published releases without a proof that satisfies it (clients refuse them
   * until the next `repo publish` or `bulwark log backfill` logs them).
   */
  readonly log?: { readonly origin: string; readonly unlogged: readonly UnloggedRelease[] };
}

/**
 * The state of the repository in `dir`.
 * @throws {PublisherError} when `dir` is not a repository or its config does not parse.
 */
export async function repositoryStatus(dir: string, options: PublisherOptions = {}): Promise<RepositoryStatus> {
  const repoDir = await RepoDir.open(dir, options);
  const repo = await repoDir.load();
  const reader = new StatusReader(repoDir, repo, (options.now ?? Date.now)());
  reader.topLevel();
  reader.delegations();
  const staged = await repoDir.stagedState();
  const policy = readableLogPolicy(repo);
  const log =
    policy === undefined
      ? undefined
      : { origin: policy.origin, unlogged: await unloggedReleases(repoDir, repo, policy) };
  return {
    dir: repoDir.dir,
    consistentSnapshot: repo.root.signed.consistentSnapshot === true,
    roles: reader.rows,
    keys: repoDir.config.keys.map((k) => ({
      id: k.id,
      roles: [...k.roles],
      scheme: k.scheme,
      ...where(k, repoDir.dir),
    })),
    stagedTargets: staged.added.map((t) => ({
      path: t.path,
      length: t.length,
      sha256: t.sha256,
      role: safeRole(repo, t.path),
    })),
    pendingRoles: repo.pendingRoles(),
    ...(log === undefined ? {} : { log }),
  };
}

/** A corrupt file is reported, never shown as a role that is not there. */
function isCorrupt(error: unknown): boolean {
  return error instanceof PublisherError && error.code === PUBLISHER_ERRORS.CORRUPT_FILE;
}

function safeRole(repo: Repository, targetPath: string): string {
  try {
    return repo.roleForTarget(targetPath);
  } catch {
    return "targets";
  }
}

/** The log policy of the root the next publish signs; undefined when it has none or it does not parse (status still shows the rest). */
function readableLogPolicy(repo: Repository): LogPolicy | undefined {
  try {
    return logPolicyIn(repo.root.signed);
  } catch (error) {
    if (error instanceof PublisherError && error.code === PUBLISHER_ERRORS.BAD_LOG_POLICY) return undefined;
    throw error;
  }
}
