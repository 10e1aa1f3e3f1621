/**
 * The trail's verifier: reads the whole trail (or a range) from an untrusted store and
 * proves that nothing was rewritten. Every entry read is checked against the checkpoint's
 * root (its inclusion), and the checkpoint against the one a monitor kept (consistency).
 *
 * A monitor keeps a {@link TrailSnapshot}: the last checkpoint it verified and the leaf
 * hashes of every entry up to it (32 bytes an entry). The checkpoint alone proves that a
 * history was forked; the hashes name the first entry that changed, and how.
 *
 * When something does not check out, the error names the entry:
 * - the store's entries differ from its own tiles (edited without the key):
 *   TRAIL_ENTRY_REWRITTEN, TRAIL_ENTRY_DROPPED or TRAIL_ENTRIES_REORDERED;
 * - a tile or bundle is missing, truncated, or does not hash to the root: TRAIL_DAMAGED;
 * - the new checkpoint does not extend the kept one (a history signed again with the key,
 *   or two views shown to two parties): TRAIL_FORKED, with the change at the first entry.
 */
import {
  entryBundlePath,
  hashLeaf,
  LogReader,
  type LogStore,
  type NoteVerifier,
  type PolicyComponent,
  parseEntryBundle,
  rootFromLeafHashes,
  TILE_WIDTH,
  TiledTree,
  TlogError,
  tileLevels,
  type VerifiedCheckpoint,
  verifyCheckpoint,
  verifyInclusion,
} from "@bulwark/tlog";
import { findDivergence } from "./divergence.js";
import { parseTrailEntry, type TrailEntry } from "./entry.js";
import { TRAIL_ERRORS, type TrailChange, TrailEntryError, TrailError, usageError } from "./errors.js";
import { withTrailErrors } from "./trail.js";

/** What a monitor keeps between two verifications. */
export interface TrailSnapshot {
  /** The last checkpoint note it verified. */
  readonly checkpoint: string;
  /** The leaf hash of every entry up to that checkpoint, in order. */
  readonly leafHashes: readonly Uint8Array[];
}

/** What to verify, and against whom. */
export interface VerifyTrailOptions {
  /** The trail's origin line. */
  readonly origin: string;
  /** The trail key's verifier. */
  readonly verifier: NoteVerifier;
  /** Witnesses whose cosignatures the checkpoint needs (default: none). */
  readonly policy?: PolicyComponent;
  /** What the monitor kept last time: the new checkpoint must extend it. */
  readonly previous?: TrailSnapshot;
  /**
   * The entries to read: `from` (default: the previous snapshot's size, or 0) for `count`
   * (default: to the end of the trail).
   */
  readonly from?: bigint;
  readonly count?: bigint;
  /** Called with each entry read, in order, once it is verified. */
  readonly onEntry?: (index: bigint, entry: TrailEntry) => void | Promise<void>;
}

/** What {@link verifyTrail} proved. */
export interface TrailVerification {
  /** The trail's checkpoint, verified. */
  readonly checkpoint: VerifiedCheckpoint;
  /** The entries read and verified: [from, from + count). */
  readonly from: bigint;
  readonly count: bigint;
  /**
   * What to keep for the next run: present when every entry up to the checkpoint is covered
   * (read now, or kept from before).
   */
  readonly snapshot?: TrailSnapshot;
}

const W = BigInt(TILE_WIDTH);

/**
 * Verifies the trail in `store`: its checkpoint, each entry in the range (inclusion under
 * the root, and a valid trail entry), and consistency with `previous`.
 * @throws {TrailError} TRAIL_BAD_CHECKPOINT, TRAIL_DAMAGED
 * @throws {TrailEntryError} TRAIL_ENTRY_REWRITTEN, TRAIL_ENTRY_DROPPED, TRAIL_ENTRIES_REORDERED,
 *   TRAIL_DAMAGED, TRAIL_FORKED, TRAIL_BAD_ENTRY, each naming the first entry at fault.
 * @throws {UsageError} TRAIL_USAGE for a snapshot whose hashes do not match its checkpoint,
 *   or a range beyond the trail.
 */
export async function verifyTrail(store: LogStore, options: VerifyTrailOptions): Promise<TrailVerification> {
  const { origin, verifier, policy, previous } = options;
  const reader = new LogReader(store, { origin, logVerifier: verifier, ...(policy === undefined ? {} : { policy }) });
  const verified = await withTrailErrors(() => reader.checkpoint());
  const { checkpoint } = verified;
  const tree = new TiledTree(store, checkpoint.size);
  await verifyRootOrName(tree, checkpoint.rootHash);
  const bundles = new BundleReader(store, tree, checkpoint.rootHash);
  let kept: readonly Uint8Array[] = [];
  if (previous !== undefined) {
    kept = await checkExtends(reader, bundles, previous, verified, options);
  }
  const from = options.from ?? BigInt(kept.length);
  const count = options.count ?? checkpoint.size - from;
  if (from < 0n || count < 0n || from + count > checkpoint.size) {
    throw usageError(`entries [${from}, +${count}) are not in a trail of ${checkpoint.size}`);
  }
  const hashes: Uint8Array[] = [];
  for (let index = from; index < from + count; ) {
    const bundle = await bundles.read(index / W);
    const first = Number(index % W);
    const take = Math.min(bundle.length - first, Number(from + count - index));
    for (const bytes of bundle.slice(first, first + take)) {
      let entry: TrailEntry;
      try {
        entry = parseTrailEntry(bytes);
      } catch (error) {
        if (!(error instanceof TrailError)) throw error;
        throw new TrailEntryError(TRAIL_ERRORS.BAD_ENTRY, index, `entry ${index}: ${error.message}`, undefined, {
          cause: error,
        });
      }
      hashes.push(hashLeaf(bytes));
      await options.onEntry?.(index, entry);
      index++;
    }
  }
  const covers = from <= BigInt(kept.length) && from + count === checkpoint.size;
  const snapshot = covers
    ? { checkpoint: verified.signedNote, leafHashes: [...kept.slice(0, Number(from)), ...hashes] }
    : undefined;
  return { checkpoint: verified, from, count, ...(snapshot === undefined ? {} : { snapshot }) };
}

/**
 * Checks that `current` extends the snapshot's checkpoint; returns the snapshot's hashes.
 * On a fork, reads the new history's entries up to the old size to name the first change.
 */
async function checkExtends(
  reader: LogReader,
  bundles: BundleReader,
  previous: TrailSnapshot,
  current: VerifiedCheckpoint,
  options: VerifyTrailOptions,
): Promise<readonly Uint8Array[]> {
  const old = await withTrailErrors(async () =>
    verifyCheckpoint(previous.checkpoint, { logVerifier: options.verifier, origin: options.origin }),
  );
  const oldSize = old.checkpoint.size;
  if (
    BigInt(previous.leafHashes.length) !== oldSize ||
    Buffer.compare(rootFromLeafHashes(previous.leafHashes), old.checkpoint.rootHash) !== 0
  ) {
    throw usageError("the snapshot's leaf hashes do not hash to its checkpoint's root");
  }
  const newSize = current.checkpoint.size;
  if (newSize >= oldSize) {
    try {
      await reader.consistencyProof(old.checkpoint, current.checkpoint);
      return previous.leafHashes;
    } catch (error) {
      if (!(error instanceof TlogError)) throw error;
    }
  }
  // The histories part: find where, from the entries the new one holds (checked against its root).
  // biome-ignore lint/complexity/useMathMinMax: Math.min does not take bigints
  const common = newSize < oldSize ? newSize : oldSize;
  const now: Uint8Array[] = [];
  for (let b = 0n; b * W < common; b++) {
    const bundle = await bundles.read(b);
    const take = Math.min(bundle.length, Number(common - b * W));
    for (const bytes of bundle.slice(0, take)) now.push(hashLeaf(bytes));
  }
  const divergence = findDivergence(previous.leafHashes, now);
  if (divergence === undefined) {
    // Every kept entry is there, under the new root: the proof failed on tiles, not history.
    throw new TrailError(TRAIL_ERRORS.DAMAGED, "the trail's tiles do not prove it extends the kept checkpoint");
  }
  throw forked(BigInt(divergence.at), divergence.change, oldSize, newSize);
}

function forked(index: bigint, change: TrailChange, oldSize: bigint, newSize: bigint): TrailEntryError {
  return new TrailEntryError(
    TRAIL_ERRORS.FORKED,
    index,
    `the trail's checkpoint (size ${newSize}) does not extend the one kept (size ${oldSize}): entry ${index} was ${change}`,
    change,
  );
}

/** Checks the right edge's tiles against the root; a tile that is missing or truncated is named. */
async function verifyRootOrName(tree: TiledTree, root: Uint8Array): Promise<void> {
  try {
    await tree.verifyRoot(root);
    return;
  } catch (error) {
    if (!(error instanceof TlogError)) throw error;
    for (const { level, fullTiles, partialWidth } of tileLevels(tree.size)) {
      if (partialWidth === 0) continue;
      try {
        await tree.tile(level, fullTiles);
      } catch (cause) {
        const index = fullTiles << BigInt(8 * (level + 1));
        throw damaged(index, `the tile at level ${level} from entry ${index} is missing or truncated`, cause);
      }
    }
    throw new TrailError(TRAIL_ERRORS.DAMAGED, "the trail's tiles do not hash to its checkpoint", { cause: error });
  }
}

function damaged(index: bigint, message: string, cause: unknown): TrailEntryError {
  return new TrailEntryError(TRAIL_ERRORS.DAMAGED, index, message, undefined, { cause });
}

const CHANGE_CODES = {
  rewritten: TRAIL_ERRORS.ENTRY_REWRITTEN,
  dropped: TRAIL_ERRORS.ENTRY_DROPPED,
  reordered: TRAIL_ERRORS.ENTRIES_REORDERED,
} as const;

/** Reads entry bundles checked against a tree whose root was verified, naming the entry at fault. */
class BundleReader {
  constructor(
    readonly store: LogStore,
    readonly tree: TiledTree,
    readonly root: Uint8Array,
  ) {}

  /**
   * The entries of bundle `b`, each checked against its tile.
   * @throws {TrailEntryError} naming the first entry that does not match, or TRAIL_DAMAGED.
   */
  async read(b: bigint): Promise<Uint8Array[]> {
    const first = b * W;
    const width = Number(this.tree.size - first < W ? this.tree.size - first : W);
    try {
      return await this.tree.entries(first, width);
    } catch (error) {
      if (!(error instanceof TlogError)) throw error;
      throw await this.#diagnose(b, width, error);
    }
  }

  /** Why bundle `b` failed: compares its entries with the hashes of its tile. */
  async #diagnose(b: bigint, width: number, cause: TlogError): Promise<TrailEntryError> {
    const first = b * W;
    let recorded: Uint8Array[];
    try {
      recorded = await this.tree.tile(0, b);
    } catch (error) {
      return damaged(first, `the tile of entries ${first}… is missing or truncated`, error);
    }
    // The inclusion proof of the tile's first hash covers every other hash of the tile: it
    // leads to the root only when the whole tile is as recorded.
    try {
      const proof = await this.tree.inclusionProof(first);
      verifyInclusion(first, this.tree.size, recorded[0] as Uint8Array, proof, this.root);
    } catch (error) {
      if (!(error instanceof TlogError)) throw error;
      return damaged(first, `the tile of entries ${first}… does not hash to the trail's checkpoint`, error);
    }
    const bytes =
      (await this.store.get(entryBundlePath(b, width))) ??
      (width < TILE_WIDTH ? await this.store.get(entryBundlePath(b)) : undefined);
    let present: Uint8Array[];
    try {
      if (bytes === undefined) throw cause;
      present = parseEntryBundle(bytes);
    } catch (error) {
      return damaged(first, `the entry bundle from entry ${first} is missing or truncated`, error);
    }
    const divergence = findDivergence(
      recorded,
      present.map((e) => hashLeaf(e)),
    );
    if (divergence === undefined) {
      return damaged(first, `the entry bundle from entry ${first} does not match its tile`, cause);
    }
    const index = first + BigInt(divergence.at);
    return new TrailEntryError(
      CHANGE_CODES[divergence.change],
      index,
      `entry ${index} was ${divergence.change} after it was recorded`,
      divergence.change,
      { cause },
    );
  }
}
