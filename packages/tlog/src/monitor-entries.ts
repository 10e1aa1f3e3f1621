/**
 * The monitor's entry checks: each logged release must be in the vendor's repository with the
 * same digest (else a secret release), and a digest must be logged as one release only: the
 * same bytes logged again under another name or version is a relabelled release (an old,
 * attested build listed as a new version with the online keys alone). A logged revocation
 * (release-change-entry.ts) must stay in the repository: a release the log says is revoked
 * that the repository lists unrevoked is a hidden revocation (the online keys re-signed the
 * metadata without it). Every logged change is reported, so a kill switch used by someone
 * else is seen too.
 */
import { BulwarkError, isJsonObject } from "@bulwark/tuf";
import { TlogError } from "./errors.js";
import type { MonitorProblem, TargetLookup } from "./monitor.js";
import {
  type LoggedRelease,
  type LoggedRevocation,
  MAX_REMEMBERED_RELEASES,
  MAX_REMEMBERED_REVOCATIONS,
  MAX_REMEMBERED_UNLISTED,
} from "./monitor-state.js";
import type { LogView } from "./monitor-views.js";
import { parseLogEntry, type ReleaseChangeEntry } from "./release-change-entry.js";
import type { ReleaseEntry } from "./release-entry.js";
import { TILE_WIDTH } from "./tile-path.js";
import { TiledTree } from "./tiled-tree.js";

/** What to check entries against, and where to report. */
export interface EntryCheck {
  readonly repository: TargetLookup;
  /** The releases logged before `from` (a copy is updated; this one is not touched). */
  readonly releases: ReadonlyMap<string, LoggedRelease>;
  /** The revocations logged before `from`, by target path (a copy is updated). */
  readonly revocations: ReadonlyMap<string, LoggedRevocation>;
  /** Told of every logged change (revocation, rollout) read in this run. */
  readonly changes: LoggedChange[];
  readonly problems: MonitorProblem[];
  readonly warnings: string[];
  readonly onProgress?: (checked: bigint, total: bigint) => void;
}

/** What an entry check found, when it could read every entry. */
export interface EntriesChecked {
  readonly count: number;
  /** Entries with a problem worth checking again next run (unlisted or not a release). */
  readonly unlisted: bigint[];
  readonly releases: Map<string, LoggedRelease>;
  readonly revocations: Map<string, LoggedRevocation>;
}

/** A logged change to a release, as a report lists it. */
export interface LoggedChange {
  readonly index: string;
  readonly change: "revoke" | "rollout";
  readonly name: string;
  readonly version: string;
  readonly path: string;
  /** For a rollout change. */
  readonly percent?: number;
  /** For a revocation. */
  readonly reason?: string;
}

/** A repository lookup that failed (not a missing target: metadata that did not verify, a network error). */
class RepositoryLookupError extends BulwarkError {}

/**
 * Checks entries `recheck` and [from, size) of the tree of `log`'s checkpoint; a log or
 * repository that cannot be read is a problem, and then undefined is returned.
 */
export async function checkEntries(
  log: LogView,
  from: bigint,
  recheck: readonly bigint[],
  check: EntryCheck,
): Promise<EntriesChecked | undefined> {
  const { size, rootHash } = log.verified.checkpoint;
  const tree = new TiledTree(log.store, size);
  const unlisted: bigint[] = [];
  const releases = new Map(check.releases);
  const revocations = new Map(check.revocations);
  let count = 0;
  let full = false;
  const one = async (index: bigint, bytes: Uint8Array): Promise<void> => {
    count++;
    let entry: ReleaseEntry;
    try {
      const logged = parseLogEntry(bytes);
      if (logged.kind === "change") {
        await checkChange(index, logged.entry, revocations, check);
        return;
      }
      entry = logged.entry;
    } catch (error) {
      if (!(error instanceof TlogError)) throw error;
      const message = `entry ${index} is not a release entry: ${error.message}`;
      check.problems.push({ kind: "bad-entry", index: index.toString(), message });
      unlisted.push(index);
      return;
    }
    const relabelled = relabelling(index, entry, releases);
    if (relabelled !== undefined) check.problems.push(relabelled);
    else if (!releases.has(entry.sha256)) {
      if (releases.size < MAX_REMEMBERED_RELEASES) {
        releases.set(entry.sha256, { name: entry.name, version: entry.version, index });
      } else full = true;
    }
    const problem = await listingProblem(index, entry, check.repository);
    if (problem === undefined) return;
    check.problems.push(problem);
    unlisted.push(index);
  };
  try {
    await tree.verifyRoot(rootHash);
    // Revocations logged in earlier runs must still be in the repository.
    for (const r of check.revocations.values()) {
      const problem = await revocationProblem(r.path, r, check.repository);
      if (problem !== undefined) check.problems.push(problem);
    }
    for (const index of recheck) await one(index, (await tree.entries(index, 1))[0] as Uint8Array);
    for (let i = from; i < size; i += BigInt(TILE_WIDTH)) {
      const n = Number(size - i < BigInt(TILE_WIDTH) ? size - i : BigInt(TILE_WIDTH));
      const entries = await tree.entries(i, n);
      for (const [j, bytes] of entries.entries()) await one(i + BigInt(j), bytes);
      check.onProgress?.(i + BigInt(n) - from, size - from);
    }
  } catch (error) {
    if (!(error instanceof BulwarkError)) throw error;
    const repository = error instanceof RepositoryLookupError;
    check.problems.push({
      kind: repository ? "repository-unreadable" : "log-unreadable",
      ...(repository ? {} : { source: log.source }),
      message: repository ? `the repository could not be read: ${error.message}` : `${log.source}: ${error.message}`,
    });
    return undefined;
  }
  if (full) {
    check.warnings.push(
      `more than ${MAX_REMEMBERED_RELEASES} logged digests: later ones are not remembered for the relabelled-release check`,
    );
  }
  return { count, unlisted: unlisted.slice(0, MAX_REMEMBERED_UNLISTED), releases, revocations };
}

/** Reports a logged change, remembers a revocation, and checks the repository still carries it. */
async function checkChange(
  index: bigint,
  entry: ReleaseChangeEntry,
  revocations: Map<string, LoggedRevocation>,
  check: EntryCheck,
): Promise<void> {
  const { change } = entry;
  check.changes.push({
    index: index.toString(),
    change: change.kind,
    name: entry.name,
    version: entry.version,
    path: entry.path,
    ...(change.kind === "rollout" ? { percent: change.percent } : {}),
    ...(change.kind === "revoke" && change.reason !== undefined ? { reason: change.reason } : {}),
  });
  if (change.kind !== "revoke") return;
  const revocation: LoggedRevocation = {
    path: entry.path,
    sha256: entry.sha256,
    name: entry.name,
    version: entry.version,
    index,
  };
  if (!revocations.has(entry.path)) {
    if (revocations.size < MAX_REMEMBERED_REVOCATIONS) revocations.set(entry.path, revocation);
    else
      check.warnings.push(`more than ${MAX_REMEMBERED_REVOCATIONS} logged revocations: later ones are not remembered`);
  }
  const problem = await revocationProblem(entry.path, revocation, check.repository);
  if (problem !== undefined) check.problems.push(problem);
}

/**
 * A problem when the repository lists the logged-revoked file at `path` without a
 * revocation (`custom.bulwark.revoked`). A file no longer listed at all cannot be installed:
 * no problem.
 */
async function revocationProblem(
  path: string,
  revocation: LoggedRevocation,
  repository: TargetLookup,
): Promise<MonitorProblem | undefined> {
  let target: Awaited<ReturnType<TargetLookup["getTargetInfo"]>>;
  try {
    target = await repository.getTargetInfo(path);
  } catch (cause) {
    if (!(cause instanceof BulwarkError)) throw cause;
    throw new RepositoryLookupError(cause.code, cause.message, { cause });
  }
  if (target === undefined || target.hashes.get("sha256")?.toLowerCase() !== revocation.sha256) return undefined;
  const bulwark = target.custom?.bulwark;
  const revoked = isJsonObject(bulwark) ? bulwark.revoked : undefined;
  if (revoked !== undefined && revoked !== false) return undefined;
  return {
    kind: "unrevoked-release",
    index: revocation.index.toString(),
    message:
      `${revocation.name} ${revocation.version} (${path}) is revoked in the log (entry ${revocation.index}) and ` +
      "listed unrevoked by the repository: the revocation was hidden, a re-signing with the online keys; revoke it again and rotate those keys",
  };
}

/** A problem when `entry` logs a digest already logged as another release. */
function relabelling(
  index: bigint,
  entry: ReleaseEntry,
  releases: ReadonlyMap<string, LoggedRelease>,
): MonitorProblem | undefined {
  const first = releases.get(entry.sha256);
  if (first === undefined || (first.name === entry.name && first.version === entry.version)) return undefined;
  return {
    kind: "relabelled-release",
    index: index.toString(),
    entry,
    message:
      `the file ${entry.sha256} is logged as ${first.name} ${first.version} (entry ${first.index}) and again as ` +
      `${entry.name} ${entry.version} (entry ${index}): one build released under two labels, a relabelled release`,
  };
}

/** A problem when the repository does not list `entry`'s file, or lists another one at its path. */
async function listingProblem(
  index: bigint,
  entry: ReleaseEntry,
  repository: TargetLookup,
): Promise<MonitorProblem | undefined> {
  let target: Awaited<ReturnType<TargetLookup["getTargetInfo"]>>;
  try {
    target = await repository.getTargetInfo(entry.path);
  } catch (cause) {
    if (!(cause instanceof BulwarkError)) throw cause;
    throw new RepositoryLookupError(cause.code, cause.message, { cause });
  }
  const what = `${entry.name} ${entry.version} (${entry.path}), logged as entry ${index}`;
  if (target === undefined) {
    return { kind: "unlisted-release", index: index.toString(), entry, message: `${what}, is not in the repository` };
  }
  if (target.length !== entry.length || target.hashes.get("sha256")?.toLowerCase() !== entry.sha256) {
    return {
      kind: "unlisted-release",
      index: index.toString(),
      entry,
      message: `${what}, differs from the file the repository lists at that path`,
    };
  }
  return undefined;
}
