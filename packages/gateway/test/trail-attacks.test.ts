/**
 * The audit trail against the attacks on its record, each named after it. Two kinds of
 * attacker: one who edits the trail's folder without the trail key (the store's entries no
 * longer match its own signed checkpoint), and one who holds the key and signs a rewritten
 * history again (only a monitor's kept snapshot, or a second party's view, shows it).
 * Every attack is detected with a typed error naming the first entry at fault.
 */
import assert from "node:assert/strict";
import { readFileSync, truncateSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { TestLike } from "@bulwark/testkit";
import {
  encodeEntryBundle,
  encodeTile,
  entryBundlePath,
  hashLeaf,
  LogWriter,
  parseEntryBundle,
  parseTile,
  tilePath,
} from "@bulwark/tlog";
import {
  FolderTrailStore,
  formatTrailEntry,
  TRAIL_ERRORS,
  type TrailChange,
  TrailEntryError,
  type TrailErrorCode,
  type TrailOptions,
  type TrailSnapshot,
  verifyTrail,
} from "../src/index.js";
import { entries, entry, folderTrail, trailKey } from "./trail-fixtures.js";

/** Asserts that verifying `dir` fails with `code` naming entry `index`. */
async function assertDetected(
  dir: string,
  options: TrailOptions,
  code: TrailErrorCode,
  index: bigint,
  extra: { previous?: TrailSnapshot; change?: TrailChange } = {},
): Promise<void> {
  await assert.rejects(
    verifyTrail(new FolderTrailStore(dir), {
      ...options,
      ...(extra.previous === undefined ? {} : { previous: extra.previous }),
    }),
    (e: unknown) => {
      assert.ok(e instanceof TrailEntryError, String(e));
      assert.equal(e.code, code, e.message);
      assert.equal(e.index, index, e.message);
      if (extra.change !== undefined) assert.equal(e.change, extra.change);
      return true;
    },
  );
}

/** Rewrites the entry bundle `b` (at `width` entries) of the trail in `dir` with `edit`. */
function editBundle(dir: string, b: bigint, width: number | undefined, edit: (e: Uint8Array[]) => Uint8Array[]): void {
  const file = new FolderTrailStore(dir).pathOf(entryBundlePath(b, width));
  writeFileSync(file, encodeEntryBundle(edit(parseEntryBundle(readFileSync(file)))));
}

/** A trail of `history` and a monitor's snapshot of it. */
async function monitored(t: TestLike, history = entries(0, 20)) {
  const trail = await folderTrail(t, history);
  const { snapshot } = await verifyTrail(new FolderTrailStore(trail.dir), trail.options);
  assert.ok(snapshot);
  return { ...trail, snapshot };
}

/** The same trail key signing another history, in another folder: what a key holder can do. */
async function resigned(t: TestLike, options: TrailOptions, history: ReturnType<typeof entries>) {
  return (await folderTrail(t, history, options)).dir;
}

const other = formatTrailEntry({ ...entry(5), actor: { kind: "user", id: "mallory" }, action: "release.approved" });

describe("trail attacks without the trail key (the folder edited)", () => {
  it("detects a rewritten entry (TRAIL_ENTRY_REWRITTEN names it)", async (t) => {
    const { dir, options } = await folderTrail(t, entries(0, 20));
    editBundle(dir, 0n, 20, (e) => e.map((x, i) => (i === 5 ? other : x)));
    await assertDetected(dir, options, TRAIL_ERRORS.ENTRY_REWRITTEN, 5n);
  });

  it("detects a rewritten entry in a full bundle, deep in the trail", async (t) => {
    const { dir, options } = await folderTrail(t, entries(0, 300), trailKey(), 100);
    editBundle(dir, 0n, undefined, (e) => e.map((x, i) => (i === 200 ? other : x)));
    await assertDetected(dir, options, TRAIL_ERRORS.ENTRY_REWRITTEN, 200n);
  });

  it("detects a rewritten entry whose tile was recomputed to match (TRAIL_DAMAGED at its bundle)", async (t) => {
    const { dir, options } = await folderTrail(t, entries(0, 300), trailKey(), 100);
    let bundle: Uint8Array[] = [];
    editBundle(dir, 0n, undefined, (e) => {
      bundle = e.map((x, i) => (i === 200 ? other : x));
      return bundle;
    });
    writeFileSync(new FolderTrailStore(dir).pathOf(tilePath(0, 0n)), encodeTile(bundle.map((e) => hashLeaf(e))));
    await assertDetected(dir, options, TRAIL_ERRORS.DAMAGED, 0n);
  });

  it("detects a rewritten entry on the right edge whose tile was recomputed (TRAIL_DAMAGED)", async (t) => {
    const { dir, options } = await folderTrail(t, entries(0, 20));
    let bundle: Uint8Array[] = [];
    editBundle(dir, 0n, 20, (e) => {
      bundle = e.map((x, i) => (i === 5 ? other : x));
      return bundle;
    });
    writeFileSync(new FolderTrailStore(dir).pathOf(tilePath(0, 0n, 20)), encodeTile(bundle.map((e) => hashLeaf(e))));
    await assert.rejects(verifyTrail(new FolderTrailStore(dir), options), { code: TRAIL_ERRORS.DAMAGED });
  });

  it("detects a dropped entry (TRAIL_ENTRY_DROPPED names it)", async (t) => {
    const { dir, options } = await folderTrail(t, entries(0, 20));
    editBundle(dir, 0n, 20, (e) => e.filter((_, i) => i !== 7));
    await assertDetected(dir, options, TRAIL_ERRORS.ENTRY_DROPPED, 7n);
  });

  it("detects a reordered pair (TRAIL_ENTRIES_REORDERED names the first)", async (t) => {
    const { dir, options } = await folderTrail(t, entries(0, 20));
    editBundle(dir, 0n, 20, (e) =>
      e.map((x, i) => (i === 3 ? (e[4] as Uint8Array) : i === 4 ? (e[3] as Uint8Array) : x)),
    );
    await assertDetected(dir, options, TRAIL_ERRORS.ENTRIES_REORDERED, 3n);
  });

  it("detects a truncated tile (TRAIL_DAMAGED names the first entry it covers)", async (t) => {
    const { dir, options } = await folderTrail(t, entries(0, 300), trailKey(), 100);
    const store = new FolderTrailStore(dir);
    assert.equal(parseTile(readFileSync(store.pathOf(tilePath(0, 0n))), 256).length, 256);
    truncateSync(store.pathOf(tilePath(0, 0n)), 100);
    await assertDetected(dir, options, TRAIL_ERRORS.DAMAGED, 0n);
  });

  it("detects a truncated tile on the trail's right edge", async (t) => {
    const { dir, options } = await folderTrail(t, entries(0, 300), trailKey(), 100);
    truncateSync(new FolderTrailStore(dir).pathOf(tilePath(0, 1n, 44)), 40);
    await assertDetected(dir, options, TRAIL_ERRORS.DAMAGED, 256n);
  });

  it("detects a truncated entry bundle", async (t) => {
    const { dir, options } = await folderTrail(t, entries(0, 300), trailKey(), 100);
    truncateSync(new FolderTrailStore(dir).pathOf(entryBundlePath(1n, 44)), 50);
    await assertDetected(dir, options, TRAIL_ERRORS.DAMAGED, 256n);
  });
});

describe("trail attacks with the trail key (a history signed again), seen by a monitor", () => {
  it("detects a rewritten entry (TRAIL_FORKED, rewritten, names it)", async (t) => {
    const { options, snapshot } = await monitored(t);
    const history = entries(0, 25);
    history[5] = { ...entry(5), actor: { kind: "user", id: "mallory" } };
    const dir = await resigned(t, options, history);
    // On its own the rewritten trail is self-consistent: only the kept snapshot shows it.
    await verifyTrail(new FolderTrailStore(dir), options);
    await assertDetected(dir, options, TRAIL_ERRORS.FORKED, 5n, { previous: snapshot, change: "rewritten" });
  });

  it("detects a dropped entry (TRAIL_FORKED, dropped, names it)", async (t) => {
    const { options, snapshot } = await monitored(t);
    const dir = await resigned(
      t,
      options,
      entries(0, 25).filter((_, i) => i !== 7),
    );
    await assertDetected(dir, options, TRAIL_ERRORS.FORKED, 7n, { previous: snapshot, change: "dropped" });
  });

  it("detects the newest entries dropped (a trail cut short and signed again)", async (t) => {
    const { options, snapshot } = await monitored(t);
    const dir = await resigned(t, options, entries(0, 15));
    await assertDetected(dir, options, TRAIL_ERRORS.FORKED, 15n, { previous: snapshot, change: "dropped" });
  });

  it("detects a reordered pair (TRAIL_FORKED, reordered, names the first)", async (t) => {
    const { options, snapshot } = await monitored(t);
    const history = entries(0, 20);
    [history[3], history[4]] = [history[4] as (typeof history)[number], history[3] as (typeof history)[number]];
    const dir = await resigned(t, options, history);
    await assertDetected(dir, options, TRAIL_ERRORS.FORKED, 3n, { previous: snapshot, change: "reordered" });
  });

  it("detects a forked checkpoint (split view: two parties shown two trails of one size)", async (t) => {
    // The monitor was shown one history; the dashboard is shown another of the same size.
    const { options, snapshot } = await monitored(t);
    const dir = await resigned(t, options, [...entries(0, 10), ...entries(100, 10)]);
    const shown = await verifyTrail(new FolderTrailStore(dir), options);
    assert.equal(shown.checkpoint.checkpoint.size, 20n);
    await assertDetected(dir, options, TRAIL_ERRORS.FORKED, 10n, { previous: snapshot, change: "rewritten" });
  });

  it("detects a foreign entry signed into the trail (TRAIL_BAD_ENTRY names it)", async (t) => {
    const { dir, options } = await folderTrail(t, entries(0, 4));
    const writer = await LogWriter.open(new FolderTrailStore(dir), options);
    await writer.append([new TextEncoder().encode('{"approved":"everything"}')]);
    await assertDetected(dir, options, TRAIL_ERRORS.BAD_ENTRY, 4n);
  });

  it("accepts an honest trail that only grew, and refuses a snapshot whose hashes do not match it", async (t) => {
    const { dir, trail, options, snapshot } = await monitored(t);
    await trail.append(entries(20, 5));
    assert.equal((await verifyTrail(new FolderTrailStore(dir), { ...options, previous: snapshot })).count, 5n);
    const tampered = { ...snapshot, leafHashes: [...snapshot.leafHashes].reverse() };
    await assert.rejects(verifyTrail(new FolderTrailStore(dir), { ...options, previous: tampered }), {
      code: "TRAIL_USAGE",
    });
  });
});
