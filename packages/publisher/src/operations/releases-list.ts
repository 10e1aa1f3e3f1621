/**
 * Every release of a repository, staged and published, as `release list` (and a dashboard)
 * shows it: one row per release file, read from its signed `custom.bulwark` in the working
 * state (published metadata with staged changes applied). Reads without taking the lock.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { compareSemver, parseSemver, releaseOf } from "@bulwark/client";
import { releaseProofPath } from "@bulwark/tlog";
import { allTargets, targetFileState } from "../listed-releases.js";
import type { PublisherOptions } from "../options.js";
import { RepoDir } from "../store/repo-dir.js";

/** One release file, as {@link listReleases} reports it. */
export interface ReleaseListing {
  readonly name: string;
  readonly version: string;
  readonly channel: string;
  /** Absent for a file for every platform. */
  readonly platform?: string;
  /** Its target path, length and SHA-256. */
  readonly target: string;
  readonly length: number;
  readonly sha256: string;
  /** Percentage of clients offered it (100 when not staged). */
  readonly rollout: number;
  /** Set when revoked (the kill switch), with the reason when one was given. */
  readonly revoked?: { readonly at?: string; readonly reason?: string };
  /** Its attestation bundles (verified builds) are listed and their files present. */
  readonly attested: boolean;
  /** Its transparency-log proof is published beside it. */
  readonly logged: boolean;
  /** `staged`: waits for the next `repo publish`; `published`: clients can see it. */
  readonly state: "staged" | "published";
}

/** Name ascending, then newest version first, then target path. */
function byRelease(a: ReleaseListing, b: ReleaseListing): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  const va = parseSemver(a.version);
  const vb = parseSemver(b.version);
  const versions = va && vb ? compareSemver(vb, va) : 0;
  if (versions !== 0) return versions;
  return a.target < b.target ? -1 : a.target > b.target ? 1 : 0;
}

/**
 * Every release file of the repository in `dir`, staged and published.
 * @throws {PublisherError} `NOT_A_REPOSITORY`, `BAD_CONFIG`, `NOT_PUBLISHED`.
 */
export async function listReleases(dir: string, options: PublisherOptions = {}): Promise<ReleaseListing[]> {
  const repoDir = await RepoDir.open(dir, options);
  const repo = await repoDir.load();
  const consistent = repo.root.signed.consistentSnapshot === true;
  const targets = allTargets(repo);
  const byPath = new Map(targets.map((t) => [t.path, t]));
  const rows: ReleaseListing[] = [];
  for (const target of targets) {
    const release = releaseOf(target);
    if (release === undefined) continue;
    const state = targetFileState(repoDir, consistent, target) === "published" ? "published" : "staged";
    const bundles = release.attestations ?? [];
    const attested =
      bundles.length > 0 &&
      bundles.every((p) => {
        const bundle = byPath.get(p);
        return bundle !== undefined && targetFileState(repoDir, consistent, bundle) !== undefined;
      });
    const logged =
      state === "published" &&
      existsSync(path.join(repoDir.paths.targets, ...releaseProofPath(target.path).split("/")));
    rows.push({
      name: release.name,
      version: release.version,
      channel: release.channel,
      ...(release.platform === undefined ? {} : { platform: release.platform }),
      target: target.path,
      length: target.length,
      sha256: target.hashes.get("sha256") ?? "",
      rollout: release.rollout,
      ...(release.revoked === undefined ? {} : { revoked: release.revoked }),
      attested,
      logged,
      state,
    });
  }
  return rows.sort(byRelease);
}
