/**
 * Unstaging a release: the files of NAME@VERSION that `release add` staged, their
 * attestation bundles and their entries in the product's release index are dropped before
 * they are ever signed. A published release is refused: clients may already have it, and
 * only a signed revocation (`release revoke`) takes it back.
 */
import { formatReleaseIndex, indexPath, releaseOf } from "@bulwark/client";
import { TargetFile } from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import { targetFileState } from "../listed-releases.js";
import type { PublisherOptions } from "../options.js";
import { readIndex, releaseTargets } from "../releases.js";
import type { StagedTarget } from "../store/repo-dir.js";
import { withRepository } from "./open.js";

/** What {@link removeRelease} unstaged. */
export interface RemovedRelease {
  readonly release: string;
  /** The release files and attestation bundles dropped. */
  readonly files: readonly string[];
}

/**
 * Unstages NAME@VERSION: removes its staged targets (and their bundles) from the working
 * metadata, its staged files from `staged/`, and its entries from `NAME/index.json`.
 * @throws {PublisherError} `NO_SUCH_RELEASE`; `RELEASE_PUBLISHED` when any file of it is
 *   published (revoke it instead).
 */
export async function removeRelease(
  dir: string,
  release: { readonly name: string; readonly version: string },
  options: PublisherOptions = {},
): Promise<RemovedRelease> {
  const ref = `${release.name}@${release.version}`;
  return withRepository(dir, options, async (repoDir, repo) => {
    const targets = await releaseTargets(repoDir, repo, release.name, release.version);
    const consistent = repo.root.signed.consistentSnapshot === true;
    if (targets.some((t) => targetFileState(repoDir, consistent, t.target) === "published")) {
      throw new PublisherError(PUBLISHER_ERRORS.RELEASE_PUBLISHED, `${ref} is published: clients may have it`, {
        hint: `take it back with \`bulwark release revoke ${dir} ${ref} --reason TEXT\``,
      });
    }
    const removed = new Set<string>();
    for (const { target, role } of targets) {
      for (const bundle of releaseOf(target)?.attestations ?? []) {
        if (repo.removeTarget(bundle)) removed.add(bundle);
      }
      repo.removeTarget(target.path, role);
      removed.add(target.path);
    }
    const index = await readIndex(repoDir, repo, release.name);
    const releases = index.releases.filter((e) => !removed.has(e.target));
    const p = indexPath(release.name);
    const restaged: StagedTarget[] = [];
    if (releases.length === 0) {
      repo.removeTarget(p);
      removed.add(p);
    } else {
      const { sha256, length } = await repoDir.stageBytes(formatReleaseIndex({ name: release.name, releases }));
      repo.addTarget(new TargetFile(p, length, new Map([["sha256", sha256]])), repo.roleForTarget(p));
      restaged.push({ path: p, sha256, length });
    }
    await repoDir.unstageTargets(new Set([...removed, p]));
    await repoDir.stage(repo, restaged);
    return { release: ref, files: [...removed].filter((f) => f !== p) };
  });
}
