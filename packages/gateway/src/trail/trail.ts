/**
 * The gateway's audit trail: every state change is an entry appended to a transparency log
 * (tlog's tiled {@link LogWriter}: the format and signed checkpoints of the release log),
 * so whoever runs the gateway cannot quietly rewrite what it did.
 *
 * Entries are appended in batches under the store's lock; each batch ends in one checkpoint
 * signed with the trail key (an Ed25519 signed-note key), optionally cosigned by witnesses
 * (tlog's witness client). Each append reopens the log from the store under the lock, so
 * several appenders, in one process or several, take turns and never fork it.
 */
import {
  type CosignatureResult,
  cosignLatest,
  hashLeaf,
  LogReader,
  LogWriter,
  marshalTlogProof,
  type NoteSigner,
  type NoteVerifier,
  TLOG_ERRORS,
  TlogError,
  type VerifiedCheckpoint,
  type WitnessingOptions,
} from "@bulwark/tlog";
import { formatTrailEntry, parseTrailEntry, type TrailEntry } from "./entry.js";
import { TRAIL_ERRORS, TrailError, usageError } from "./errors.js";
import { FolderTrailStore, type TrailStore } from "./store.js";

/** The trail's identity and key. */
export interface TrailOptions {
  /** The checkpoint origin line: names this gateway's trail, e.g. `gateway.example.org/trail`. */
  readonly origin: string;
  /** The trail key. */
  readonly signer: NoteSigner;
  /** Its verifier (the vkey monitors are given). */
  readonly verifier: NoteVerifier;
}

/** What one appended batch produced. */
export interface TrailAppendResult {
  /** The index of the batch's first entry. */
  readonly firstIndex: bigint;
  /** The trail's size after the batch. */
  readonly size: bigint;
  /** The batch's checkpoint, cosigned by the witnesses that answered. */
  readonly checkpoint: string;
  /** What each witness did (empty when none was asked). */
  readonly witnesses: readonly CosignatureResult[];
}

/** The proof that an entry was recorded, for the dashboard to show and anyone to check. */
export interface TrailEntryProof {
  readonly index: bigint;
  readonly entry: TrailEntry;
  /** A c2sp.org/tlog-proof@v1 text carrying the entry in its `extra` data. */
  readonly proof: string;
}

/** An append-only audit trail in a {@link TrailStore}. */
export class Trail {
  private constructor(
    readonly store: TrailStore,
    readonly options: TrailOptions,
  ) {}

  /**
   * Starts an empty trail: signs and writes the checkpoint of size 0.
   * @throws {UsageError} when the store already holds a log.
   */
  static async create(store: TrailStore, options: TrailOptions): Promise<Trail> {
    const release = await store.lock();
    try {
      await LogWriter.create(store, options);
    } finally {
      await release();
    }
    return new Trail(store, options);
  }

  /**
   * Opens a trail: checks its checkpoint with the trail key and the tiles of its right edge.
   * @throws {TrailError} TRAIL_BAD_CHECKPOINT when they do not check out.
   */
  static async open(store: TrailStore, options: TrailOptions): Promise<Trail> {
    await withTrailErrors(() => LogWriter.open(store, options));
    return new Trail(store, options);
  }

  /** A trail in a folder (created when `create` is set and the folder holds none). */
  static async folder(dir: string, options: TrailOptions & { readonly create?: boolean }): Promise<Trail> {
    const store = new FolderTrailStore(dir);
    const exists = (await store.get("checkpoint")) !== undefined;
    if (!exists && options.create) return Trail.create(store, options);
    return Trail.open(store, options);
  }

  /**
   * Appends a batch of entries under the store's lock, ending in one signed checkpoint,
   * then asks `witnessing.witnesses` (if any) to cosign it. Witnesses are optional: without
   * them the trail key alone signs, and monitors detect a fork by keeping checkpoints.
   * @throws {UsageError} TRAIL_USAGE for an invalid entry (nothing is appended).
   * @throws {TlogError} TLOG_WITNESS_QUORUM when `witnessing.policy` is not met (the entries stay).
   */
  async append(entries: readonly TrailEntry[], witnessing?: WitnessingOptions): Promise<TrailAppendResult> {
    const bytes = entries.map(formatTrailEntry);
    const release = await this.store.lock();
    try {
      const writer = await withTrailErrors(() => LogWriter.open(this.store, this.options));
      const appended = await writer.append(bytes);
      if (witnessing === undefined || bytes.length === 0) return { ...appended, witnesses: [] };
      const collected = await cosignLatest(writer, appended.firstIndex, witnessing);
      return { ...appended, checkpoint: collected.note, witnesses: collected.results };
    } finally {
      await release();
    }
  }

  /** A reader of the trail that trusts only the trail key. */
  reader(): LogReader {
    return new LogReader(this.store, { origin: this.options.origin, logVerifier: this.options.verifier });
  }

  /**
   * The trail's latest checkpoint, verified.
   * @throws {TrailError} TRAIL_BAD_CHECKPOINT
   */
  checkpoint(): Promise<VerifiedCheckpoint> {
    return withTrailErrors(() => this.reader().checkpoint());
  }

  /**
   * The proof that entry `index` is in the trail, against the latest checkpoint; checked
   * before it is returned.
   * @throws {UsageError} TRAIL_USAGE for an index beyond the trail.
   * @throws {TrailError} when the store's tiles do not prove it.
   */
  async proof(index: bigint): Promise<TrailEntryProof> {
    const reader = this.reader();
    const verified = await this.checkpoint();
    const { checkpoint } = verified;
    if (index < 0n || index >= checkpoint.size) {
      throw usageError(`entry ${index} is not in a trail of ${checkpoint.size} entries`);
    }
    return withTrailErrors(async () => {
      const [bytes] = await reader.entries(checkpoint, index, 1);
      const extra = bytes as Uint8Array;
      const hashes = await reader.inclusionProof(checkpoint, index, hashLeaf(extra));
      const entry = parseTrailEntry(extra);
      return { index, entry, proof: marshalTlogProof({ index, hashes, checkpoint: verified.signedNote, extra }) };
    });
  }
}

/**
 * Runs `fn`, turning tlog's data errors into trail errors (the cause kept): damaged or
 * missing tiles into TRAIL_DAMAGED, the rest (signature, origin, quorum) into TRAIL_BAD_CHECKPOINT.
 */
export async function withTrailErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof TlogError) {
      const damaged = error.code === TLOG_ERRORS.BAD_TILE || error.code === TLOG_ERRORS.MISSING_TILE;
      const code = damaged ? TRAIL_ERRORS.DAMAGED : TRAIL_ERRORS.BAD_CHECKPOINT;
      throw new TrailError(code, `the trail does not check out: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
