/** Publishing a repository: signing what changed and writing the static tree. */
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import type { PublisherOptions } from "../options.js";
import { autoHashedBins } from "../store/bins.js";
import { interruptError, isInterrupt } from "../store/interrupt.js";
import { ROOT_NOTICE_SECONDS } from "../store/refresh-window.js";
import type { PublishReport } from "../store/repo-dir.js";
import { removeStrays } from "../store/strays.js";
import { withRepository } from "./open.js";
import { type GateDecision, type GateOptions, runGate } from "./release-gate.js";

/** Options of {@link publish}. */
export interface PublishOptions extends PublisherOptions {
  /** Sign in memory and report what would change; write nothing. */
  readonly dryRun?: boolean;
  /** Also publish a new root version with a fresh expiry (needs the root keys). */
  readonly newRoot?: boolean;
  /**
   * A check every staged release file must pass before anything is signed (`--scan`); its
   * decisions are appended to `DIR/release-gate.jsonl`, with the override reason if any.
   */
  readonly gate?: GateOptions;
}

/** A root that expires soon: sign a new one with the root keys. */
export interface RootNotice {
  readonly version: number;
  /** Milliseconds of validity left (negative when expired). */
  readonly expiresInMs: number;
}

/** What {@link publish} did. */
export interface PublishResult extends PublishReport {
  readonly dryRun: boolean;
  /** Set when targets switched to hashed bins: how many, and past how many targets. */
  readonly hashedBins?: { readonly bins: number; readonly threshold: number };
  /** Set when root expires within 30 days. */
  readonly rootNotice?: RootNotice;
  /** True when nothing was staged: nothing was signed or written (no new timestamp). */
  readonly nothingToPublish: boolean;
  /** Temporary files a killed command had left, removed (relative to DIR). */
  readonly removedStrays: readonly string[];
  /** What the release gate decided, with {@link PublishOptions.gate}. */
  readonly gate?: readonly GateDecision[];
  /** True when the signal was aborted after the commit point: the publish finished. */
  readonly interruptedAfterCommit: boolean;
}

/**
 * Signs every role changed since the last publish and writes `public/`: release files and
 * their log proofs first, new versioned metadata next, `timestamp.json` last (see
 * {@link RepoDir.publish}). Past `hashedBinsThreshold` targets, targets switch to hashed bins.
 * With nothing staged it signs and writes nothing (`nothingToPublish`): a new timestamp for
 * its own sake is `bulwark repo refresh --force`. Temporary files left by a killed command
 * are removed first (`removedStrays`).
 *
 * `options.signal` stops it at the next safe point (between chunks of a release file being
 * copied, between files, waiting on witnesses, just before timestamp.json is replaced): it
 * then throws `INTERRUPTED`, having put public/ back as it was and kept staged/ for the next
 * publish. Aborted after that point, it finishes and says so (`interruptedAfterCommit`).
 * @throws {PublisherError} `INTERRUPTED`; `ROOT_EXPIRED` under an expired root with no new one staged;
 *   `LOCKED`, the key store's errors; `SIGNERS_MISSING` / `ROOT_SIGNATURES_NEEDED` from
 *   @bulwark/tuf when a threshold cannot be met here; the release log's errors;
 *   `RELEASE_GATE_REFUSED` when the gate refused a release file and there is no override.
 */
export async function publish(dir: string, options: PublishOptions = {}): Promise<PublishResult> {
  return withRepository(dir, options, async (repoDir, repo) => {
    const dryRun = options.dryRun === true;
    const { paths } = repoDir;
    const removedStrays = dryRun
      ? []
      : await removeStrays(repoDir.dir, [repoDir.dir, paths.keys, paths.public, paths.staged]);
    if (options.newRoot) repo.rotateRoot();
    const root = repo.root.signed;
    const now = repoDir.now();
    if (repo.stagedRoot() === undefined && root.isExpired(now)) {
      throw new PublisherError(
        PUBLISHER_ERRORS.ROOT_EXPIRED,
        `root version ${root.version} expired on ${root.expires.toISOString()}: clients refuse everything it signs`,
        { hint: "publish a new root version with `bulwark repo publish DIR --new-root` (it needs the root keys)" },
      );
    }
    const left = root.expiresAt - now;
    const notice =
      left < ROOT_NOTICE_SECONDS * 1000 ? { rootNotice: { version: root.version, expiresInMs: left } } : {};
    const bins = await autoHashedBins(repoDir, repo);
    if (repo.pendingRoles().length === 0 && (await repoDir.stagedState()).added.length === 0) {
      return {
        dryRun,
        nothingToPublish: true,
        removedStrays,
        interruptedAfterCommit: false,
        files: [],
        targets: 0,
        versions: {},
        ...notice,
      };
    }
    const gate = options.gate === undefined ? undefined : await runGate(repoDir, repo, options.gate, dryRun);
    const signal = options.signal;
    const report = await repoDir.publish(repo, { dryRun }).catch((error: unknown) => {
      // Whatever stopped on the abort (a witness request, a copy) stopped before the commit.
      throw signal?.aborted && !isInterrupt(error) ? interruptError("publishing", signal, error) : error;
    });
    return {
      dryRun,
      nothingToPublish: false,
      interruptedAfterCommit: !dryRun && signal?.aborted === true,
      removedStrays,
      ...report,
      ...(gate === undefined ? {} : { gate }),
      ...(bins === undefined ? {} : { hashedBins: { bins, threshold: repoDir.config.hashedBinsThreshold } }),
      ...notice,
    };
  });
}
