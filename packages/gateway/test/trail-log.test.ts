/**
 * The audit trail end to end in a folder: append, verify, prove an entry, keep a monitor's
 * snapshot between runs, serialise appenders, and have a witness cosign over loopback.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { serveFiles, tempDir } from "@bulwark/testkit";
import {
  generateKey,
  HttpLogStore,
  listenWitness,
  MemoryWitnessState,
  parseCosignatureVerifierKey,
  parseCosignerKey,
  witness as policyWitness,
  TlogWitness,
} from "@bulwark/tlog";
import {
  FolderTrailStore,
  readTrailSnapshot,
  TRAIL_ERRORS,
  TRAIL_LOCK_FILE,
  Trail,
  type TrailEntry,
  TrailError,
  verifyTrail,
  verifyTrailEntryProof,
  writeTrailSnapshot,
} from "../src/index.js";
import { entries, folderTrail, ORIGIN, trailKey } from "./trail-fixtures.js";

describe("the audit trail", () => {
  it("round-trips: every appended entry is read back, verified, in order", async (t) => {
    const history = entries(0, 300);
    const { dir, options } = await folderTrail(t, history, trailKey(), 70);
    // The folder holds the tile layout tlog writes: servable as a log.
    assert.deepEqual(readdirSync(dir).sort(), ["checkpoint", "tile"]);
    const seen: TrailEntry[] = [];
    const result = await verifyTrail(new FolderTrailStore(dir), {
      ...options,
      onEntry: (index, e) => {
        assert.equal(index, BigInt(seen.length));
        seen.push(e);
      },
    });
    assert.equal(result.checkpoint.checkpoint.size, 300n);
    assert.equal(result.count, 300n);
    assert.deepEqual(seen, history);
    assert.equal(result.snapshot?.leafHashes.length, 300);
  });

  it("verifies an empty trail, and a monitor's snapshot of it", async (t) => {
    const { dir, options } = await folderTrail(t, []);
    const empty = await verifyTrail(new FolderTrailStore(dir), options);
    assert.equal(empty.count, 0n);
    assert.ok(empty.snapshot);
    const again = await verifyTrail(new FolderTrailStore(dir), { ...options, previous: empty.snapshot });
    assert.deepEqual(again.snapshot?.leafHashes, []);
  });

  it("verifies the folder served over loopback HTTP, as a monitor elsewhere reads it", async (t) => {
    const history = entries(0, 270);
    const { dir, options } = await folderTrail(t, history, trailKey(), 90);
    const files = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((f) => f.isFile())
      .map((f) => {
        const file = path.join(f.parentPath, f.name);
        return { path: path.relative(dir, file).split(path.sep).join("/"), data: new Uint8Array(readFileSync(file)) };
      });
    const server = await serveFiles(files);
    t.after(() => server.close());
    const seen: TrailEntry[] = [];
    const result = await verifyTrail(new HttpLogStore(server.url), {
      ...options,
      onEntry: (_, e) => void seen.push(e),
    });
    assert.deepEqual(seen, history);
    assert.equal(result.snapshot?.leafHashes.length, 270);
  });

  it("reopens a trail from its folder and goes on appending", async (t) => {
    const { dir, options } = await folderTrail(t, entries(0, 5));
    const reopened = await Trail.folder(dir, options);
    const appended = await reopened.append(entries(5, 3));
    assert.equal(appended.firstIndex, 5n);
    assert.equal(appended.size, 8n);
    assert.equal((await verifyTrail(new FolderTrailStore(dir), options)).count, 8n);
  });

  it("refuses a trail signed by another key", async (t) => {
    const { dir } = await folderTrail(t, entries(0, 3));
    await assert.rejects(Trail.folder(dir, trailKey()), { code: TRAIL_ERRORS.BAD_CHECKPOINT });
    await assert.rejects(verifyTrail(new FolderTrailStore(dir), trailKey()), { code: TRAIL_ERRORS.BAD_CHECKPOINT });
  });

  it("proves each entry was recorded, and the proof fails for any other entry", async (t) => {
    const history = entries(0, 260);
    const { trail, options } = await folderTrail(t, history, trailKey(), 100);
    for (const index of [0n, 7n, 255n, 256n, 259n]) {
      const proof = await trail.proof(index);
      const verified = verifyTrailEntryProof(proof.proof, options);
      assert.equal(verified.index, index);
      assert.deepEqual(verified.entry, history[Number(index)]);
      assert.equal(verified.checkpoint.checkpoint.size, 260n);
    }
    const proof = (await trail.proof(3n)).proof;
    const forged = proof.replace(/^(c2sp\.org\/tlog-proof@v1\nextra )(\S+)/m, (_, head: string, extra: string) => {
      const other = Buffer.from(extra, "base64").toString().replace("acme/app@1.0.3", "acme/app@6.6.6");
      return `${head}${Buffer.from(other).toString("base64")}`;
    });
    assert.notEqual(forged, proof);
    assert.throws(() => verifyTrailEntryProof(forged, options), { code: TRAIL_ERRORS.BAD_PROOF });
    assert.throws(() => verifyTrailEntryProof(proof, trailKey()), { code: TRAIL_ERRORS.BAD_CHECKPOINT });
    await assert.rejects(trail.proof(260n), { code: "TRAIL_USAGE" });
  });

  it("a monitor verifies only what is new, from the snapshot it kept", async (t) => {
    const { dir, trail, options } = await folderTrail(t, entries(0, 20));
    const state = tempDir(t, "bulwark-trail-monitor-");
    const first = await verifyTrail(new FolderTrailStore(dir), options);
    assert.ok(first.snapshot);
    await writeTrailSnapshot(state, first.snapshot);
    await trail.append(entries(20, 300));
    const previous = await readTrailSnapshot(state);
    assert.ok(previous);
    const read: bigint[] = [];
    const second = await verifyTrail(new FolderTrailStore(dir), {
      ...options,
      previous,
      onEntry: (i) => void read.push(i),
    });
    assert.equal(second.from, 20n);
    assert.equal(second.count, 300n);
    assert.equal(read[0], 20n);
    assert.equal(second.snapshot?.leafHashes.length, 320);
    const full = await verifyTrail(new FolderTrailStore(dir), options);
    assert.deepEqual(second.snapshot?.leafHashes, full.snapshot?.leafHashes);
  });

  it("reads a range only (and keeps no snapshot, which would have gaps)", async (t) => {
    const history = entries(0, 40);
    const { dir, options } = await folderTrail(t, history);
    const seen: TrailEntry[] = [];
    const result = await verifyTrail(new FolderTrailStore(dir), {
      ...options,
      from: 10n,
      count: 5n,
      onEntry: (_, e) => void seen.push(e),
    });
    assert.deepEqual(seen, history.slice(10, 15));
    assert.equal(result.snapshot, undefined);
    await assert.rejects(verifyTrail(new FolderTrailStore(dir), { ...options, from: 38n, count: 5n }), {
      code: "TRAIL_USAGE",
    });
  });

  it("serialises two appenders in one process: every batch lands whole, none is lost", async (t) => {
    const { dir, options } = await folderTrail(t, []);
    const a = await Trail.folder(dir, options);
    const b = await Trail.folder(dir, options);
    const batches = Array.from({ length: 12 }, (_, i) => entries(i * 100, 7, i % 2 === 0 ? "a" : "b"));
    const results = await Promise.all(batches.map((batch, i) => (i % 2 === 0 ? a : b).append(batch)));
    const starts = results.map((r) => r.firstIndex).sort((x, y) => (x < y ? -1 : 1));
    assert.deepEqual(
      starts,
      batches.map((_, i) => BigInt(i * 7)),
    );
    const seen: TrailEntry[] = [];
    await verifyTrail(new FolderTrailStore(dir), { ...options, onEntry: (_, e) => void seen.push(e) });
    assert.equal(seen.length, 84);
    for (const [i, result] of results.entries()) {
      const at = Number(result.firstIndex);
      assert.deepEqual(seen.slice(at, at + 7), batches[i]);
    }
    assert.equal(existsSync(path.join(dir, TRAIL_LOCK_FILE)), false);
  });

  it("waits for another process's lock, and gives up with TRAIL_USAGE when it is never freed", async (t) => {
    const { dir, options } = await folderTrail(t, entries(0, 1));
    const { writeFileSync } = await import("node:fs");
    const { hostname } = await import("node:os");
    // A live process (this one's parent) holds the lock file, as another gateway would.
    writeFileSync(path.join(dir, TRAIL_LOCK_FILE), JSON.stringify({ pid: process.ppid, host: hostname() }));
    const store = new FolderTrailStore(dir, { lockTimeoutMs: 100, lockRetryMs: 10 });
    const trail = await Trail.open(store, options);
    await assert.rejects(trail.append(entries(1, 1)), { code: "TRAIL_USAGE" });
    // A lock whose process is gone is stale: taken over.
    writeFileSync(path.join(dir, TRAIL_LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname() }));
    assert.equal((await trail.append(entries(1, 1))).size, 2n);
  });

  it("has each batch's checkpoint cosigned by a witness when one is given (optional)", async (t) => {
    const { dir, trail, options } = await folderTrail(t, entries(0, 3));
    const wkey = generateKey("witness.example.org");
    const tw = new TlogWitness({
      signer: parseCosignerKey(wkey.skey),
      logs: [{ origin: ORIGIN, verifiers: [options.verifier] }],
      state: new MemoryWitnessState(),
    });
    const server = await listenWitness(tw, { host: "127.0.0.1", port: 0 });
    t.after(() => server.close());
    const wverifier = parseCosignatureVerifierKey(wkey.vkey);
    const policy = policyWitness("witness.example.org", wverifier);
    const result = await trail.append(entries(3, 2), {
      witnesses: [{ name: "witness.example.org", url: server.url, verifier: wverifier }],
      policy,
    });
    assert.equal(result.witnesses.length, 1);
    const verified = await verifyTrail(new FolderTrailStore(dir), { ...options, policy });
    assert.equal(verified.checkpoint.cosignatures.length, 1);
    // A reader that requires the witness refuses a checkpoint it did not cosign.
    await trail.append(entries(5, 1));
    await assert.rejects(verifyTrail(new FolderTrailStore(dir), { ...options, policy }), (e: unknown) => {
      return e instanceof TrailError && e.code === TRAIL_ERRORS.BAD_CHECKPOINT;
    });
  });
});
