/**
 * The releases a repository lists: each release file (a target with `custom.bulwark`) that
 * its product's release index names and that is not revoked. These are what clients are
 * offered, so these are what a new policy in root must not orphan: under a log policy each
 * needs a proof, under a release policy k builders' attestations (see log/backfill.ts and
 * operations/policies.ts).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { type Release, releaseOf } from "@bulwark/client";
import { hashPrefixedPath, type Repository, type TargetFile, UsageError } from "@bulwark/tuf";
import { readIndex } from "./releases.js";
import type { RepoDir } from "./store/repo-dir.js";

/** Where a target's file is: published in public/targets, staged, or missing. */
export function targetFileState(
  repoDir: Pick<RepoDir, "paths">,
  consistent: boolean,
  target: Pick<TargetFile, "path" | "hashes">,
): "published" | "staged" | undefined {
  const sha256 = target.hashes.get("sha256") ?? "";
  const name = consistent ? hashPrefixedPath(target.path, sha256) : target.path;
  if (existsSync(path.join(repoDir.paths.targets, ...name.split("/")))) return "published";
  if (existsSync(path.join(repoDir.paths.stagedTargets, sha256))) return "staged";
  return undefined;
}

/** Every target of every targets role in `repo`, each once. */
export function allTargets(repo: Repository): TargetFile[] {
  const out = new Map<string, TargetFile>();
  for (const role of repo.targetsRoleNames()) {
    let targets: ReadonlyMap<string, TargetFile>;
    try {
      targets = repo.targets(role).signed.targets;
    } catch (error) {
      // A role snapshot names that is no longer delegated; a corrupt one is an error.
      if (error instanceof UsageError) continue;
      throw error;
    }
    for (const [p, t] of targets) if (!out.has(p)) out.set(p, t);
  }
  return [...out.values()];
}

/** A listed release file. */
export interface ListedRelease {
  readonly release: Release;
  readonly target: TargetFile;
  /** `published`: clients can fetch its file; `staged`: the next publish writes it. */
  readonly state: "published" | "staged";
}

/**
 * Every release file of `repo` that its product's index lists and that is not revoked,
 * with its file present (published or staged), in target path order.
 * @throws {ClientError} `CLIENT_BAD_INDEX` for an index that does not parse;
 *   {@link PublisherError} `TARGET_MISSING` when an index's file is missing.
 */
export async function listedReleases(repoDir: RepoDir, repo: Repository): Promise<ListedRelease[]> {
  const consistent = repo.root.signed.consistentSnapshot === true;
  const indexed = new Map<string, Set<string>>();
  const out: ListedRelease[] = [];
  for (const target of allTargets(repo)) {
    const release = releaseOf(target);
    if (release === undefined || release.revoked !== undefined) continue;
    let listed = indexed.get(release.name);
    if (listed === undefined) {
      listed = new Set((await readIndex(repoDir, repo, release.name)).releases.map((e) => e.target));
      indexed.set(release.name, listed);
    }
    const state = targetFileState(repoDir, consistent, target);
    if (listed.has(target.path) && state !== undefined) out.push({ release, target, state });
  }
  return out.sort((a, b) => (a.target.path < b.target.path ? -1 : a.target.path > b.target.path ? 1 : 0));
}
