/**
 * The vendor side of releases in a repository: the product's `NAME/index.json` target
 * that clients discover releases through, and the signed release targets of NAME@VERSION.
 * The formats themselves (`custom.bulwark`, the index) live in @bulwark/client's release.ts.
 */
import { formatReleaseIndex, type IndexEntry, indexPath, parseReleaseIndex, type ReleaseIndex } from "@bulwark/client";
import { type Repository, TargetFile } from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "./errors.js";
import type { RepoDir, StagedTarget } from "./store/repo-dir.js";

/** The current release index of `name`, or an empty one. */
export async function readIndex(repoDir: RepoDir, repo: Repository, name: string): Promise<ReleaseIndex> {
  const p = indexPath(name);
  const target = repo.targets(repo.roleForTarget(p)).signed.targets.get(p);
  if (target === undefined) return { name, releases: [] };
  const bytes = await repoDir.readTarget(target);
  return parseReleaseIndex(bytes, name);
}

/**
 * Adds `entries` to `name`'s index (replacing entries for the same target), stages the new
 * index file and lists it as a target. Returns the staged file for the publish list.
 */
export async function updateIndex(
  repoDir: RepoDir,
  repo: Repository,
  name: string,
  entries: readonly IndexEntry[],
): Promise<StagedTarget> {
  const index = await readIndex(repoDir, repo, name);
  const byTarget = new Map(index.releases.map((e) => [e.target, e]));
  for (const e of entries) byTarget.set(e.target, e);
  const bytes = formatReleaseIndex({ name, releases: [...byTarget.values()] });
  const { sha256, length } = await repoDir.stageBytes(bytes);
  const p = indexPath(name);
  repo.addTarget(new TargetFile(p, length, new Map([["sha256", sha256]])), repo.roleForTarget(p));
  return { path: p, sha256, length };
}

/** A signed release target and the role that lists it. */
export interface ReleaseTarget {
  readonly target: TargetFile;
  readonly role: string;
}

/**
 * The signed release targets of NAME@VERSION, with the role that lists each.
 * @throws {PublisherError} `NO_SUCH_RELEASE`
 */
export async function releaseTargets(
  repoDir: RepoDir,
  repo: Repository,
  name: string,
  version: string,
): Promise<ReleaseTarget[]> {
  const index = await readIndex(repoDir, repo, name);
  const out: ReleaseTarget[] = [];
  for (const entry of index.releases) {
    if (entry.version !== version) continue;
    const role = repo.roleForTarget(entry.target);
    const target = repo.targets(role).signed.targets.get(entry.target);
    if (target !== undefined) out.push({ target, role });
  }
  if (out.length === 0) {
    throw new PublisherError(
      PUBLISHER_ERRORS.NO_SUCH_RELEASE,
      `${name}@${version} is not released in this repository`,
      {
        hint: "see `bulwark repo status` for the releases",
      },
    );
  }
  return out;
}
