/**
 * The monitor against the attacks a stolen log key (and the online keys) still allow, each
 * named after it: a privately extended log (a witness cosigned a tree no copy serves), a
 * copy serving an older checkpoint than the witnesses cosigned, forged cosignatures, and a
 * relabelled release (one file logged under two versions or names). Witnesses over loopback.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TestLike } from "@bulwark/testkit";
import {
  addSignatureLines,
  checkLogPolicy,
  formatAddCheckpointRequest,
  formatMonitorState,
  formatReleaseEntry,
  type LogPolicy,
  type LogWriter,
  listenWitness,
  MONITOR_DEFAULTS,
  type MonitorOptions,
  type MonitorState,
  monitorLog,
  parseCosignatureVerifierKey,
  parseMonitorState,
  witness as policyWitness,
  type ReleaseEntry,
  type TargetLookup,
  type TlogWitness,
} from "../src/index.js";
import { logKey, makeWitness, memoryLog, ORIGIN, proofFrom, release } from "./log-fixtures.js";

/** When the witnesses cosign (their clock), in POSIX seconds. */
const COSIGNED_AT = 1_700_000_000n;

function repository(entries: readonly ReleaseEntry[]): TargetLookup {
  const targets = new Map(entries.map((e) => [e.path, e]));
  return {
    getTargetInfo: async (path) => {
      const e = targets.get(path);
      return e === undefined ? undefined : { length: e.length, hashes: new Map([["sha256", e.sha256]]) };
    },
  };
}

function options(log: LogWriter, repo: TargetLookup, extra: Partial<MonitorOptions> = {}): MonitorOptions {
  return {
    origin: ORIGIN,
    logVerifier: logKey.verifier,
    logs: [{ name: "log", store: log.store }],
    repository: repo,
    ...extra,
  };
}

/** A witness on loopback with a fixed clock, and the log policy naming it (with its URL). */
async function served(t: TestLike, name = "witness.example/w1"): Promise<{ witness: TlogWitness; policy: LogPolicy }> {
  const witness = makeWitness(name, { clock: () => COSIGNED_AT });
  const server = await listenWitness(witness);
  t.after(() => server.close());
  const policy = checkLogPolicy({
    origin: ORIGIN,
    logVerifier: logKey.verifier,
    witnesses: [policyWitness("w1", parseCosignatureVerifierKey(witness.vkey), server.url)],
    threshold: 1,
  });
  return { witness, policy };
}

async function cosign(witness: TlogWitness, log: LogWriter, oldSize: bigint): Promise<string[]> {
  const proof = oldSize === 0n || oldSize === log.size ? [] : await proofFrom(log, oldSize);
  return witness.addCheckpoint(formatAddCheckpointRequest({ oldSize, proof, checkpoint: log.checkpoint }));
}

const VERSIONS = ["1.0.0", "1.0.1"];
const listed = () => repository(VERSIONS.map((v) => release(v)));
const at = (seconds: bigint) => () => Number(seconds) * 1000;

describe("the monitor and a privately extended log", () => {
  /** The public log at 2, cosigned; the attacker's copy extended to 3 and cosigned; nothing of it published. */
  async function privatelyExtended(t: TestLike) {
    const { witness, policy } = await served(t);
    const log = await memoryLog(VERSIONS);
    await cosign(witness, log, 0n);
    const trojan = await memoryLog(VERSIONS);
    await trojan.append([formatReleaseEntry(release("1.1.0", "trojan"))]);
    await cosign(witness, trojan, 2n);
    return { log, policy };
  }

  it("reports a witness checkpoint that no log copy serves as a problem once older than the grace period", async (t) => {
    const { log, policy } = await privatelyExtended(t);
    const grace = BigInt(MONITOR_DEFAULTS.unpublishedGraceSeconds);
    const report = await monitorLog(options(log, listed(), { policy, now: at(COSIGNED_AT + grace + 1n) }));
    assert.equal(report.ok, false);
    const problem = report.problems.find((p) => p.kind === "unpublished-checkpoint");
    assert.ok(problem, JSON.stringify(report.problems));
    assert.match(problem.message, /witness w1 cosigned a tree of 3 entries that no copy of the log serves/);
    assert.deepEqual(
      problem.checkpoints?.map((c) => [c.source, c.size, c.cosigners]),
      [["witness w1", "3", ["w1"]]],
    );
  });

  it("only warns while the witness checkpoint is younger than the grace period (the log may be publishing)", async (t) => {
    const { log, policy } = await privatelyExtended(t);
    const report = await monitorLog(options(log, listed(), { policy, now: at(COSIGNED_AT + 60n) }));
    assert.equal(report.ok, true, JSON.stringify(report.problems));
    assert.match(report.warnings.join("\n"), /no copy of the log serves yet \(cosigned 60 s ago/);
  });

  it("with no saved state, checks entries up to the largest tree a witness cosigned, not the older checkpoint a copy serves", async (t) => {
    const { witness, policy } = await served(t);
    const log = await memoryLog(VERSIONS);
    const older = log.checkpoint;
    await log.append([formatReleaseEntry(release("6.6.6"))]);
    await cosign(witness, log, 0n);
    // The copy's tiles hold 3 entries, but it serves the checkpoint of 2.
    await (log.store as unknown as { put(k: string, v: Uint8Array): Promise<void> }).put(
      "checkpoint",
      new TextEncoder().encode(older),
    );
    const report = await monitorLog(options(log, listed(), { policy, now: at(COSIGNED_AT) }));
    assert.equal(report.checkpoint?.size, "2");
    assert.equal(report.checked?.size, "3");
    assert.deepEqual(report.entries, { from: "0", to: "3", checked: 3 });
    assert.deepEqual(
      report.problems.map((p) => [p.kind, p.index, p.entry?.version]),
      [["unlisted-release", "2", "6.6.6"]],
    );
    assert.equal(report.state?.checkedSize, 3n);
  });
});

describe("the monitor verifies witness cosignatures with the log policy's keys", () => {
  it("flags and ignores a cosignature that does not verify, and counts the ones that do", async (t) => {
    const { witness, policy } = await served(t);
    const w2 = makeWitness("witness.example/w2");
    const w2Key = parseCosignatureVerifierKey(w2.vkey);
    const both = checkLogPolicy({
      ...policy,
      witnesses: [...policy.witnesses, policyWitness("w2", w2Key)],
      threshold: 2,
    });
    const log = await memoryLog(VERSIONS);
    const good = await cosign(witness, log, 0n);
    // A line with w2's name and key ID whose signature is not w2's: a forged cosignature.
    const [real] = await w2.addCheckpoint(
      formatAddCheckpointRequest({ oldSize: 0n, proof: [], checkpoint: log.checkpoint }),
    );
    const raw = Buffer.from((real as string).split(" ")[2] as string, "base64");
    raw[raw.length - 1] = (raw[raw.length - 1] as number) ^ 1;
    const forged = `\u2014 ${w2Key.name} ${raw.toString("base64")}`;
    await log.publishCosigned(addSignatureLines(log.checkpoint, [...good, forged]));
    const report = await monitorLog(options(log, listed(), { policy: both, now: at(COSIGNED_AT) }));
    assert.equal(report.ok, true, JSON.stringify(report.problems));
    assert.deepEqual(report.checkpoint?.cosigners, ["w1"]);
    assert.match(report.warnings.join("\n"), /log: the cosignature of witness w2 does not verify/);
    // The policy's witness with a URL was asked for its latest checkpoint too.
    assert.deepEqual(
      report.views.map((v) => [v.source, v.cosigners]),
      [
        ["log", ["w1"]],
        ["witness w1", ["w1"]],
      ],
    );
  });
});

describe("the monitor and a relabelled release", () => {
  const relabelled = (label: Partial<ReleaseEntry>): ReleaseEntry => ({
    ...release("1.0.0"),
    path: "app/app-2.0.0.tar.gz",
    ...label,
  });
  const cases: ReadonlyArray<{ name: string; entry: ReleaseEntry }> = [
    { name: "under a second version", entry: relabelled({ version: "2.0.0" }) },
    { name: "under a second name", entry: relabelled({ name: "app-pro" }) },
  ];
  for (const c of cases) {
    it(`reports one file logged ${c.name}, even when it was listed by the repository`, async () => {
      const log = await memoryLog(VERSIONS);
      await log.append([formatReleaseEntry(c.entry)]);
      const report = await monitorLog(options(log, repository([...VERSIONS.map((v) => release(v)), c.entry])));
      assert.deepEqual(
        report.problems.map((p) => [p.kind, p.index]),
        [["relabelled-release", "2"]],
      );
      assert.match(report.problems[0]?.message ?? "", /logged as app 1\.0\.0 \(entry 0\) and again as/);
    });
  }

  it("remembers logged digests across runs, so a relabel in a later run is caught", async () => {
    const log = await memoryLog(VERSIONS);
    const entry = relabelled({ version: "2.0.0" });
    const repo = repository([...VERSIONS.map((v) => release(v)), entry]);
    const first = await monitorLog(options(log, repo));
    const state = parseMonitorState(formatMonitorState(first.state as MonitorState));
    assert.equal(state.releases?.size, 2);
    await log.append([formatReleaseEntry(entry)]);
    const second = await monitorLog(options(log, repo, { state }));
    assert.deepEqual(second.entries, { from: "2", to: "3", checked: 1 });
    assert.deepEqual(
      second.problems.map((p) => p.kind),
      ["relabelled-release"],
    );
    // A state written before digests were remembered: every entry is read again, once.
    const { releases: _, ...older } = state;
    const third = await monitorLog(options(log, repo, { state: older }));
    assert.equal(third.entries.from, "0");
    assert.deepEqual(
      third.problems.map((p) => p.kind),
      ["relabelled-release"],
    );
  });
});
