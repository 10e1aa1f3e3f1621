/**
 * A Merkle tree of a given size read from tlog-tiles: node hashes, the root, inclusion and
 * consistency proofs, and an audit that verifies every tile and entry bundle against the
 * root of a checkpoint. Tiles come from an untrusted store; nothing read here is trusted
 * until it leads to a root that a verified checkpoint signed.
 */
import { bytesEqual, toUint64 } from "./encoding.js";
import { TLOG_ERRORS, TlogError, usageError } from "./errors.js";
import { type NodeId, type NodeReader, proofNodes, proveConsistency, proveInclusion, treeRoot } from "./merkle-tree.js";
import { hashChildren, hashLeaf } from "./rfc6962.js";
import type { LogStore } from "./store.js";
import { entryBundlePath, TILE_WIDTH, tilePath } from "./tile-path.js";
import { entryBundleRanges, nodeLocation, parseEntryBundle, parseTile, tileLevels, tileWidth } from "./tiles.js";

/** The hash of the perfect subtree of 2^nodeLevel tile hashes at `nodeIndex` inside a tile. */
export function tileNodeHash(hashes: readonly Uint8Array[], nodeLevel: number, nodeIndex: number): Uint8Array {
  const count = 1 << nodeLevel;
  const start = nodeIndex * count;
  if (start + count > hashes.length) throw usageError(`node ${nodeIndex} at level ${nodeLevel} is beyond the tile`);
  let row = hashes.slice(start, start + count);
  while (row.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < row.length; i += 2) next.push(hashChildren(row[i] as Uint8Array, row[i + 1] as Uint8Array));
    row = next;
  }
  return row[0] as Uint8Array;
}

/** What {@link TiledTree.audit} checked. */
export interface TreeAudit {
  /** Tiles read and verified. */
  readonly tiles: number;
  /** Entry bundles read and verified. */
  readonly bundles: number;
}

/** The tree of `size` leaves of a tiled log. */
export class TiledTree {
  readonly size: bigint;
  readonly #tiles = new Map<string, Uint8Array[]>();
  readonly #verified = new Set<string>();
  #root: Uint8Array | undefined;

  /** @throws {UsageError} for a size that is not a uint64. */
  constructor(
    readonly store: LogStore,
    size: bigint | number,
  ) {
    const n = toUint64(size);
    if (n === undefined) throw usageError(`tree size ${String(size)} is not a uint64`);
    this.size = n;
  }

  /**
   * The hashes of tile (`level`, `index`) at this tree size, kept for later node reads.
   * @throws {TlogError} TLOG_MISSING_TILE, TLOG_BAD_TILE
   */
  async tile(level: number, index: bigint): Promise<Uint8Array[]> {
    const key = `${level}/${index}`;
    const cached = this.#tiles.get(key);
    if (cached !== undefined) return cached;
    const hashes = await this.#fetchTile(level, index);
    this.#tiles.set(key, hashes);
    return hashes;
  }

  /**
   * Reads a tile at its width for this size. A missing partial tile is read from the full
   * tile instead, which tlog-tiles lets logs keep in its place.
   */
  async #fetchTile(level: number, index: bigint): Promise<Uint8Array[]> {
    const width = tileWidth(level, index, this.size);
    if (width === 0) throw usageError(`tile ${level}/${index} is not in a tree of ${this.size}`);
    const path = tilePath(level, index, width);
    const bytes = await this.store.get(path);
    if (bytes !== undefined) return parseTile(bytes, width);
    const full = width < TILE_WIDTH ? await this.store.get(tilePath(level, index)) : undefined;
    if (full === undefined) throw new TlogError(TLOG_ERRORS.MISSING_TILE, `missing ${path}`);
    return parseTile(full, TILE_WIDTH).slice(0, width);
  }

  /** Reads every tile that `nodes` live in. */
  async load(nodes: readonly NodeId[]): Promise<void> {
    const wanted = new Map<string, { level: number; index: bigint }>();
    for (const node of nodes) {
      const loc = nodeLocation(node.level, node.index);
      wanted.set(`${loc.tileLevel}/${loc.tileIndex}`, { level: loc.tileLevel, index: loc.tileIndex });
    }
    await Promise.all([...wanted.values()].map((t) => this.tile(t.level, t.index)));
  }

  /** A {@link NodeReader} over the tiles loaded so far. */
  readonly read: NodeReader = (level, index) => {
    const loc = nodeLocation(level, index);
    const hashes = this.#tiles.get(`${loc.tileLevel}/${loc.tileIndex}`);
    if (hashes === undefined) throw usageError(`tile ${loc.tileLevel}/${loc.tileIndex} is not loaded`);
    return tileNodeHash(hashes, loc.nodeLevel, loc.nodeIndex);
  };

  async #compute<T>(compute: (read: NodeReader) => T): Promise<T> {
    await this.load(proofNodes(compute));
    return compute(this.read);
  }

  /** The root hash computed from the tiles (unverified until compared with a checkpoint). */
  root(): Promise<Uint8Array> {
    return this.#compute((read) => treeRoot(this.size, read));
  }

  /** The inclusion proof of entry `index`, built from the tiles. */
  inclusionProof(index: bigint | number): Promise<Uint8Array[]> {
    return this.#compute((read) => proveInclusion(index, this.size, read));
  }

  /** The consistency proof from the tree of `oldSize` to this tree, built from the tiles. */
  consistencyProof(oldSize: bigint | number): Promise<Uint8Array[]> {
    return this.#compute((read) => proveConsistency(oldSize, this.size, read));
  }

  /**
   * Checks the tiles of the right edge against `root` (a checkpoint's root): afterwards
   * {@link TiledTree.entries} can check any tile up to them.
   * @throws {TlogError} TLOG_BAD_TILE when the tiles do not hash to `root`.
   */
  async verifyRoot(root: Uint8Array): Promise<void> {
    if (!bytesEqual(await this.root(), root)) throw badTile("the tiles do not hash to the checkpoint's root");
    this.#root = root;
  }

  /** A tile whose hashes are tied to the verified root: a partial tile of the edge, or a full tile whose hash is in a verified parent. */
  async #verifiedTile(level: number, index: bigint): Promise<Uint8Array[]> {
    if (this.#root === undefined) throw usageError("call verifyRoot first");
    const key = `${level}/${index}`;
    const hashes = await this.tile(level, index);
    if (hashes.length < TILE_WIDTH || this.#verified.has(key)) return hashes;
    const parent = await this.#verifiedTile(level + 1, index >> 8n);
    if (!bytesEqual(tileNodeHash(hashes, 8, 0), parent[Number(index & 255n)] as Uint8Array)) {
      throw badTile(`tile ${level}/${index} does not hash to its parent`);
    }
    this.#verified.add(key);
    return hashes;
  }

  /**
   * The entries [from, from + count) of the tree, each checked against a level-0 tile
   * tied to the root given to {@link TiledTree.verifyRoot}.
   * @throws {TlogError} TLOG_BAD_TILE, TLOG_MISSING_TILE
   * @throws {UsageError} before verifyRoot, or for a range beyond the tree.
   */
  async entries(from: bigint | number, count: number): Promise<Uint8Array[]> {
    const start = toUint64(from);
    if (start === undefined || !Number.isSafeInteger(count) || count < 0 || start + BigInt(count) > this.size) {
      throw usageError(`entries [${String(from)}, +${count}) are not in a tree of ${this.size}`);
    }
    const out: Uint8Array[] = [];
    for (const range of entryBundleRanges(start, count, this.size)) {
      const entries = await this.#bundle(range.bundle, await this.#verifiedTile(0, range.bundle));
      out.push(...entries.slice(range.first, range.first + range.count));
    }
    return out;
  }

  async #bundle(index: bigint, hashes: readonly Uint8Array[]): Promise<Uint8Array[]> {
    const path = entryBundlePath(index, hashes.length);
    let bytes = await this.store.get(path);
    let entries: Uint8Array[] | undefined;
    if (bytes === undefined && hashes.length < TILE_WIDTH) {
      bytes = await this.store.get(entryBundlePath(index));
      if (bytes !== undefined) entries = parseEntryBundle(bytes, TILE_WIDTH).slice(0, hashes.length);
    }
    if (bytes === undefined) throw new TlogError(TLOG_ERRORS.MISSING_TILE, `missing ${path}`);
    entries ??= parseEntryBundle(bytes, hashes.length);
    for (const [i, entry] of entries.entries()) {
      if (!bytesEqual(hashLeaf(entry), hashes[i] as Uint8Array))
        throw badTile(`entry ${i} of ${path} does not match its tile`);
    }
    return entries;
  }

  /**
   * Verifies every tile of the tree (and, with `entries`, every entry bundle) against
   * `root`: each full tile hashes to its slot in the tile above, and the partial tiles of the
   * right edge hash to the root.
   * @throws {TlogError} TLOG_BAD_TILE, TLOG_MISSING_TILE
   */
  async audit(root: Uint8Array, options: { entries?: boolean } = {}): Promise<TreeAudit> {
    const counts = { tiles: 0, bundles: 0 };
    const visit = async (level: number, index: bigint, edge: boolean): Promise<Uint8Array[]> => {
      // Only the right edge is kept in memory (the root needs it); full tiles are streamed.
      const hashes = edge ? await this.tile(level, index) : await this.#fetchTile(level, index);
      counts.tiles++;
      if (level === 0 && options.entries) {
        await this.#bundle(index, hashes);
        counts.bundles++;
      }
      if (level > 0) {
        for (const [j, hash] of hashes.entries()) {
          const child = await visit(level - 1, index * BigInt(TILE_WIDTH) + BigInt(j), false);
          if (!bytesEqual(tileNodeHash(child, 8, 0), hash)) {
            throw badTile(`tile ${level - 1}/${index * BigInt(TILE_WIDTH) + BigInt(j)} does not hash to its parent`);
          }
        }
      }
      return hashes;
    };
    // Every full tile hangs below a partial tile of the right edge.
    for (const { level, fullTiles, partialWidth } of tileLevels(this.size)) {
      if (partialWidth > 0) await visit(level, fullTiles, true);
    }
    await this.verifyRoot(root);
    return counts;
  }
}

function badTile(message: string): TlogError {
  return new TlogError(TLOG_ERRORS.BAD_TILE, message);
}
