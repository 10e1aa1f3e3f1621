/**
 * The tlog-tiles layout of a tree: which tiles and entry bundles exist at a tree size,
 * where a Merkle node lives, and the byte formats of tiles (concatenated 32-byte hashes)
 * and entry bundles (big-endian uint16 length-prefixed entries).
 */
import { minBig } from "./bits.js";
import { toUint64 } from "./encoding.js";
import { TLOG_ERRORS, TlogError, usageError } from "./errors.js";
import { HASH_SIZE } from "./rfc6962.js";
import {
  type EntryBundleCoordinates,
  entryBundlePath,
  TILE_HEIGHT,
  TILE_WIDTH,
  type TileCoordinates,
} from "./tile-path.js";

/** The largest entry an entry bundle can hold (uint16 length prefix). */
export const MAX_ENTRY_SIZE = 0xffff;

const W = BigInt(TILE_WIDTH);

function uint64(value: bigint | number, what: string): bigint {
  const v = toUint64(value);
  if (v === undefined) throw usageError(`${what} ${String(value)} is not a uint64`);
  return v;
}

/** Number of hashes at tile level `level` in a tree of `size`: floor(size / 256^level). */
function hashesAtLevel(level: number, size: bigint): bigint {
  return size >> BigInt(TILE_HEIGHT * level);
}

/**
 * The width of tile (`level`, `index`) in a tree of `size` leaves: 256 when full, the
 * partial width, or 0 when the tile does not exist at that size.
 */
export function tileWidth(level: number, index: bigint | number, size: bigint | number): number {
  const count = hashesAtLevel(level, uint64(size, "tree size"));
  const start = uint64(index, "tile index") * W;
  if (count >= start + W) return TILE_WIDTH;
  return count > start ? Number(count - start) : 0;
}

/** The tiles of one level at a tree size: `fullTiles` full ones, then maybe a partial one. */
export interface TileLevel {
  readonly level: number;
  readonly fullTiles: bigint;
  /** Width of the partial tile after the full ones, 0 when there is none. */
  readonly partialWidth: number;
}

/**
 * Every level that has tiles at tree size `size`, bottom up. tlog-tiles: the partial tile
 * at level l has floor(size / 256^l) mod 256 hashes, and empty tiles do not exist.
 */
export function tileLevels(size: bigint | number): TileLevel[] {
  const n = uint64(size, "tree size");
  const levels: TileLevel[] = [];
  for (let level = 0; hashesAtLevel(level, n) > 0n; level++) {
    const count = hashesAtLevel(level, n);
    levels.push({ level, fullTiles: count / W, partialWidth: Number(count % W) });
  }
  return levels;
}

/** The partial tiles at tree size `size` (the right edge of the tree), bottom up. */
export function partialTiles(size: bigint | number): TileCoordinates[] {
  return tileLevels(size)
    .filter((l) => l.partialWidth > 0)
    .map((l) => ({ level: l.level, index: l.fullTiles, width: l.partialWidth }));
}

/** Where a Merkle node (`level`, `index`) lives: its tile, and its place inside the tile. */
export interface NodeLocation {
  readonly tileLevel: number;
  readonly tileIndex: bigint;
  /** The node's level inside the tile, 0..7 (0: one of the tile's hashes). */
  readonly nodeLevel: number;
  /** The node's index at `nodeLevel` inside the tile. */
  readonly nodeIndex: number;
}

/** The tile that holds (or lets one compute) the hash of the Merkle node (`level`, `index`). */
export function nodeLocation(level: number, index: bigint | number): NodeLocation {
  if (!Number.isInteger(level) || level < 0 || level >= 64) throw usageError(`node level ${level} is not 0..63`);
  const i = uint64(index, "node index");
  const nodeLevel = level % TILE_HEIGHT;
  const perTile = BigInt(TILE_HEIGHT - nodeLevel);
  return {
    tileLevel: Math.floor(level / TILE_HEIGHT),
    tileIndex: i >> perTile,
    nodeLevel,
    nodeIndex: Number(i & ((1n << perTile) - 1n)),
  };
}

/** The entry bundle holding entry `index` of a tree of `size` (full or partial). */
export function entryBundleFor(index: bigint | number, size: bigint | number): EntryBundleCoordinates {
  const i = uint64(index, "entry index");
  const n = uint64(size, "tree size");
  if (i >= n) throw usageError(`entry ${i} is not in a tree of ${n}`);
  const bundle = i / W;
  return { index: bundle, width: tileWidth(0, bundle, n) };
}

/** The path of the entry bundle holding entry `index` of a tree of `size`. */
export function entryBundlePathFor(index: bigint | number, size: bigint | number): string {
  const { index: bundle, width } = entryBundleFor(index, size);
  return entryBundlePath(bundle, width);
}

/** A slice of one entry bundle. */
export interface EntryBundleRange {
  /** The bundle index. */
  readonly bundle: bigint;
  /** The first wanted entry, as an offset in the bundle. */
  readonly first: number;
  /** How many entries are wanted from the bundle. */
  readonly count: number;
  /** The bundle's width at this tree size (256 when full). */
  readonly width: number;
}

/** The bundles and slices that hold entries [from, from + count) of a tree of `size`, clipped to it. */
export function entryBundleRanges(
  from: bigint | number,
  count: bigint | number,
  size: bigint | number,
): EntryBundleRange[] {
  const start = uint64(from, "first entry");
  const n = uint64(size, "tree size");
  const wanted = start + uint64(count, "entry count");
  const end = minBig(wanted, n);
  const out: EntryBundleRange[] = [];
  for (let i = start; i < end; ) {
    const bundle = i / W;
    const bundleEnd = minBig((bundle + 1n) * W, end);
    out.push({ bundle, first: Number(i - bundle * W), count: Number(bundleEnd - i), width: tileWidth(0, bundle, n) });
    i = bundleEnd;
  }
  return out;
}

/**
 * Splits tile bytes into `width` hashes.
 * @throws {TlogError} TLOG_BAD_TILE when the size is not width × 32 bytes.
 */
export function parseTile(bytes: Uint8Array, width: number): Uint8Array[] {
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH || bytes.length !== width * HASH_SIZE) {
    throw new TlogError(
      TLOG_ERRORS.BAD_TILE,
      `a tile of width ${width} is ${width * HASH_SIZE} bytes, not ${bytes.length}`,
    );
  }
  const hashes: Uint8Array[] = [];
  for (let i = 0; i < width; i++) hashes.push(bytes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
  return hashes;
}

/** The bytes of a tile: its hashes concatenated. */
export function encodeTile(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length < 1 || hashes.length > TILE_WIDTH)
    throw usageError(`a tile holds 1..256 hashes, not ${hashes.length}`);
  const out = new Uint8Array(hashes.length * HASH_SIZE);
  for (const [i, h] of hashes.entries()) {
    if (h.length !== HASH_SIZE) throw usageError("tile hashes are 32 bytes");
    out.set(h, i * HASH_SIZE);
  }
  return out;
}

/**
 * The bytes of an entry bundle: each entry prefixed with its big-endian uint16 length.
 * @throws {UsageError} for more than 256 entries or an entry over 65,535 bytes.
 */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  if (entries.length < 1 || entries.length > TILE_WIDTH)
    throw usageError(`a bundle holds 1..256 entries, not ${entries.length}`);
  let length = 0;
  for (const e of entries) {
    if (e.length > MAX_ENTRY_SIZE) throw usageError(`an entry is at most ${MAX_ENTRY_SIZE} bytes, not ${e.length}`);
    length += 2 + e.length;
  }
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const e of entries) {
    view.setUint16(offset, e.length, false);
    out.set(e, offset + 2);
    offset += 2 + e.length;
  }
  return out;
}

/**
 * Splits an entry bundle into its entries; with `width`, exactly that many are required.
 * @throws {TlogError} TLOG_BAD_TILE for truncated bytes or the wrong number of entries.
 */
export function parseEntryBundle(bytes: Uint8Array, width?: number): Uint8Array[] {
  const entries: Uint8Array[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0; offset < bytes.length; ) {
    if (entries.length === TILE_WIDTH)
      throw new TlogError(TLOG_ERRORS.BAD_TILE, "an entry bundle holds at most 256 entries");
    if (offset + 2 > bytes.length) throw new TlogError(TLOG_ERRORS.BAD_TILE, "truncated entry length");
    const length = view.getUint16(offset, false);
    if (offset + 2 + length > bytes.length) throw new TlogError(TLOG_ERRORS.BAD_TILE, "truncated entry");
    entries.push(bytes.subarray(offset + 2, offset + 2 + length));
    offset += 2 + length;
  }
  if (width !== undefined && entries.length !== width) {
    throw new TlogError(TLOG_ERRORS.BAD_TILE, `the entry bundle holds ${entries.length} entries, want ${width}`);
  }
  return entries;
}
