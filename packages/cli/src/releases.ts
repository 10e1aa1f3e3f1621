/**
 * The vendor side of releases: the signed `custom.bulwark` of each release target and the
 * product's `NAME/index.json` target that clients discover releases through.
 */
import { formatReleaseIndex, type IndexEntry, indexPath, parseReleaseIndex, type ReleaseIndex } from "@bulwark/client";
import { type JsonObject, type Repository, TargetFile } from "@bulwark/tuf";
import { CliError } from "./errors.js";
import { EXIT } from "./exit-codes.js";
import type { RepoDir, StagedTarget } from "./store/repo-dir.js";

/** Parses `NAME@VERSION`. */
export function parseReleaseRef(ref: string): { name: string; version: string } {
  const at = ref.lastIndexOf("@");
  if (at <= 0 || at === ref.length - 1) {
    throw new CliError("BAD_RELEASE", `${JSON.stringify(ref)} is not NAME@VERSION`, EXIT.USAGE);
  }
  return { name: ref.slice(0, at), version: ref.slice(at + 1) };
}

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

/** The signed release targets of NAME@VERSION, with the role that lists each. */
export async function releaseTargets(
  repoDir: RepoDir,
  repo: Repository,
  name: string,
  version: string,
): Promise<Array<{ target: TargetFile; role: string }>> {
  const index = await readIndex(repoDir, repo, name);
  const out: Array<{ target: TargetFile; role: string }> = [];
  for (const entry of index.releases) {
    if (entry.version !== version) continue;
    const role = repo.roleForTarget(entry.target);
    const target = repo.targets(role).signed.targets.get(entry.target);
    if (target !== undefined) out.push({ target, role });
  }
  if (out.length === 0) {
    throw new CliError(
      "NO_SUCH_RELEASE",
      `${name}@${version} is not released in this repository`,
      EXIT.FAILURE,
      "see `bulwark repo status` for the releases",
    );
  }
  return out;
}

/** Changes the `custom.bulwark` of a release target (rollout, revocation) and marks its role changed. */
export function editReleaseMetadata(
  repo: Repository,
  entry: { target: TargetFile; role: string },
  edit: (bulwark: JsonObject) => JsonObject,
): void {
  const custom = entry.target.custom ?? {};
  const bulwark = (custom.bulwark ?? {}) as JsonObject;
  entry.target.custom = { ...custom, bulwark: edit({ ...bulwark }) };
  repo.touch(entry.role);
}
