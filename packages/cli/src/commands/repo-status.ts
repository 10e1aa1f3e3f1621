import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { RepoConfig } from "@bulwark/publisher";
import { type RefreshKind, RepoDir, refreshWindow } from "@bulwark/publisher";
import { describeRemaining, encodeName, Metadata, type Repository, type Targets } from "@bulwark/tuf";
import { defineCommand } from "../command.js";
import { publisherOptions } from "../publisher-options.js";

/** One row of the roles table; a set of hashed bins is one row. */
interface RoleRow {
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

const SHORT_ID = 10;

/** Where a key's private half is, as `repo status` reports it. */
type KeyLocation =
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

/** What `repo status` reads: the published state next to the working state with staged changes. */
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
      } catch {
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
    } catch {
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

function versionCell(r: RoleRow): string {
  const v = r.version === null ? "new" : String(r.version);
  if (r.kind === "bins") return r.version === null ? "new" : `<= ${v}`;
  return r.staged ? `${v} -> ${r.version === null ? 1 : r.version + 1}` : v;
}

function roleCells(r: RoleRow): string[] {
  const keys = r.keyids.map((k) => k.slice(0, SHORT_ID)).join(", ");
  const left =
    r.expiresIn === null ? "-" : `${describeRemaining(r.expiresIn * 1000)}${r.refreshDue ? " (refresh due)" : ""}`;
  const staged = r.kind === "bins" ? (r.staged ? `${r.stagedCount} of ${r.count}` : "-") : r.staged ? "yes" : "-";
  return [
    r.kind === "bins" ? `${r.name} (${r.count} roles)` : r.name,
    keys.length > 40 ? `${r.keyids.length} keys` : keys,
    `${r.threshold} of ${r.keyids.length}`,
    versionCell(r),
    r.expires === null ? "-" : `${r.expires.slice(0, 19)}Z`,
    left,
    staged,
  ];
}

const command = defineCommand({
  name: "repo status",
  summary: "show roles, keys, expiry and staged changes of a repository",
  description: `Shows each role (root, targets, snapshot, timestamp, delegated roles; hashed bins as one
row) with its key IDs, threshold, published version, expiry and time left, and whether it has
staged changes the next \`repo publish\` will sign; then the keys in bulwark.json and where
their private half is; then the staged targets. Keys and thresholds include staged changes;
versions and expiry are what clients see now. Reads without taking the repository lock.

--json prints:
  { "dir": string, "consistentSnapshot": boolean,
    "roles": [{ "name", "kind": "root"|"targets"|"snapshot"|"timestamp"|"delegated"|"bins",
                "delegator"?, "count"? (bins), "stagedCount"? (bins), "keyids": [string],
                "threshold", "version": number|null (highest, for bins), "expires": ISO|null
                (soonest, for bins), "expiresIn": seconds|null, "refreshDue": boolean,
                "staged": boolean }],
    "keys": [{ "id", "roles": [string], "scheme", "location": "file"|"command"|"offline",
               "file"?, "present"? (file), "program"? (command) }],
    "stagedTargets": [{ "path", "length", "sha256", "role" }],
    "pendingRoles": [string] }

Example:
  bulwark repo status ./updates`,
  positionals: [{ name: "DIR", description: "the repository folder" }],
  options: [],
  async run({ positionals }, ctx) {
    const dirArg = positionals.DIR;
    const repoDir = await RepoDir.open(dirArg, publisherOptions(ctx));
    const repo = await repoDir.load();
    const reader = new StatusReader(repoDir, repo, ctx.now());
    reader.topLevel();
    reader.delegations();
    const staged = await repoDir.stagedState();
    const stagedTargets = staged.added.map((t) => ({ ...t, role: safeRole(repo, t.path) }));
    const keys = repoDir.config.keys.map((k) => ({
      id: k.id,
      roles: [...k.roles],
      scheme: k.scheme,
      ...where(k, repoDir.dir),
    }));
    const consistentSnapshot = repo.root.signed.consistentSnapshot === true;

    ctx.out.line(`${repoDir.dir}${consistentSnapshot ? "" : " (no consistent snapshots)"}`);
    ctx.out.line("");
    ctx.out.table(["role", "keys", "threshold", "version", "expires", "left", "staged"], reader.rows.map(roleCells));
    ctx.out.line("");
    ctx.out.table(
      ["key", "scheme", "roles", "private key"],
      keys.map((k) => [
        k.id.slice(0, SHORT_ID),
        k.scheme,
        k.roles.join(","),
        k.location === "file"
          ? `file ${k.file}${k.present ? "" : " (missing)"}`
          : k.location === "command"
            ? `command ${k.program}`
            : "offline",
      ]),
    );
    ctx.out.line("");
    if (stagedTargets.length === 0 && repo.pendingRoles().length === 0) {
      ctx.out.line("No staged changes.");
    } else {
      ctx.out.line(`Staged, not yet published (run \`bulwark repo publish ${dirArg}\`):`);
      if (stagedTargets.length > 0) {
        ctx.out.table(
          ["target", "bytes", "sha256", "role"],
          stagedTargets.map((t) => [t.path, String(t.length), t.sha256.slice(0, 16), t.role]),
        );
      } else {
        ctx.out.line(`  changes to ${repo.pendingRoles().join(", ")}`);
      }
    }
    return {
      data: {
        dir: repoDir.dir,
        consistentSnapshot,
        roles: reader.rows,
        keys,
        stagedTargets,
        pendingRoles: repo.pendingRoles(),
      },
    };
  },
});

function safeRole(repo: Repository, targetPath: string): string {
  try {
    return repo.roleForTarget(targetPath);
  } catch {
    return "targets";
  }
}

export default command;
