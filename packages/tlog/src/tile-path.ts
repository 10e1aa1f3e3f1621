/**
 * c2sp.org/tlog-tiles resource paths: `tile/<L>/<N>[.p/<W>]` for Merkle tree tiles and
 * `tile/entries/<N>[.p/<W>]` for entry bundles. N is written in zero-padded 3-digit path
 * elements, all but the last prefixed with `x` (1234067 is `x001/x234/067`); `.p/<W>`
 * marks a partial tile of width W (1..255). Paths are plain relative keys, so the same
 * layout serves from a folder, a web server or an object store.
 */
import { MAX_UINT64, toUint64 } from "./encoding.js";
import { TLOG_ERRORS, TlogError, usageError } from "./errors.js";

/** Tiles are 2^8 hashes wide (tlog-tiles fixes the height at 8). */
export const TILE_HEIGHT = 8;
/** Hashes in a full tile, and entries in a full bundle. */
export const TILE_WIDTH = 256;
/** The highest tile level. */
export const MAX_TILE_LEVEL = 63;

/** A Merkle tree tile: `width` hashes (256 for a full tile) at `level`, tile `index`. */
export interface TileCoordinates {
  readonly level: number;
  readonly index: bigint;
  readonly width: number;
}

/** An entry bundle: `width` entries (256 for a full bundle), bundle `index`. */
export interface EntryBundleCoordinates {
  readonly index: bigint;
  readonly width: number;
}

/** A parsed resource path. */
export type TileResource =
  | ({ readonly kind: "tile" } & TileCoordinates)
  | ({ readonly kind: "entries" } & EntryBundleCoordinates);

/** The N element of a path: 3-digit groups, all but the last prefixed with `x`. */
export function encodeTileIndex(index: bigint): string {
  if (index < 0n || index > MAX_UINT64) throw usageError(`tile index ${index} is not a uint64`);
  const groups: string[] = [];
  let n = index;
  do {
    groups.unshift((n % 1000n).toString().padStart(3, "0"));
    n /= 1000n;
  } while (n > 0n);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join("/");
}

function toIndex(index: bigint | number): bigint {
  const v = toUint64(index);
  if (v === undefined) throw usageError(`tile index ${String(index)} is not a uint64`);
  return v;
}

function checkWidth(width: number): void {
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH)
    throw usageError(`tile width ${width} is not 1..256`);
}

function suffix(width: number): string {
  return width === TILE_WIDTH ? "" : `.p/${width}`;
}

/**
 * The path of a Merkle tree tile.
 * @throws {UsageError} for a level outside 0..63, an index beyond uint64 or a width outside 1..256.
 */
export function tilePath(level: number, index: bigint | number, width: number = TILE_WIDTH): string {
  if (!Number.isInteger(level) || level < 0 || level > MAX_TILE_LEVEL)
    throw usageError(`tile level ${level} is not 0..63`);
  checkWidth(width);
  return `tile/${level}/${encodeTileIndex(toIndex(index))}${suffix(width)}`;
}

/**
 * The path of an entry bundle.
 * @throws {UsageError} for an index beyond uint64 or a width outside 1..256.
 */
export function entryBundlePath(index: bigint | number, width: number = TILE_WIDTH): string {
  checkWidth(width);
  return `tile/entries/${encodeTileIndex(toIndex(index))}${suffix(width)}`;
}

function bad(path: string, why: string): TlogError {
  return new TlogError(TLOG_ERRORS.BAD_TILE_PATH, `${JSON.stringify(path.slice(0, 200))} is not a tile path: ${why}`);
}

const LEVEL = /^(?:0|[1-9][0-9]?)$/;
const WIDTH = /^[1-9][0-9]{0,2}$/;
const INNER_GROUP = /^x[0-9]{3}$/;
const LAST_GROUP = /^([0-9]{3})(\.p)?$/;

/**
 * Parses a tile or entry-bundle path. Only the canonical encoding is accepted (no leading
 * zero groups or digits), so one resource has one path.
 * @throws {TlogError} TLOG_BAD_TILE_PATH
 */
export function parseTilePath(path: string): TileResource {
  const parts = path.split("/");
  if (parts[0] !== "tile" || parts.length < 3) throw bad(path, "expected tile/<L>/<N>");
  const levelPart = parts[1] as string;
  const isEntries = levelPart === "entries";
  if (!isEntries && !LEVEL.test(levelPart)) throw bad(path, "bad level");
  const level = isEntries ? -1 : Number(levelPart);
  if (level > MAX_TILE_LEVEL) throw bad(path, "level above 63");

  let rest = parts.slice(2);
  let width = TILE_WIDTH;
  const lastIndexPart = rest.findIndex((p) => !INNER_GROUP.test(p));
  if (lastIndexPart < 0) throw bad(path, "missing the last index element");
  const match = LAST_GROUP.exec(rest[lastIndexPart] as string);
  if (match === null) throw bad(path, "bad index element");
  if (match[2] !== undefined) {
    // `.p/<W>`: exactly one more element, the width.
    if (rest.length !== lastIndexPart + 2) throw bad(path, "a partial tile ends in .p/<W>");
    const w = rest[lastIndexPart + 1] as string;
    if (!WIDTH.test(w) || Number(w) >= TILE_WIDTH) throw bad(path, "width is not 1..255");
    width = Number(w);
  } else if (rest.length !== lastIndexPart + 1) {
    throw bad(path, "trailing elements");
  }
  rest = rest.slice(0, lastIndexPart);
  const digits = [...rest.map((p) => p.slice(1)), match[1] as string].join("");
  if (rest.length > 0 && rest[0] === "x000") throw bad(path, "leading zero group");
  const index = BigInt(digits);
  if (index > MAX_UINT64) throw bad(path, "index beyond uint64");
  return isEntries ? { kind: "entries", index, width } : { kind: "tile", level, index, width };
}
