/**
 * c2sp.org/tlog-tiles paths and layout against ../shared/vectors/tlog-tiles/paths.json:
 * tile and entry-bundle paths, parsing, node locations, bundle ranges and the tiles that
 * exist at a tree size. The sumdb rows (Go checksum database, tile height in the path) are
 * another format; only their C2SP restatements (adaptedFromSumdb) are checked.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { describeVectors, readVectorJson, SKIP_VECTORS } from "@bulwark/testkit";
import {
  entryBundlePath,
  entryBundlePathFor,
  entryBundleRanges,
  nodeLocation,
  parseTilePath,
  partialTiles,
  TLOG_ERRORS,
  TlogError,
  tileLevels,
  tilePath,
} from "../src/index.js";

const skip = SKIP_VECTORS;

interface Paths {
  c2sp: {
    encodeTile: { level: number; index: string; width: number; path: string }[];
    encodeEntries: { index: string; width: number; path: string }[];
    entriesForLogIndex: { index: string; treeSize: string; path: string }[];
    parse: { path: string; valid: boolean; level?: number | "entries"; index?: string; width?: number }[];
    nodeToTile: {
      treeLevel: number;
      treeIndex: string;
      tileLevel: number;
      tileIndex: string;
      nodeLevel: number;
      nodeIndex: number;
    }[];
    entryRanges: {
      desc: string;
      from: number;
      n: number;
      treeSize: number;
      want: { bundleIndex: number; first: number; n: number; partialWidth: number }[];
    }[];
    tilesForTreeSize: {
      treeSize: number;
      fullTilesPerLevel: number[];
      partialTiles: { level: number; index: string; width: number; path: string }[];
      entryBundles: { full: number; partialWidth: number };
    }[];
  };
  adaptedFromSumdb: { sumdbPath: string; c2spPath: string; valid: boolean }[];
}

const v = skip ? undefined : readVectorJson<Paths>("tlog-tiles", "paths.json");
const c2sp = () => (v as Paths).c2sp;
/** The vectors write a full tile's width as 0; the API uses 256. */
const width = (w: number) => (w === 0 ? 256 : w);

describeVectors("tlog-tiles paths (c2sp rows)", () => {
  it("encodes tile paths (6) and entry-bundle paths (5)", () => {
    assert.equal(c2sp().encodeTile.length, 6);
    for (const c of c2sp().encodeTile) assert.equal(tilePath(c.level, BigInt(c.index), width(c.width)), c.path);
    assert.equal(c2sp().encodeEntries.length, 5);
    for (const c of c2sp().encodeEntries) assert.equal(entryBundlePath(BigInt(c.index), width(c.width)), c.path);
  });

  it("finds the bundle of a log index (7)", () => {
    assert.equal(c2sp().entriesForLogIndex.length, 7);
    for (const c of c2sp().entriesForLogIndex) {
      assert.equal(entryBundlePathFor(BigInt(c.index), BigInt(c.treeSize)), c.path, `${c.index}/${c.treeSize}`);
    }
  });

  it("parses the 24 path rows, and re-encodes the valid ones", () => {
    assert.equal(c2sp().parse.length, 24);
    for (const c of c2sp().parse) {
      if (!c.valid) {
        assert.throws(
          () => parseTilePath(c.path),
          (e: unknown) => e instanceof TlogError && e.code === TLOG_ERRORS.BAD_TILE_PATH,
          c.path,
        );
        continue;
      }
      const got = parseTilePath(c.path);
      assert.equal(got.index.toString(), c.index, c.path);
      assert.equal(got.width, width(c.width ?? 0), c.path);
      if (c.level === "entries") {
        assert.equal(got.kind, "entries");
        assert.equal(entryBundlePath(got.index, got.width), c.path);
      } else {
        assert.equal(got.kind, "tile");
        assert.equal(got.kind === "tile" ? got.level : -1, c.level, c.path);
        assert.equal(tilePath(c.level as number, got.index, got.width), c.path);
      }
    }
  });

  it("locates Merkle nodes in tiles (6)", () => {
    assert.equal(c2sp().nodeToTile.length, 6);
    for (const c of c2sp().nodeToTile) {
      const loc = nodeLocation(c.treeLevel, BigInt(c.treeIndex));
      assert.deepEqual(
        { ...loc, tileIndex: loc.tileIndex.toString() },
        { tileLevel: c.tileLevel, tileIndex: c.tileIndex, nodeLevel: c.nodeLevel, nodeIndex: c.nodeIndex },
      );
    }
  });

  it("splits entry ranges into bundles (9)", () => {
    assert.equal(c2sp().entryRanges.length, 9);
    for (const c of c2sp().entryRanges) {
      const got = entryBundleRanges(c.from, c.n, c.treeSize).map((r) => ({
        bundleIndex: Number(r.bundle),
        first: r.first,
        n: r.count,
        partialWidth: r.width === 256 ? 0 : r.width,
      }));
      assert.deepEqual(got, c.want, c.desc);
    }
  });

  it("lists the tiles of a tree size, including the spec's 70,000 and 256 examples (8)", () => {
    assert.equal(c2sp().tilesForTreeSize.length, 8);
    for (const c of c2sp().tilesForTreeSize) {
      const levels = tileLevels(c.treeSize);
      assert.deepEqual(
        levels.map((l) => Number(l.fullTiles)),
        c.fullTilesPerLevel,
        `${c.treeSize}`,
      );
      assert.deepEqual(
        partialTiles(c.treeSize).map((t) => ({
          ...t,
          index: t.index.toString(),
          path: tilePath(t.level, t.index, t.width),
        })),
        c.partialTiles,
        `${c.treeSize}`,
      );
      const level0 = levels[0];
      assert.deepEqual(
        { full: Number(level0?.fullTiles ?? 0n), partialWidth: level0?.partialWidth ?? 0 },
        c.entryBundles,
        `${c.treeSize}`,
      );
    }
  });

  it("parses the sumdb rows restated as C2SP paths (adaptedFromSumdb, 8)", () => {
    const rows = (v as Paths).adaptedFromSumdb;
    assert.equal(rows.length, 8);
    for (const r of rows) {
      if (r.valid) assert.doesNotThrow(() => parseTilePath(r.c2spPath), r.c2spPath);
      else assert.throws(() => parseTilePath(r.c2spPath), { code: TLOG_ERRORS.BAD_TILE_PATH });
    }
  });

  it("sumdb rows (8 paths, 7 NewTiles counts)", {
    skip: "Go checksum-database tiles (tile/<H>/<L>/<N>, data tiles) are another format; Bulwark serves C2SP tiles only",
  }, () => {});

  it("refuses non-canonical and out-of-range paths", () => {
    for (const p of [
      "tile/0/x000/001",
      "tile/0/001/",
      "tile/entries/001.p/256",
      "tile/0/1",
      "tile/0/001.p/1/2",
      "tiles/0/001",
    ]) {
      assert.throws(() => parseTilePath(p), { code: TLOG_ERRORS.BAD_TILE_PATH }, p);
    }
    assert.throws(() => tilePath(64, 0n), { code: "TLOG_USAGE" });
    assert.throws(() => tilePath(0, 0n, 0), { code: "TLOG_USAGE" });
    assert.throws(() => tilePath(0, -1), { code: "TLOG_USAGE" });
  });
});
