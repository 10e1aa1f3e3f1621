/**
 * A release-log monitor, run by the vendor (or anyone) on a schedule. It finds the things a
 * transparency log exists to expose:
 *
 * - a **split view**: the log showing different histories to different parties. Every
 *   checkpoint it can get (the log, its mirrors, what each witness last cosigned, and its
 *   own last run) must be consistent with every other: two checkpoints of one size with
 *   different roots, or a consistency proof that fails between two sizes, is reported with
 *   both signed checkpoints as evidence; a log that shrank since the last run too;
 * - a **private log**: a checkpoint a witness cosigned that no copy of the log serves (its
 *   tiles are nowhere public), once older than a grace period: a log key used to extend a
 *   copy of the log that only chosen victims see;
 * - a **secret release**: an entry in the log that the vendor's TUF repository does not
 *   list (an attacker with a stolen key had to log the release for clients to accept it);
 * - a **relabelled release**: one file logged under two names or versions (an old attested
 *   build listed as a new version);
 * - a **hidden revocation**: a release the log says is revoked that the repository lists
 *   unrevoked (`unrevoked-release`); every logged change (revocation, rollout) is listed in
 *   the report, so a kill switch used by someone else is seen too.
 *
 * Nothing the log, the mirrors or the witnesses serve is trusted: checkpoints are verified
 * with the log's key, cosignatures with the witnesses' keys (from the log policy), and tiles
 * against the roots. Entries are checked up to the largest tree any witness cosigned that a
 * copy serves, so a copy serving an older checkpoint cannot hide newer entries. The report
 * says what to act on; the caller saves `state` for the next run (only a run without a
 * consistency problem moves it forward, so an alarm repeats until someone looks).
 */
import { BulwarkError, type Fetcher, type JsonObject } from "@bulwark/tuf";
import { encodeBase64 } from "./encoding.js";
import { TLOG_ERRORS, TlogError, usageError } from "./errors.js";
import type { WitnessEndpoint } from "./external/witness-client.js";
import type { LogPolicy } from "./log-policy.js";
import { checkEntries, type LoggedChange } from "./monitor-entries.js";
import type { MonitorState } from "./monitor-state.js";
import {
  type LogView,
  type MonitoredWitness,
  openView,
  readWitnessViews,
  ServedTrees,
  sameTree,
  type View,
  type ViewTrust,
} from "./monitor-views.js";
import type { NoteVerifier } from "./note-key.js";
import type { ReleaseEntry } from "./release-entry.js";
import { CHECKPOINT_KEY, type LogStore } from "./store.js";

/** Named defaults of the monitor. */
export const MONITOR_DEFAULTS = {
  /**
   * How long a witness's checkpoint may go unserved by every copy of the log before it is a
   * problem (by its cosignature's timestamp): time for the log's checkpoint to reach a CDN.
   * A log that uploads its tiles before asking for cosignatures needs none of it.
   */
  unpublishedGraceSeconds: 3600,
} as const;

/** Looks a target up in the vendor's repository (an `Updater` is one). */
export interface TargetLookup {
  getTargetInfo(path: string): Promise<
    | {
        readonly length: number;
        readonly hashes: ReadonlyMap<string, string>;
        /** The target's `custom` data: `bulwark.revoked` says it is revoked. */
        readonly custom?: JsonObject | undefined;
      }
    | undefined
  >;
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
  /**
   * The log policy of the repository's root: its witnesses' keys verify the cosignatures on
   * every checkpoint compared, and those with a URL are asked for their latest checkpoint.
   */
  readonly policy?: LogPolicy;
  /** What the previous run saw. */
  readonly state?: MonitorState;
  /** Fetches witness checkpoints (default: HTTP with the tuf package's limits and timeouts). */
  readonly fetcher?: Fetcher;
  /** Told how many entries have been checked, as the check goes. */
  readonly onProgress?: (checked: bigint, total: bigint) => void;
  /** Now, in milliseconds since the epoch (default: Date.now). */
  readonly now?: () => number;
  /** Default {@link MONITOR_DEFAULTS.unpublishedGraceSeconds}. */
  readonly unpublishedGraceSeconds?: number;
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
  /** The witnesses whose cosignatures on it verified. */
  readonly cosigners: readonly string[];
}

/** The kinds of problem a monitor reports. */
export type MonitorProblemKind =
  | "split-view"
  | "inconsistent"
  | "rollback"
  /** A witness cosigned a tree no copy of the log serves (after the grace period). */
  | "unpublished-checkpoint"
  | "unlisted-release"
  /** One file logged under two names or versions; reported in the run that reads the second entry. */
  | "relabelled-release"
  /** A release revoked in the log that the repository lists unrevoked: a hidden revocation. */
  | "unrevoked-release"
  | "bad-entry"
  | "log-unreadable"
  | "repository-unreadable";

/** Something to act on. */
export interface MonitorProblem {
  readonly kind: MonitorProblemKind;
  readonly message: string;
  /** For split views, inconsistencies, rollbacks and unpublished checkpoints: the checkpoints at issue. */
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
  /** The tree whose entries were checked: the largest one cosigned or logged that a copy serves. */
  readonly checked?: CheckpointView;
  /** Every checkpoint compared. */
  readonly views: readonly CheckpointView[];
  /** Entries checked against the repository in this run: [from, to), plus earlier unlisted ones. */
  readonly entries: { readonly from: string; readonly to: string; readonly checked: number };
  readonly problems: readonly MonitorProblem[];
  /** The changes to releases (revocations, rollout changes) logged in the entries read in this run. */
  readonly changes: readonly LoggedChange[];
  /** Things that could not be checked (an unreachable witness, a mirror without the tiles). */
  readonly warnings: readonly string[];
  /** The state to save for the next run. */
  readonly state?: MonitorState;
}

const CONSISTENCY_KINDS: ReadonlySet<MonitorProblemKind> = new Set(["split-view", "inconsistent", "rollback"]);

function viewOf(v: View): CheckpointView {
  const c = v.verified.checkpoint;
  return {
    source: v.source,
    size: c.size.toString(),
    rootHash: encodeBase64(c.rootHash),
    checkpoint: v.verified.signedNote,
    cosigners: [...v.cosigned.keys()],
  };
}

/** The witnesses to ask and whose keys to trust: the given endpoints, then the policy's. */
function witnessesOf(options: MonitorOptions): MonitoredWitness[] {
  const out = new Map<string, MonitoredWitness>();
  for (const w of [...(options.witnesses ?? []), ...(options.policy?.witnesses ?? [])]) {
    const known = out.get(w.verifier.vkey);
    if (known === undefined) out.set(w.verifier.vkey, w);
    else if (known.url === undefined && w.url !== undefined) out.set(w.verifier.vkey, { ...known, url: w.url });
  }
  return [...out.values()];
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
  const trust: ViewTrust = { origin, logVerifier, witnesses: witnessesOf(options) };
  const previous = state === undefined ? undefined : openView(state.checkpoint, "previous run", trust, warnings);

  const logViews: LogView[] = [];
  for (const log of options.logs) {
    try {
      const note = await log.store.get(CHECKPOINT_KEY);
      if (note === undefined) throw new TlogError(TLOG_ERRORS.MISSING_TILE, "no checkpoint");
      logViews.push({ ...openView(note, log.name, trust, warnings), store: log.store });
    } catch (error) {
      if (!(error instanceof BulwarkError)) throw error;
      problems.push({ kind: "log-unreadable", source: log.name, message: `${log.name}: ${error.message}` });
    }
  }
  const witnessViews = await readWitnessViews(trust, options.fetcher, warnings);
  const views = [...(previous ? [previous] : []), ...logViews, ...witnessViews];
  const served = new ServedTrees(logViews);
  await compareViews(views, served, problems, warnings);
  await checkPublished(witnessViews, served, options, problems, warnings);

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
  const target = await largestServed([...logViews, ...witnessViews], served);
  const consistent = !problems.some((p) => CONSISTENCY_KINDS.has(p.kind));
  // A state from before `releases` existed: every entry once more, to learn their digests.
  const resume = consistent && state !== undefined && state.releases !== undefined;
  const size = target?.verified.checkpoint.size ?? 0n;
  const from = resume ? (state.checkedSize < size ? state.checkedSize : size) : 0n;
  const recheck = resume ? state.unlisted.filter((i) => i < from) : [];
  const releases = resume ? (state.releases ?? new Map()) : new Map();
  const revocations = resume ? (state.revocations ?? new Map()) : new Map();
  const changes: LoggedChange[] = [];
  const checked =
    target === undefined
      ? undefined
      : await checkEntries(target, from, recheck, {
          repository: options.repository,
          releases,
          revocations,
          changes,
          problems,
          warnings,
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        });

  const report = {
    ok: problems.length === 0,
    origin,
    ...(primary ? { checkpoint: viewOf(primary) } : {}),
    ...(target ? { checked: viewOf(target) } : {}),
    views: views.map(viewOf),
    entries: { from: from.toString(), to: (checked ? size : from).toString(), checked: checked?.count ?? 0 },
    problems,
    changes,
    warnings,
  };
  if (!consistent || target === undefined) return state === undefined ? report : { ...report, state };
  const next: MonitorState = {
    origin,
    checkpoint: target.verified.signedNote,
    checkedSize: checked ? size : from,
    unlisted: checked ? checked.unlisted : recheck,
    releases: checked ? checked.releases : releases,
    revocations: checked ? checked.revocations : revocations,
  };
  return { ...report, state: next };
}

/**
 * The largest tree among `views` that a copy of the log serves, read through that copy: the
 * tree whose entries are checked.
 */
async function largestServed(views: readonly View[], served: ServedTrees): Promise<LogView | undefined> {
  const bySize = [...views].sort((a, b) => Number(b.verified.checkpoint.size - a.verified.checkpoint.size));
  for (const view of bySize) {
    const log = await served.servedBy(view);
    if (log !== undefined) return { ...view, source: log.source, store: log.store };
  }
  return undefined;
}

/** Every witness's checkpoint must be served by a copy of the log, after the grace period. */
async function checkPublished(
  witnessViews: readonly View[],
  served: ServedTrees,
  options: MonitorOptions,
  problems: MonitorProblem[],
  warnings: string[],
): Promise<void> {
  const now = BigInt(Math.floor((options.now ?? Date.now)() / 1000));
  const grace = BigInt(options.unpublishedGraceSeconds ?? MONITOR_DEFAULTS.unpublishedGraceSeconds);
  for (const view of witnessViews) {
    if ((await served.servedBy(view)) !== undefined) continue;
    const name = view.witness?.name ?? view.source;
    const at = view.cosigned.get(name);
    const size = view.verified.checkpoint.size;
    const what = `witness ${name} cosigned a tree of ${size} entries that no copy of the log serves`;
    if (at !== undefined && now - at <= grace) {
      warnings.push(`${what} yet (cosigned ${now - at} s ago; a problem after ${grace} s)`);
      continue;
    }
    const when = at === undefined ? "" : ` (cosigned ${new Date(Number(at) * 1000).toISOString()})`;
    problems.push({
      kind: "unpublished-checkpoint",
      message: `${what}${when}: its entries are hidden from everyone but whom the log shows them to, a privately extended log; the log key was used where it should not be`,
      checkpoints: [viewOf(view)],
    });
  }
}

/**
 * Every pair of distinct trees must be consistent: the same size with another root is a
 * split view; a failing consistency proof, built from a log store whose tiles hash to the
 * larger tree's root, is a fork.
 */
async function compareViews(
  views: readonly View[],
  served: ServedTrees,
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
      const verdict = await served.consistency(older, newer);
      if (verdict === "consistent") continue;
      if (verdict === "unverifiable") {
        // A witness's tree no copy serves is checkPublished's problem; say it once.
        if (newer.witness === undefined) {
          warnings.push(
            `no log copy serves the tree of ${newer.source} (${newSize} entries): its consistency with ${older.source} is unchecked`,
          );
        }
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
