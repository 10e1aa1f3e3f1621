/**
 * The monitor against logs in memory and a repository simulator (the TargetLookup
 * interface), witnesses over loopback: an honest log and repository pass and the state
 * moves on; a secret release, a split view between copies, a fork against the previous run
 * or a witness, a rollback and a non-release entry are each reported with evidence.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  formatAddCheckpointRequest,
  formatMonitorState,
  formatReleaseEntry,
  type LogWriter,
  listenWitness,
  type MonitorOptions,
  type MonitorState,
  monitorLog,
  parseCosignatureVerifierKey,
  parseMonitorState,
  type ReleaseEntry,
  type TargetLookup,
} from "../src/index.js";
import { appendTo, logKey, makeWitness, memoryLog, ORIGIN, release } from "./log-fixtures.js";

/** A repository that lists the given releases. */
function repository(entries: readonly ReleaseEntry[]): TargetLookup & { add(e: ReleaseEntry): void } {
  const targets = new Map(entries.map((e) => [e.path, e]));
  return {
    add: (e) => targets.set(e.path, e),
    getTargetInfo: async (path) => {
      const e = targets.get(path);
      return e === undefined ? undefined : { length: e.length, hashes: new Map([["sha256", e.sha256]]) };
    },
  };
}

const VERSIONS = ["1.0.0", "1.0.1", "1.1.0"];

function options(logs: ReadonlyArray<[string, LogWriter]>, repo: TargetLookup, extra: Partial<MonitorOptions> = {}) {
  return {
    origin: ORIGIN,
    logVerifier: logKey.verifier,
    logs: logs.map(([name, w]) => ({ name, store: w.store })),
    repository: repo,
    ...extra,
  };
}

describe("log monitor", () => {
  it("passes an honest log whose releases are all listed, and checks only new entries next time", async () => {
    const log = await memoryLog(VERSIONS);
    const repo = repository(VERSIONS.map((v) => release(v)));
    const first = await monitorLog(options([["log", log]], repo));
    assert.deepEqual(first.problems, []);
    assert.equal(first.ok, true);
    assert.equal(first.entries.checked, 3);
    const state = parseMonitorState(formatMonitorState(first.state as NonNullable<typeof first.state>));
    await appendTo(log, ["1.2.0"]);
    repo.add(release("1.2.0"));
    const second = await monitorLog(options([["log", log]], repo, { state }));
    assert.equal(second.ok, true, JSON.stringify(second.problems));
    assert.deepEqual(second.entries, { from: "3", to: "4", checked: 1 });
    assert.equal(second.state?.checkedSize, 4n);
  });

  it("reports a logged artifact the repository does not list (a secret release), until it is listed", async () => {
    const log = await memoryLog(VERSIONS);
    await log.append([formatReleaseEntry(release("6.6.6"))]);
    const repo = repository(VERSIONS.map((v) => release(v)));
    const report = await monitorLog(options([["log", log]], repo));
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.problems.map((p) => [p.kind, p.index, p.entry?.version]),
      [["unlisted-release", "3", "6.6.6"]],
    );
    // Remembered and checked again: still a problem, then fine once the vendor lists it.
    const again = await monitorLog(options([["log", log]], repo, { state: report.state as MonitorState }));
    assert.equal(again.problems[0]?.kind, "unlisted-release");
    repo.add(release("6.6.6"));
    const listed = await monitorLog(options([["log", log]], repo, { state: again.state as MonitorState }));
    assert.equal(listed.ok, true, JSON.stringify(listed.problems));
  });

  it("reports an artifact whose logged digest differs from the repository's file", async () => {
    const log = await memoryLog(["1.0.0"]);
    const report = await monitorLog(options([["log", log]], repository([release("1.0.0", "other build")])));
    assert.equal(report.problems[0]?.kind, "unlisted-release");
    assert.match(report.problems[0]?.message ?? "", /differs/);
  });

  it("reports a split view: two copies of the log with trees of one size and different roots", async () => {
    const a = await memoryLog(VERSIONS);
    const b = await memoryLog(["1.0.0", "1.0.1", "1.1.0-evil"]);
    const repo = repository(VERSIONS.map((v) => release(v)));
    const report = await monitorLog(
      options(
        [
          ["https://a.example/log/", a],
          ["https://b.example/log/", b],
        ],
        repo,
      ),
    );
    const split = report.problems.find((p) => p.kind === "split-view");
    assert.ok(split, JSON.stringify(report.problems));
    assert.deepEqual(
      split.checkpoints?.map((c) => [c.source, c.size]),
      [
        ["https://a.example/log/", "3"],
        ["https://b.example/log/", "3"],
      ],
    );
    assert.notEqual(split.checkpoints?.[0]?.rootHash, split.checkpoints?.[1]?.rootHash);
    // No state moves forward on a split view: the alarm repeats.
    assert.equal(report.state, undefined);
  });

  it("reports a fork against its previous run, keeping the old state", async () => {
    const log = await memoryLog(["1.0.0", "1.0.1"]);
    const repo = repository([...VERSIONS, "2.0.0"].map((v) => release(v)));
    const first = await monitorLog(options([["log", log]], repo));
    const forked = await memoryLog(["1.0.0", "1.0.1-evil", "1.1.0"]);
    const report = await monitorLog(options([["log", forked]], repo, { state: first.state as MonitorState }));
    // The fork, and (every entry checked again after a fork) the release it slipped in.
    assert.deepEqual(
      report.problems.map((p) => [p.kind, p.index]),
      [
        ["inconsistent", undefined],
        ["unlisted-release", "1"],
      ],
    );
    assert.equal(report.state, first.state);
  });

  it("reports a rollback: fewer entries than the previous run saw", async () => {
    const log = await memoryLog(VERSIONS);
    const repo = repository(VERSIONS.map((v) => release(v)));
    const first = await monitorLog(options([["log", log]], repo));
    const older = await memoryLog(["1.0.0", "1.0.1"]);
    const report = await monitorLog(options([["log", older]], repo, { state: first.state as MonitorState }));
    assert.ok(report.problems.some((p) => p.kind === "rollback"));
  });

  it("reports a witness that cosigned another tree of the log's size (split view), over loopback", async (t) => {
    const witness = makeWitness("witness.example/w1");
    const server = await listenWitness(witness);
    t.after(() => server.close());
    const fork = await memoryLog(["1.0.0", "1.0.1-evil"]);
    await witness.addCheckpoint(formatAddCheckpointRequest({ oldSize: 0n, proof: [], checkpoint: fork.checkpoint }));
    const log = await memoryLog(["1.0.0", "1.0.1"]);
    const endpoint = { name: "w1", url: server.url, verifier: parseCosignatureVerifierKey(witness.vkey) };
    const repo = repository(VERSIONS.map((v) => release(v)));
    const report = await monitorLog(options([["log", log]], repo, { witnesses: [endpoint] }));
    const split = report.problems.find((p) => p.kind === "split-view");
    assert.ok(split, JSON.stringify(report));
    assert.deepEqual(
      split.checkpoints?.map((c) => c.source),
      ["log", "witness w1"],
    );
  });

  it("agrees with a witness that cosigned an earlier checkpoint of the same history", async (t) => {
    const witness = makeWitness("witness.example/w1");
    const server = await listenWitness(witness);
    t.after(() => server.close());
    const log = await memoryLog(["1.0.0", "1.0.1"]);
    await witness.addCheckpoint(formatAddCheckpointRequest({ oldSize: 0n, proof: [], checkpoint: log.checkpoint }));
    await appendTo(log, ["1.1.0"]);
    const endpoint = { name: "w1", url: server.url, verifier: parseCosignatureVerifierKey(witness.vkey) };
    const unknown = {
      name: "w2",
      url: server.url,
      verifier: parseCosignatureVerifierKey(makeWitness("w.example/2").vkey),
    };
    const report = await monitorLog(
      options([["log", log]], repository(VERSIONS.map((v) => release(v))), { witnesses: [endpoint, unknown] }),
    );
    assert.equal(report.ok, true, JSON.stringify(report.problems));
    assert.equal(report.views.length, 2);
    assert.match(report.warnings.join("\n"), /w2/);
  });

  it("reports an entry that is not a release entry, and a copy of the log it cannot read", async () => {
    const log = await memoryLog(["1.0.0"]);
    await log.append([new TextEncoder().encode("not a release")]);
    const empty = { name: "https://down.example/", store: { get: async () => undefined } };
    const report = await monitorLog({
      ...options([["log", log]], repository([release("1.0.0")])),
      logs: [{ name: "log", store: log.store }, empty],
    });
    assert.deepEqual(report.problems.map((p) => p.kind).sort(), ["bad-entry", "log-unreadable"]);
  });

  it("reports tiles that do not match the checkpoint as an unreadable log", async () => {
    const log = await memoryLog(["1.0.0", "1.0.1"]);
    const store = log.store as unknown as { put(k: string, v: Uint8Array): Promise<void> };
    await store.put("tile/0/000.p/2", new Uint8Array(64));
    const report = await monitorLog(options([["log", log]], repository([release("1.0.0"), release("1.0.1")])));
    assert.deepEqual(
      report.problems.map((p) => p.kind),
      ["log-unreadable"],
    );
  });
});
