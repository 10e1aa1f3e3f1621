/**
 * `bulwark log backfill`: logs now every listed release that has no valid proof under the
 * root's log policy (see log/backfill.ts), and publishes each proof beside its file. No
 * metadata is signed: a proof is not a TUF target, and each entry names the targets
 * metadata that lists the release as published.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import { type UnloggedRelease, unloggedReleases } from "../log/backfill.js";
import { proofFiles } from "../log/proof-files.js";
import { logReleases, releaseEntries } from "../log/release-logging.js";
import type { PublisherOptions } from "../options.js";
import { logPolicyIn } from "../transparency-policy.js";
import { withRepository } from "./open.js";

/** Options of {@link backfillLog}. */
export interface BackfillOptions extends PublisherOptions {
  /** Find the releases to log; log nothing, write nothing. */
  readonly dryRun?: boolean;
}

/** What {@link backfillLog} did (or, with `dryRun`, would do). */
export interface BackfillResult {
  readonly dryRun: boolean;
  /** The log's origin. */
  readonly origin: string;
  /** The releases logged (to log). */
  readonly releases: readonly UnloggedRelease[];
  /** The index of the first entry and the log's size after the batch; absent when nothing was logged. */
  readonly firstIndex?: string;
  readonly size?: string;
  /** The witnesses that cosigned. */
  readonly cosignedBy?: readonly string[];
  /** The proof files written, relative to DIR/public. */
  readonly files: readonly string[];
}

/**
 * Logs every listed, published release of the repository in `dir` whose proof is missing
 * or does not verify against the log policy of the root the next publish signs (the staged
 * root when one is staged, else the published one), as one batch, cosigned by the root's
 * witnesses, and writes each proof beside its release file.
 * @throws {PublisherError} `NO_LOG_POLICY` when that root has no log policy; what
 *   {@link logReleases} throws (`TLOG_WITNESS_QUORUM`: nothing is written then).
 */
export async function backfillLog(dir: string, options: BackfillOptions = {}): Promise<BackfillResult> {
  const dryRun = options.dryRun === true;
  return withRepository(dir, options, async (repoDir, working) => {
    const policy = logPolicyIn(working.root.signed);
    if (policy === undefined) {
      throw new PublisherError(
        PUBLISHER_ERRORS.NO_LOG_POLICY,
        `the root of ${dir} requires no transparency log: no release needs a proof`,
        { hint: "require one with `bulwark log policy set DIR --log-dir LOG --witness ... --threshold K`" },
      );
    }
    // Entries name the targets metadata as published: staged changes are not signed yet.
    const repo = await repoDir.load({ staged: false });
    const releases = await unloggedReleases(repoDir, repo, policy);
    if (dryRun || releases.length === 0) return { dryRun, origin: policy.origin, releases, files: [] };
    const logged = await logReleases(repoDir.dir, repoDir.config.log, policy, releaseEntries(repo, releases), {
      passphrases: repoDir.passphrases,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const files: string[] = [];
    const paths = releases.map((r) => r.path);
    for (const f of proofFiles(repoDir.paths.targets, repo, logged, paths)) {
      await fs.mkdir(path.dirname(f.dest), { recursive: true });
      await writeFileAtomic(f.dest, f.data);
      files.push(path.relative(repoDir.paths.public, f.dest));
    }
    return {
      dryRun,
      origin: policy.origin,
      releases,
      firstIndex: logged.firstIndex.toString(),
      size: logged.size.toString(),
      cosignedBy: logged.witnesses.filter((w) => w.lines !== undefined).map((w) => w.witness),
      files,
    };
  });
}
