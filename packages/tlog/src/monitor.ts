/**
 * A release-log monitor, run by the vendor (or anyone) on a schedule. It finds the two
 * things a transparency log exists to expose:
 *
 * - a **split view**: the log showing different histories to different parties. Every
 *   checkpoint it can get (the log, its mirrors, what each witness last cosigned, and its
 *   own last run) must be consistent with every other: two checkpoints of one size with
 *   different roots, or a consistency proof that fails between two sizes, is reported with
 *   both signed checkpoints as evidence; a log that shrank since the last run too;
 * - a **secret release**: an entry in the log that the vendor's TUF repository does not
 *   list (an attacker with a stolen key had to log the release for clients to accept it).
 *
 * Nothing the log, the mirrors or the witnesses serve is trusted: checkpoints are verified
 * with the log's key and tiles against the roots. The report says what to act on; the
 * caller saves `state` for the next run (only a run without a consistency problem moves
 * it forward, so an alarm repeats until someone looks).
 */
import { BulwarkError, DownloadHttpError, type Fetcher, HttpFetcher, readAll } from "@bulwark/tuf";
import { type VerifiedCheckpoint, verifyCheckpoint, verifyCheckpointConsistency } from "./checkpoint.js";
import { encodeBase64 } from "./encoding.js";
import { TLOG_ERRORS, TlogError, usageError } from "./errors.js";
import type { WitnessEndpoint } from "./external/witness-client.js";
import { MAX_REMEMBERED_UNLISTED, type MonitorState } from "./monitor-state.js";
import type { NoteVerifier } from "./note-key.js";
import { parseReleaseEntry, type ReleaseEntry } from "./release-entry.js";
import { CHECKPOINT_KEY, type LogStore } from "./store.js";
import { TILE_WIDTH } from "./tile-path.js";
import { TiledTree } from "./tiled-tree.js";
import { originHash } from "./witness.js";

/** Looks a target up in the vendor's repository (an `Updater` is one). */
export interface TargetLookup {
  getTargetInfo(
    path: string,
  ): Promise<{ readonly length: number; readonly hashes: ReadonlyMap<string, string> } | undefined>;
}

/** A copy of the log to read: the log itself or a mirror. */
export interface LogSource {
  /** How the report names it (its URL or folder). */
  readonly name: string;
  readonly store: LogStore;
}

/** What to monitor and whom to compare with. */
export interface MonitorOptions {
  readonly origin: string;
  readonly logVerifier: NoteVerifier;
  /** The log and its mirrors. The first one that verifies is read for entries. */
  readonly logs: readonly LogSource[];
  /** The vendor's repository. */
  readonly repository: TargetLookup;
  /** Witnesses whose latest cosigned checkpoint is compared (`GET <url>/<sha256(origin)>/checkpoint`). */
  readonly witnesses?: readonly WitnessEndpoint[];
  /** What the previous run saw. */
  readonly state?: MonitorState;
  /** Fetches witness checkpoints (default: HTTP with the tuf package's limits and timeouts). */
  readonly fetcher?: Fetcher;
  /** Told how many entries have been checked, as the check goes. */
  readonly onProgress?: (checked: bigint, total: bigint) => void;
}

/** A checkpoint as a report shows it. */
export interface CheckpointView {
  /** Where it came from: a log URL or folder, `witness <name>`, or `previous run`. */
  readonly source: string;
  readonly size: string;
  /** Base64, as in the checkpoint. */
  readonly rootHash: string;
  /** The signed note: evidence. */
  readonly checkpoint: string;
}

/** The kinds of problem a monitor reports. */
export type MonitorProblemKind =
  | "split-view"
  | "inconsistent"
  | "rollback"
  | "unlisted-release"
  | "bad-entry"
  | "log-unreadable"
  | "repository-unreadable";

/** Something to act on. */
export interface MonitorProblem {
  readonly kind: MonitorProblemKind;
  readonly message: string;
  /** For split views, inconsistencies and rollbacks: the checkpoints that disagree. */
  readonly checkpoints?: readonly CheckpointView[];
  /** For entry problems: the entry's index, and the entry when it parses. */
  readonly index?: string;
  readonly entry?: ReleaseEntry;
  /** For unreadable sources: which. */
  readonly source?: string;
}

/** What one run found. */
export interface MonitorReport {
  /** True when there is no problem. */
  readonly ok: boolean;
  readonly origin: string;
  /** The log's latest verified checkpoint (of the first log source that verified). */
  readonly checkpoint?: CheckpointView;
  /** Every checkpoint compared. */
  readonly views: readonly CheckpointView[];
  /** Entries checked against the repository in this run: [from, to), plus earlier unlisted ones. */
  readonly entries: { readonly from: string; readonly to: string; readonly checked: number };
  readonly problems: readonly MonitorProblem[];
  /** Things that could not be checked (an unreachable witness, a mirror without the tiles). */
  readonly warnings: readonly string[];
  /** The state to save for the next run. */
  readonly state?: MonitorState;
}

interface View {
  readonly source: string;
  readonly verified: VerifiedCheckpoint;
  readonly store?: LogStore;
}

const CONSISTENCY_KINDS: ReadonlySet<MonitorProblemKind> = new Set(["split-view", "inconsistent", "rollback"]);
/** The largest witness checkpoint read. */
const MAX_WITNESS_CHECKPOINT_BYTES = 64 * 1024;

function viewOf(v: View): CheckpointView {
  const c = v.verified.checkpoint;
  return {
    source: v.source,
    size: c.size.toString(),
    rootHash: encodeBase64(c.rootHash),
    checkpoint: v.verified.signedNote,
  };
}

function sameTree(a: View, b: View): boolean {
  const x = a.verified.checkpoint;
  const y = b.verified.checkpoint;
  return x.size === y.size && Buffer.compare(Buffer.from(x.rootHash), Buffer.from(y.rootHash)) === 0;
}

/**
 * Runs the checks of the module comment once.
 * @throws {UsageError} for a state of another origin; {@link TlogError} when the state's
 *   checkpoint does not verify with the log's key.
 */
export async function monitorLog(options: MonitorOptions): Promise<MonitorReport> {
  const { origin, logVerifier, state } = options;
  const problems: MonitorProblem[] = [];
  const warnings: string[] = [];
  if (state !== undefined && state.origin !== origin) throw usageError(`the monitor state is of ${state.origin}`);
  const previous: View | undefined =
    state === undefined
      ? undefined
      : { source: "previous run", verified: verifyCheckpoint(state.checkpoint, { logVerifier, origin }) };

  const logViews: Array<View & { store: LogStore }> = [];
  for (const log of options.logs) {
    try {
      const note = await log.store.get(CHECKPOINT_KEY);
      if (note === undefined) throw new TlogError(TLOG_ERRORS.MISSING_TILE, "no checkpoint");
      logViews.push({ source: log.name, verified: verifyCheckpoint(note, { logVerifier, origin }), store: log.store });
    } catch (error) {
      if (!(error instanceof BulwarkError)) throw error;
      problems.push({ kind: "log-unreadable", source: log.name, message: `${log.name}: ${error.message}` });
    }
  }
  const witnessViews = await readWitnesses(options, warnings);
  const views = [...(previous ? [previous] : []), ...logViews, ...witnessViews];
  await compareViews(views, logViews, problems, warnings);

  const primary = logViews[0];
  if (previous !== undefined && primary !== undefined) {
    if (primary.verified.checkpoint.size < previous.verified.checkpoint.size) {
      problems.push({
        kind: "rollback",
        message: `${primary.source} shows ${primary.verified.checkpoint.size} entries, fewer than the ${previous.verified.checkpoint.size} it showed before`,
        checkpoints: [viewOf(previous), viewOf(primary)],
      });
    }
  }
  const consistent = !problems.some((p) => CONSISTENCY_KINDS.has(p.kind));
  const resume = consistent && state !== undefined && previous !== undefined;
  const size = primary?.verified.checkpoint.size ?? 0n;
  const from = resume ? (state.checkedSize < size ? state.checkedSize : size) : 0n;
  const recheck = resume ? state.unlisted.filter((i) => i < from) : [];
  const checked = primary === undefined ? undefined : await checkEntries(primary, from, recheck, options, problems);

  const report = {
    ok: problems.length === 0,
    origin,
    ...(primary ? { checkpoint: viewOf(primary) } : {}),
    views: views.map(viewOf),
    entries: { from: from.toString(), to: (checked ? size : from).toString(), checked: checked?.count ?? 0 },
    problems,
    warnings,
  };
  if (!consistent || primary === undefined) return state === undefined ? report : { ...report, state };
  const next: MonitorState = {
    origin,
    checkpoint: primary.verified.signedNote,
    checkedSize: checked ? size : from,
    unlisted: checked ? checked.unlisted : recheck,
  };
  return { ...report, state: next };
}

/** Each witness's latest cosigned checkpoint; failures are warnings. */
async function readWitnesses(options: MonitorOptions, warnings: string[]): Promise<View[]> {
  const fetcher = options.fetcher ?? new HttpFetcher({ userAgent: "bulwark-monitor" });
  const out: View[] = [];
  for (const w of options.witnesses ?? []) {
    const url = `${w.url.replace(/\/+$/, "")}/${originHash(options.origin)}/checkpoint`;
    try {
      const note = await readAll(fetcher, url, { maxLength: MAX_WITNESS_CHECKPOINT_BYTES });
      const verified = verifyCheckpoint(note, {
        logVerifier: options.logVerifier,
        origin: options.origin,
        witnesses: [w.verifier],
      });
      if (!verified.cosignatures.some((s) => s.verifier.vkey === w.verifier.vkey)) {
        warnings.push(`witness ${w.name} served a checkpoint without its cosignature`);
        continue;
      }
      out.push({ source: `witness ${w.name}`, verified });
    } catch (error) {
      if (!(error instanceof BulwarkError)) throw error;
      const why =
        error instanceof DownloadHttpError && error.status === 404 ? "has not cosigned this log" : error.message;
      warnings.push(`witness ${w.name}: ${why}`);
    }
  }
  return out;
}

/**
 * Every pair of distinct trees must be consistent: the same size with another root is a
 * split view; a failing consistency proof, built from a log store whose tiles hash to the
 * larger tree's root, is a fork.
 */
async function compareViews(
  views: readonly View[],
  logs: ReadonlyArray<View & { store: LogStore }>,
  problems: MonitorProblem[],
  warnings: string[],
): Promise<void> {
  const distinct: View[] = [];
  for (const v of views) if (!distinct.some((d) => sameTree(d, v))) distinct.push(v);
  for (const [i, a] of distinct.entries()) {
    for (const b of distinct.slice(i + 1)) {
      const [older, newer] = a.verified.checkpoint.size <= b.verified.checkpoint.size ? [a, b] : [b, a];
      const oldSize = older.verified.checkpoint.size;
      const newSize = newer.verified.checkpoint.size;
      if (oldSize === newSize) {
        problems.push({
          kind: "split-view",
          message: `${a.source} and ${b.source} show two different trees of ${oldSize} entries: a split view`,
          checkpoints: [viewOf(a), viewOf(b)],
        });
        continue;
      }
      if (oldSize === 0n) continue;
      const verdict = await proveConsistency(older, newer, logs);
      if (verdict === "consistent") continue;
      if (verdict === "unverifiable") {
        warnings.push(
          `no log copy serves the tree of ${newer.source} (${newSize} entries): its consistency with ${older.source} is unchecked`,
        );
        continue;
      }
      problems.push({
        kind: "inconsistent",
        message: `${newer.source} (${newSize} entries) does not extend ${older.source} (${oldSize} entries): the log forked`,
        checkpoints: [viewOf(older), viewOf(newer)],
      });
    }
  }
}

async function proveConsistency(
  older: View,
  newer: View,
  logs: ReadonlyArray<View & { store: LogStore }>,
): Promise<"consistent" | "inconsistent" | "unverifiable"> {
  const target = newer.verified.checkpoint;
  for (const log of logs) {
    const tree = new TiledTree(log.store, target.size);
    try {
      // Only a copy whose tiles hash to the newer root can speak for that tree.
      await tree.verifyRoot(target.rootHash);
    } catch (error) {
      if (error instanceof BulwarkError) continue;
      throw error;
    }
    try {
      verifyCheckpointConsistency(
        older.verified.checkpoint,
        target,
        await tree.consistencyProof(older.verified.checkpoint.size),
      );
      return "consistent";
    } catch (error) {
      if (error instanceof TlogError) return "inconsistent";
      throw error;
    }
  }
  return "unverifiable";
}

/** Checks entries [from, size) and `recheck` against the repository. */
async function checkEntries(
  log: View & { store: LogStore },
  from: bigint,
  recheck: readonly bigint[],
  options: MonitorOptions,
  problems: MonitorProblem[],
): Promise<{ count: number; unlisted: bigint[] } | undefined> {
  const { size, rootHash } = log.verified.checkpoint;
  const tree = new TiledTree(log.store, size);
  const unlisted: bigint[] = [];
  let count = 0;
  const check = async (index: bigint, bytes: Uint8Array): Promise<void> => {
    count++;
    const problem = await checkEntry(index, bytes, options.repository);
    if (problem === undefined) return;
    problems.push(problem);
    unlisted.push(index);
  };
  try {
    await tree.verifyRoot(rootHash);
    for (const index of recheck) await check(index, (await tree.entries(index, 1))[0] as Uint8Array);
    for (let i = from; i < size; i += BigInt(TILE_WIDTH)) {
      const n = Number(size - i < BigInt(TILE_WIDTH) ? size - i : BigInt(TILE_WIDTH));
      const entries = await tree.entries(i, n);
      for (const [j, bytes] of entries.entries()) await check(i + BigInt(j), bytes);
      options.onProgress?.(i + BigInt(n) - from, size - from);
    }
  } catch (error) {
    if (!(error instanceof BulwarkError)) throw error;
    const repository = error instanceof RepositoryLookupError;
    problems.push({
      kind: repository ? "repository-unreadable" : "log-unreadable",
      ...(repository ? {} : { source: log.source }),
      message: repository ? `the repository could not be read: ${error.message}` : `${log.source}: ${error.message}`,
    });
    return undefined;
  }
  return { count, unlisted: unlisted.slice(0, MAX_REMEMBERED_UNLISTED) };
}

/** A repository lookup that failed (not a missing target: metadata that did not verify, a network error). */
class RepositoryLookupError extends BulwarkError {}

async function checkEntry(
  index: bigint,
  bytes: Uint8Array,
  repository: TargetLookup,
): Promise<MonitorProblem | undefined> {
  let entry: ReleaseEntry;
  try {
    entry = parseReleaseEntry(bytes);
  } catch (error) {
    if (!(error instanceof TlogError)) throw error;
    return {
      kind: "bad-entry",
      index: index.toString(),
      message: `entry ${index} is not a release entry: ${error.message}`,
    };
  }
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
