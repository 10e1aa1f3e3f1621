/**
 * The repositories a client follows: one (the usual case), or several under a TAP 4 map
 * file, each with its own pinned root and metadata folder. Either way the client asks the
 * same questions: which releases are listed, and what a target path resolves to, signed by
 * whom. Under a map file only a target that a threshold of repositories list alike counts.
 */
import { promises as fs } from "node:fs";
import { matchesPathPattern, type TargetFile, type Updater, UsageError } from "@bulwark/tuf";
import { downloadedPath, downloadVerified } from "./download.js";
import { type IndexEntry, indexPath, parseReleaseIndex, type Release, releaseOf } from "./release.js";
import { type Agreement, resolveTarget } from "./tap4/consensus.js";
import type { MapFile } from "./tap4/map-file.js";

/** One followed repository, its metadata refreshed. */
export interface FollowedRepository {
  /** Its name in the map file; `""` for the one repository of a client without one. */
  readonly name: string;
  readonly updater: Updater;
}

/** A release, and each repository that signs it with its own entry (its attestations, its revocation). */
export interface SignedRelease {
  /**
   * The release as the agreeing repositories list it: the first one's entry, revoked when
   * any of them revoked it, rolled out to the smallest percentage any of them sets.
   */
  readonly release: Release;
  readonly signers: ReadonlyArray<{ readonly repository: FollowedRepository; readonly release: Release }>;
}

/** The refreshed repositories of one client. */
export class Repositories {
  /**
   * @param all every repository followed, refreshed.
   * @param map the TAP 4 map; absent for a single repository.
   */
  constructor(
    readonly all: readonly FollowedRepository[],
    private readonly map?: MapFile,
  ) {}

  /**
   * The release `targetPath` resolves to, or undefined when it is not a listed release.
   * @throws {NoConsensusError} `CLIENT_NO_CONSENSUS` when the repositories disagree.
   */
  async resolve(targetPath: string): Promise<SignedRelease | undefined> {
    if (this.map === undefined) {
      const repository = this.all[0] as FollowedRepository;
      const target = await repository.updater.getTargetInfo(targetPath);
      const release = target === undefined ? undefined : releaseOf(target);
      return release === undefined ? undefined : { release, signers: [{ repository, release }] };
    }
    const agreement = await resolveTarget(this.map, targetPath, (name, p) =>
      this.byName(name).updater.getTargetInfo(p),
    );
    return agreement === undefined ? undefined : this.merged(agreement);
  }

  /**
   * Whether a TAP 4 map leaves `targetPath` to no repository (no mapping's paths match it):
   * such a target is never found, which an operator should hear about.
   */
  unmapped(targetPath: string): boolean {
    return (
      this.map !== undefined && !this.map.mapping.some((m) => m.paths.some((p) => matchesPathPattern(targetPath, p)))
    );
  }

  private byName(name: string): FollowedRepository {
    const found = this.all.find((r) => r.name === name);
    // The map file's parser guarantees every mapped name is a repository.
    if (found === undefined) throw new UsageError(`repository ${name} is not followed`, { code: "CLIENT_USAGE" });
    return found;
  }

  private merged(agreement: Agreement): SignedRelease | undefined {
    const signers: Array<{ repository: FollowedRepository; release: Release }> = [];
    for (const name of agreement.repositories) {
      const release = releaseOf(agreement.targets.get(name) as TargetFile);
      if (release === undefined) return undefined;
      signers.push({ repository: this.byName(name), release });
    }
    const [first] = signers;
    if (first === undefined) return undefined;
    const revoked = signers.find((s) => s.release.revoked !== undefined)?.release.revoked;
    const release: Release = {
      ...first.release,
      rollout: Math.min(...signers.map((s) => s.release.rollout)),
      ...(revoked === undefined ? {} : { revoked }),
    };
    return { release, signers };
  }

  /**
   * The release indexes' entries, from every repository (discovery only: each entry still
   * has to resolve to a signed release), the first of each target path kept.
   * @throws {ClientError} `CLIENT_BAD_INDEX`; what the download of an index throws.
   */
  async indexEntries(product: string, downloads: string): Promise<IndexEntry[]> {
    const seen = new Map<string, IndexEntry>();
    for (const { updater } of this.all) {
      const info = await updater.getTargetInfo(indexPath(product));
      if (info === undefined) continue;
      const file =
        (await updater.findCachedTarget(info, downloadedPath(downloads, info))) ??
        (await downloadVerified(updater.fetcherInUse, updater.targetUrl(info), info, downloads));
      for (const entry of parseReleaseIndex(await fs.readFile(file), product).releases) {
        if (!seen.has(entry.target)) seen.set(entry.target, entry);
      }
    }
    return [...seen.values()];
  }
}
