/**
 * A tiled log writer (c2sp.org/tlog-tiles): appends entries in batches and, per batch,
 * writes the entry bundles and Merkle tiles that changed, then one signed checkpoint.
 *
 * Only the right edge of the tree is held in memory: the partial tile of each level and
 * the partial entry bundle, which is all that appending and the root need. Full tiles and
 * bundles are written once; partial ones are written at each new width and never rewritten
 * (their paths carry the width), so every path is immutable and cacheable. The checkpoint
 * is written last, after the store made the tiles durable, so a crash never publishes a
 * checkpoint whose tiles are missing.
 *
 * One writer per log at a time: the caller must make sure of it (for instance with a lock).
 */
import { type Checkpoint, formatCheckpoint, verifyCheckpoint } from "./checkpoint.js";
import { bytesEqual } from "./encoding.js";
import { TLOG_ERRORS, TlogError, usageError } from "./errors.js";
import { treeRoot } from "./merkle-tree.js";
import type { NoteSigner, NoteVerifier } from "./note-key.js";
import { hashLeaf, rootFromLeafHashes } from "./rfc6962.js";
import { signNote } from "./signed-note.js";
import { CHECKPOINT_KEY, type WritableLogStore } from "./store.js";
import { entryBundlePath, TILE_HEIGHT, TILE_WIDTH, tilePath } from "./tile-path.js";
import { tileNodeHash } from "./tiled-tree.js";
import {
  encodeEntryBundle,
  encodeTile,
  MAX_ENTRY_SIZE,
  nodeLocation,
  parseEntryBundle,
  parseTile,
  partialTiles,
  tileLevels,
} from "./tiles.js";

/** How to sign the log's checkpoints. */
export interface LogWriterOptions {
  /** The checkpoint origin line (tlog-tiles: the schema-less URL prefix of the log). */
  readonly origin: string;
  /** The log's key. */
  readonly signer: NoteSigner;
  /** The verifier of the log's key, to check the checkpoint found when reopening a log. */
  readonly verifier: NoteVerifier;
  /** More signers of each checkpoint (for instance a second key during a key rotation). */
  readonly extraSigners?: readonly NoteSigner[];
}

/** What one appended batch produced. */
export interface AppendResult {
  /** The index of the batch's first entry. */
  readonly firstIndex: bigint;
  /** The tree size after the batch. */
  readonly size: bigint;
  /** The new signed checkpoint note. */
  readonly checkpoint: string;
}

const W = BigInt(TILE_WIDTH);

/** Appends entries to a tiled log in a {@link WritableLogStore}. */
export class LogWriter {
  #size: bigint;
  #checkpoint: string;
  /** edge[l] holds the hashes of the partial tile at level l (fewer than 256). */
  #edge: Uint8Array[][];
  /** The entries of the partial entry bundle (fewer than 256). */
  #bundle: Uint8Array[];
  #queue: Promise<unknown> = Promise.resolve();
  #failed: unknown;

  private constructor(
    readonly store: WritableLogStore,
    readonly options: LogWriterOptions,
    state: { size: bigint; checkpoint: string; edge: Uint8Array[][]; bundle: Uint8Array[] },
  ) {
    this.#size = state.size;
    this.#checkpoint = state.checkpoint;
    this.#edge = state.edge;
    this.#bundle = state.bundle;
  }

  /**
   * Starts a new, empty log: signs and writes the checkpoint of size 0.
   * @throws {UsageError} when the store already holds a checkpoint.
   */
  static async create(store: WritableLogStore, options: LogWriterOptions): Promise<LogWriter> {
    if ((await store.get(CHECKPOINT_KEY)) !== undefined) throw usageError("the store already holds a log");
    const writer = new LogWriter(store, options, { size: 0n, checkpoint: "", edge: [], bundle: [] });
    await writer.#publish(0n, edgeRoot(0n, []));
    return writer;
  }

  /**
   * Reopens a log: verifies its checkpoint with the log's key and reloads the right edge of
   * the tree, checking that it hashes to the checkpoint's root.
   * @throws {TlogError} when the checkpoint or the edge tiles do not check out.
   */
  static async open(store: WritableLogStore, options: LogWriterOptions): Promise<LogWriter> {
    const note = await store.get(CHECKPOINT_KEY);
    if (note === undefined) throw new TlogError(TLOG_ERRORS.MISSING_TILE, "the store holds no checkpoint");
    const { checkpoint, signedNote } = verifyCheckpoint(note, {
      logVerifier: options.verifier,
      origin: options.origin,
    });
    const edge: Uint8Array[][] = tileLevels(checkpoint.size).map(() => []);
    for (const tile of partialTiles(checkpoint.size)) {
      const path = tilePath(tile.level, tile.index, tile.width);
      const bytes = await store.get(path);
      if (bytes === undefined) throw new TlogError(TLOG_ERRORS.MISSING_TILE, `missing ${path}`);
      edge[tile.level] = parseTile(bytes, tile.width);
    }
    let bundle: Uint8Array[] = [];
    const level0 = edge[0] ?? [];
    if (level0.length > 0) {
      const path = entryBundlePath(checkpoint.size / W, level0.length);
      const bytes = await store.get(path);
      if (bytes === undefined) throw new TlogError(TLOG_ERRORS.MISSING_TILE, `missing ${path}`);
      bundle = parseEntryBundle(bytes, level0.length);
      if (bundle.some((e, i) => !bytesEqual(hashLeaf(e), level0[i] as Uint8Array))) {
        throw new TlogError(TLOG_ERRORS.BAD_TILE, `${path} does not match its tile`);
      }
    }
    const writer = new LogWriter(store, options, {
      size: checkpoint.size,
      checkpoint: signedNote,
      edge,
      bundle,
    });
    if (!bytesEqual(edgeRoot(checkpoint.size, edge), checkpoint.rootHash)) {
      throw new TlogError(TLOG_ERRORS.BAD_TILE, "the partial tiles do not hash to the checkpoint's root");
    }
    return writer;
  }

  /** The tree size of the last checkpoint. */
  get size(): bigint {
    return this.#size;
  }

  /** The last signed checkpoint note. */
  get checkpoint(): string {
    return this.#checkpoint;
  }

  /**
   * Appends a batch of entries: one checkpoint for the whole batch. Calls are queued, so
   * concurrent callers get consecutive batches.
   * @throws {UsageError} for an entry over 65,535 bytes (the whole batch is refused).
   */
  append(entries: readonly Uint8Array[]): Promise<AppendResult> {
    const tooLarge = entries.find((e) => e.length > MAX_ENTRY_SIZE);
    if (tooLarge !== undefined) {
      return Promise.reject(usageError(`an entry is at most ${MAX_ENTRY_SIZE} bytes, not ${tooLarge.length}`));
    }
    const run = this.#queue.then(() => this.#append(entries));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Replaces the latest checkpoint with `note`: the same checkpoint with more signatures
   * (witness cosignatures). Queued like appends; does nothing, and resolves false, when
   * `note` is not the latest checkpoint (a later batch has replaced it).
   * @throws {TlogError} when `note` does not verify with the log's key.
   */
  publishCosigned(note: string): Promise<boolean> {
    const run = this.#queue.then(async () => {
      if (this.#failed !== undefined) {
        throw usageError("an earlier append failed: reopen the log with LogWriter.open", this.#failed);
      }
      const current = verifyCheckpoint(this.#checkpoint, {
        logVerifier: this.options.verifier,
        origin: this.options.origin,
      });
      const cosigned = verifyCheckpoint(note, { logVerifier: this.options.verifier, origin: this.options.origin });
      if (cosigned.note.text !== current.note.text) return false;
      await this.store.put(CHECKPOINT_KEY, new TextEncoder().encode(note));
      await this.store.sync();
      this.#checkpoint = note;
      return true;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #append(entries: readonly Uint8Array[]): Promise<AppendResult> {
    if (this.#failed !== undefined) {
      throw usageError("an earlier append failed: reopen the log with LogWriter.open", this.#failed);
    }
    const firstIndex = this.#size;
    if (entries.length === 0) return { firstIndex, size: this.#size, checkpoint: this.#checkpoint };
    // Work on a copy of the right edge, committed only once the checkpoint is written.
    const edge = this.#edge.map((hashes) => [...hashes]);
    let bundle = [...this.#bundle];
    const writes = new Map<string, Uint8Array>();
    const touched = new Set<number>();
    let size = this.#size;
    for (const entry of entries) {
      bundle.push(entry);
      if (bundle.length === TILE_WIDTH) {
        writes.set(entryBundlePath(size / W), encodeEntryBundle(bundle));
        bundle = [];
      }
      size++;
      pushHash(edge, 0, hashLeaf(entry), size, writes, touched);
    }
    // The partial tiles and bundle at the new size (their paths carry their width).
    for (const level of touched) {
      const hashes = edge[level] ?? [];
      if (hashes.length > 0)
        writes.set(tilePath(level, size >> BigInt(TILE_HEIGHT * (level + 1)), hashes.length), encodeTile(hashes));
    }
    if (bundle.length > 0) writes.set(entryBundlePath(size / W, bundle.length), encodeEntryBundle(bundle));
    try {
      await Promise.all([...writes].map(([key, data]) => this.store.put(key, data)));
      await this.#publish(size, edgeRoot(size, edge));
    } catch (error) {
      // The store may or may not hold the new checkpoint: only a reopen knows.
      this.#failed = error;
      throw error;
    }
    this.#edge = edge;
    this.#bundle = bundle;
    this.#size = size;
    return { firstIndex, size, checkpoint: this.#checkpoint };
  }

  /** Makes the tiles durable, then signs and writes the checkpoint of `size`. */
  async #publish(size: bigint, rootHash: Uint8Array): Promise<void> {
    await this.store.sync();
    const checkpoint: Checkpoint = { origin: this.options.origin, size, rootHash, extensionLines: [] };
    const note = await signNote(formatCheckpoint(checkpoint), [
      this.options.signer,
      ...(this.options.extraSigners ?? []),
    ]);
    await this.store.put(CHECKPOINT_KEY, new TextEncoder().encode(note));
    await this.store.sync();
    this.#checkpoint = note;
  }
}

/** Adds a hash to the partial tile at `level`; a tile that fills is written and hashed upwards. */
function pushHash(
  edge: Uint8Array[][],
  level: number,
  hash: Uint8Array,
  size: bigint,
  writes: Map<string, Uint8Array>,
  touched: Set<number>,
): void {
  const hashes = edge[level] ?? [];
  edge[level] = hashes;
  hashes.push(hash);
  touched.add(level);
  if (hashes.length < TILE_WIDTH) return;
  const index = (size >> BigInt(TILE_HEIGHT * (level + 1))) - 1n;
  writes.set(tilePath(level, index), encodeTile(hashes));
  edge[level] = [];
  pushHash(edge, level + 1, rootFromLeafHashes(hashes), size, writes, touched);
}

/** The root of a tree of `size` from the partial tiles of its right edge. */
function edgeRoot(size: bigint, edge: readonly Uint8Array[][]): Uint8Array {
  return treeRoot(size, (level, index) => {
    const loc = nodeLocation(level, index);
    return tileNodeHash(edge[loc.tileLevel] ?? [], loc.nodeLevel, loc.nodeIndex);
  });
}
