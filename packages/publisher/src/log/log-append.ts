/**
 * Appending entries to a log folder, in the order that keeps nothing cosigned invisible:
 *
 * 1. `writer.append` in batches (one signed checkpoint each): the tiles and entry bundles go
 *    to DIR/public/, the folder that is served as it is;
 * 2. every new resource except `checkpoint` is copied to the upload store, when there is
 *    one (a copy of public/ that a CDN or object store serves);
 * 3. the witnesses are asked to cosign: a witness with data availability reads the new
 *    tiles at the log's public URL, so they must be there first (step 1 or 2);
 * 4. each entry's proof is made against the cosigned checkpoint;
 * 5. the cosigned checkpoint is written, to the upload store last of all.
 *
 * When the witnesses do not cosign, the error says what it means: a witness holding a tree
 * this log never produced is an incident (the log key was used elsewhere), one that could not
 * read the tiles means "publish the tiles first", anything else is an outage.
 */
import {
  CHECKPOINT_KEY,
  type CosignatureResult,
  cosignLatest,
  entryBytes,
  type PolicyComponent,
  policyEndpoints,
  type ReleaseChangeEntry,
  type ReleaseEntry,
  type ReleaseProof,
  releaseProofs,
  TLOG_ERRORS,
  type TlogError,
  type WitnessEndpoint,
  WitnessQuorumError,
  type WritableLogStore,
} from "@bulwark/tlog";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import type { Passphrases } from "../store/passphrases.js";
import type { LogDir } from "./log-dir.js";

/** Entries per batch (one checkpoint each) unless told otherwise. */
export const DEFAULT_LOG_BATCH = 1000;

/** Options of {@link appendToLog}. */
export interface AppendToLogOptions {
  readonly passphrases: Passphrases;
  /** Entries per batch, each batch one checkpoint (default {@link DEFAULT_LOG_BATCH}). */
  readonly batch?: number;
  /** The witnesses to ask (default: DIR/witnesses.policy's, with its quorum as `policy`). */
  readonly witnesses?: readonly WitnessEndpoint[];
  /** What the cosignatures must satisfy (default: DIR/witnesses.policy's quorum). */
  readonly policy?: PolicyComponent;
  /** A served copy of public/: new tiles go there before the witnesses are asked, the checkpoint last. */
  readonly upload?: WritableLogStore;
  readonly signal?: AbortSignal;
  /** Told how many entries are appended, after each batch. */
  readonly onProgress?: (appended: number, total: number) => void;
}

/** What {@link appendToLog} did. */
export interface AppendedToLog {
  readonly origin: string;
  readonly firstIndex: bigint;
  readonly size: bigint;
  /** The checkpoint as published, with the cosignatures collected. */
  readonly checkpoint: string;
  /** Each entry's proof against it. */
  readonly proofs: readonly ReleaseProof[];
  /** What each witness did (empty when none was asked). */
  readonly witnesses: readonly CosignatureResult[];
  /** How many resources went to the upload store. */
  readonly uploaded: number;
}

/**
 * Why the witnesses did not cosign: `TLOG_SPLIT_VIEW` (an incident: a witness holds a tree
 * this log never produced), `TLOG_DATA_UNAVAILABLE` (a witness could not read the new tiles
 * at the log's public URL) or `TLOG_WITNESS_QUORUM` (not enough answered). The entries stay
 * in the log (a log never takes entries back); `size` is the log's size.
 */
export class LogWitnessError extends PublisherError {
  constructor(
    code: string,
    message: string,
    readonly size: bigint,
    readonly witnesses: readonly CosignatureResult[],
    options: { hint?: string; cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** The hint for each kind of witness failure. */
export const WITNESS_FAILURE_HINTS: Readonly<Record<string, string>> = {
  [TLOG_ERRORS.SPLIT_VIEW]:
    "this is an incident, not an outage: a checkpoint signed with the log key that this log never produced reached the witnesses. Keep the witnesses' evidence, rotate the log key, and find where it was used (docs/transparency-log.md)",
  [TLOG_ERRORS.DATA_UNAVAILABLE]:
    "publish the log's tiles first: serve DIR/public (or sync the --upload copy) at the URL the witnesses read, then append again",
  [TLOG_ERRORS.WITNESS_QUORUM]:
    "bring the witnesses back (or fix the witness policy), then append again: the next checkpoint is cosigned",
};

/**
 * The error for a failed quorum, classified by what the witnesses said: an incident
 * outranks unavailable tiles, which outrank an outage. `say` words the message around the
 * witnesses' own.
 */
export function witnessFailure(
  error: TlogError,
  results: readonly CosignatureResult[],
  size: bigint,
  say: (witnesses: string) => string,
  hint?: string,
): LogWitnessError {
  const codes = new Set(results.map((r) => r.error?.code));
  const code = codes.has(TLOG_ERRORS.SPLIT_VIEW)
    ? TLOG_ERRORS.SPLIT_VIEW
    : codes.has(TLOG_ERRORS.DATA_UNAVAILABLE)
      ? TLOG_ERRORS.DATA_UNAVAILABLE
      : TLOG_ERRORS.WITNESS_QUORUM;
  const lead =
    code === TLOG_ERRORS.SPLIT_VIEW
      ? "INCIDENT: the log key was used elsewhere. "
      : code === TLOG_ERRORS.DATA_UNAVAILABLE
        ? "the witnesses could not read the new tiles at the log's public URL. "
        : "";
  return new LogWitnessError(code, `${lead}${say(error.message)}`, size, results, {
    hint: code === TLOG_ERRORS.WITNESS_QUORUM && hint !== undefined ? hint : (WITNESS_FAILURE_HINTS[code] as string),
    cause: error,
  });
}

/** A store that remembers the keys written through it, to upload them in order. */
class RecordingStore implements WritableLogStore {
  readonly written = new Set<string>();

  constructor(readonly inner: WritableLogStore) {}

  get(key: string): Promise<Uint8Array | undefined> {
    return this.inner.get(key);
  }

  put(key: string, data: Uint8Array): Promise<void> {
    this.written.add(key);
    return this.inner.put(key, data);
  }

  sync(): Promise<void> {
    return this.inner.sync();
  }
}

/** Copies `keys` from `from` to `to` (the checkpoint excluded), then syncs. */
async function upload(from: WritableLogStore, to: WritableLogStore, keys: Iterable<string>): Promise<number> {
  let n = 0;
  for (const key of keys) {
    if (key === CHECKPOINT_KEY) continue;
    const data = await from.get(key);
    if (data === undefined) continue;
    await to.put(key, data);
    n++;
  }
  await to.sync();
  return n;
}

/**
 * Appends `entries` (release entries, and release-change entries: those with a `change`) to
 * the log folder in the order of the module comment, holding the folder's lock, and returns
 * each entry's proof against the cosigned checkpoint.
 * @throws {LogWitnessError} when the witness policy is not met (the entries stay logged);
 *   {@link UsageError} for an invalid entry (nothing is appended); the folder's errors
 *   (LOCKED, KEY_UNREADABLE, a log that does not verify).
 */
export async function appendToLog(
  dir: LogDir,
  entries: readonly (ReleaseEntry | ReleaseChangeEntry)[],
  options: AppendToLogOptions,
): Promise<AppendedToLog> {
  const batch = options.batch ?? DEFAULT_LOG_BATCH;
  if (!Number.isSafeInteger(batch) || batch < 1) {
    throw new PublisherError(PUBLISHER_ERRORS.BAD_CONFIG, `a batch holds at least 1 entry, not ${batch}`);
  }
  const bytes = entries.map(entryBytes);
  const own = options.witnesses === undefined ? await dir.witnessPolicy() : undefined;
  const witnesses = options.witnesses ?? (own ? policyEndpoints(own.quorum) : []);
  const policy = options.policy ?? own?.quorum;
  const { writer, release } = await dir.openWriter(options.passphrases, (store) => new RecordingStore(store));
  try {
    const store = writer.store as RecordingStore;
    const firstIndex = writer.size;
    for (let i = 0; i < bytes.length; i += batch) {
      await writer.append(bytes.slice(i, i + batch));
      options.onProgress?.(Math.min(i + batch, bytes.length), bytes.length);
    }
    const uploaded = options.upload ? await upload(store, options.upload, store.written) : 0;
    let collected: Awaited<ReturnType<typeof cosignLatest>>;
    try {
      collected = await cosignLatest(writer, firstIndex, {
        witnesses,
        ...(policy ? { policy } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (!(error instanceof WitnessQuorumError)) throw error;
      throw witnessFailure(
        error,
        error.results,
        writer.size,
        (m) => `${m}; the entries are logged (size ${writer.size}) but have no valid proofs yet`,
      );
    }
    const proofs = await releaseProofs(writer, collected.note, firstIndex, entries);
    if (options.upload) {
      await options.upload.put(CHECKPOINT_KEY, new TextEncoder().encode(collected.note));
      await options.upload.sync();
    }
    return {
      origin: dir.config.origin,
      firstIndex,
      size: writer.size,
      checkpoint: collected.note,
      proofs,
      witnesses: collected.results,
      uploaded,
    };
  } finally {
    await release();
  }
}
