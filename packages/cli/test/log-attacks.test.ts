/**
 * Attacks on release transparency by someone holding what a compromised CI holds (the log
 * folder with the log key, the online keys), over real loopback HTTP, driving `bulwark`:
 * a privately extended log (refused by data-availability witnesses; flagged by the monitor
 * when a witness without that check cosigned it), an older checkpoint served to hide newer
 * entries, a witness quorum not met, and a revocation hidden by re-signing without it.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createStaticServer } from "@bulwark/publisher";
import { changeProofPath, originHash, parseVerifierKey, verifyLogEntryProof } from "@bulwark/tlog";
import { APP } from "./e2e-helpers.js";
import { runCli, tempDir } from "./helpers.js";
import { ORIGIN, resignUnlogged, startWitness, TestWitness, vendorWithLog } from "./transparency-helpers.js";
import type { TestLike } from "./verified-builds-helpers.js";

const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

/** A release entry for `version` (the targets metadata named is made up: no repository here). */
function entry(version: string, data = `app ${version}`) {
  return {
    name: "app",
    version,
    path: `app/app-${version}.tar.gz`,
    sha256: sha256(data),
    length: Buffer.byteLength(data),
    targets: { role: "targets", version: 1, sha256: sha256("targets") },
  };
}

/** Runs `bulwark argv --json` in `cwd`, asserting the exit code. */
async function json<T = Record<string, unknown>>(cwd: string, argv: string[], code = 0): Promise<T> {
  const run = await runCli([...argv, "--json"], { cwd });
  assert.equal(run.code, code, `${argv.join(" ")}: ${run.stdout}${run.stderr}`);
  return run.json<T>();
}

/** Serves a folder over loopback HTTP for the test. */
async function serve(t: TestLike, dir: string): Promise<string> {
  const server = await createStaticServer(dir);
  t.after(() => server.close());
  return server.url;
}

describe("attacks on the release log, over loopback HTTP", () => {
  it("a privately extended log is refused by data-availability witnesses", async (t) => {
    const base = tempDir(t, "bulwark-log-attack-");
    const at = (...p: string[]) => path.join(base, ...p);
    const init = await json<{ vkey: string }>(base, ["log", "init", "log", "--origin", ORIGIN]);
    const w1 = await json<{ vkey: string }>(base, ["witness", "init", "--state", "w1", "--name", "w1.example/w"]);
    const logUrl = await serve(t, at("log", "public"));
    const url1 = await startWitness(t, at("w1"), init.vkey, ["--log-url", logUrl]);
    writeFileSync(at("log", "witnesses.policy"), `witness w1 ${w1.vkey} ${url1}\nquorum w1\n`);
    writeFileSync(at("e1.json"), JSON.stringify(entry("1.0.0")));
    writeFileSync(at("e2.json"), JSON.stringify(entry("1.1.0")));
    writeFileSync(at("trojan.json"), JSON.stringify(entry("1.1.0", "app 1.1.0 trojaned")));

    // The vendor: the tiles are served before the witness is asked, so it reads them and cosigns.
    const first = await json<{ witnesses: Array<{ cosigned: boolean }> }>(base, [
      "log",
      "append",
      "log",
      "--entry",
      "e1.json",
    ]);
    assert.deepEqual(
      first.witnesses.map((w) => w.cosigned),
      [true],
    );

    // The attacker copies the log folder (with the log key) and extends it privately.
    cpSync(at("log"), at("stolen"), { recursive: true });
    const attack = await runCli(["log", "append", "stolen", "--entry", "trojan.json", "--json"], { cwd: base });
    assert.equal(attack.code, 1, attack.stderr);
    assert.equal(attack.json<{ error: { code: string } }>().error.code, "TLOG_DATA_UNAVAILABLE");
    assert.match(attack.stderr, /publish the log's tiles first/);
    // The witness recorded nothing and kept the signed checkpoint as evidence.
    const latest = await fetch(new URL(`${originHash(ORIGIN)}/checkpoint`, url1));
    assert.match(await latest.text(), /^updates\.example\.com\/log\n1\n/);
    assert.equal(readdirSync(at("w1", "evidence")).filter((f) => f.includes("TLOG_DATA_UNAVAILABLE")).length, 1);

    // The real log goes on; its next checkpoint is cosigned.
    const second = await json<{ size: string; witnesses: Array<{ cosigned: boolean }> }>(base, [
      ...["log", "append", "log", "--entry", "e2.json"],
    ]);
    assert.equal(second.size, "2");
    assert.deepEqual(
      second.witnesses.map((w) => w.cosigned),
      [true],
    );
  });

  it("log monitor fails on a witness checkpoint no log copy serves (exit 1 after the grace period)", async (t) => {
    const { vendor, logDir, logVkey, witnesses } = await vendorWithLog(t, ["w1"], 1);
    await vendor.release("1.0.0");
    // A witness that does not check data availability cosigns the attacker's private extension.
    const stolen = path.join(vendor.work, "stolen");
    cpSync(logDir, stolen, { recursive: true });
    const w1 = witnesses[0] as TestWitness;
    writeFileSync(path.join(stolen, "witnesses.policy"), `witness w1 ${w1.vkey} ${w1.url}\nquorum w1\n`);
    writeFileSync(path.join(vendor.work, "trojan.json"), JSON.stringify(entry("6.6.6", "trojan")));
    await json(vendor.work, ["log", "append", stolen, "--entry", "trojan.json"]);

    const logUrl = await serve(t, path.join(logDir, "public"));
    const root = path.join(vendor.dir, "public", "metadata", "root.json");
    const monitor = [
      "log",
      "monitor",
      "--log",
      logUrl,
      "--log-vkey",
      logVkey,
      "--repo",
      vendor.server.url,
      "--root",
      root,
    ];
    // Within the grace period: a warning (the checkpoint may still be on its way to the CDN).
    const early = await json<{ ok: boolean; warnings: string[] }>(vendor.work, monitor);
    assert.equal(early.ok, true);
    assert.match(early.warnings.join("\n"), /no copy of the log serves yet/);
    await sleep(1100);
    const late = await json<{ problems: Array<{ kind: string; checkpoints: Array<{ size: string }> }> }>(
      vendor.work,
      [...monitor, "--unpublished-grace", "0"],
      1,
    );
    const problem = late.problems.find((p) => p.kind === "unpublished-checkpoint");
    assert.ok(problem, JSON.stringify(late.problems));
    assert.equal(problem.checkpoints[0]?.size, "2");
    const human = await runCli([...monitor, "--unpublished-grace", "0"], { cwd: vendor.work });
    assert.equal(human.code, 1);
    assert.match(human.stdout, /unpublished-checkpoint.*privately extended log/);
  });

  it("log monitor with no saved state checks up to the largest size any witness cosigned", async (t) => {
    const { vendor, logDir, logVkey, witnesses } = await vendorWithLog(t, ["w1"], 1);
    await vendor.release("1.0.0");
    const old = readFileSync(path.join(logDir, "public", "checkpoint"));
    // A release the repository never lists, logged with the log key and cosigned...
    const w1 = witnesses[0] as TestWitness;
    writeFileSync(path.join(logDir, "witnesses.policy"), `witness w1 ${w1.vkey} ${w1.url}\nquorum w1\n`);
    writeFileSync(path.join(vendor.work, "secret.json"), JSON.stringify(entry("6.6.6", "secret")));
    await json(vendor.work, ["log", "append", logDir, "--entry", "secret.json"]);
    // ...and the log's server shows monitors the older checkpoint (its tiles hold both entries).
    writeFileSync(path.join(logDir, "public", "checkpoint"), old);

    const logUrl = await serve(t, path.join(logDir, "public"));
    const root = path.join(vendor.dir, "public", "metadata", "root.json");
    const report = await json<{
      checked: { size: string };
      entries: { to: string };
      problems: Array<{ kind: string; index: string }>;
    }>(
      vendor.work,
      ["log", "monitor", "--log", logUrl, "--log-vkey", logVkey, "--repo", vendor.server.url, "--root", root],
      1,
    );
    assert.equal(report.checked.size, "2");
    assert.equal(report.entries.to, "2");
    assert.deepEqual(
      report.problems.map((p) => [p.kind, p.index]),
      [["unlisted-release", "1"]],
    );
  });

  it("log status --witnesses exits non-zero when the quorum is not met", async (t) => {
    const base = tempDir(t, "bulwark-log-attack-");
    const at = (...p: string[]) => path.join(base, ...p);
    const init = await json<{ vkey: string }>(base, ["log", "init", "log", "--origin", ORIGIN]);
    const w1 = await TestWitness.start(t, "w1", init.vkey);
    const w2 = await TestWitness.start(t, "w2", init.vkey);
    writeFileSync(at("log", "witnesses.policy"), `witness w1 ${w1.vkey} ${w1.url}\nquorum w1\n`);
    writeFileSync(at("e1.json"), JSON.stringify(entry("1.0.0")));
    await json(base, ["log", "append", "log", "--entry", "e1.json"]);
    // Clients require both witnesses; only w1 cosigned.
    writeFileSync(
      at("both.policy"),
      `witness w1 ${w1.vkey} ${w1.url}\nwitness w2 ${w2.vkey} ${w2.url}\ngroup both 2 w1 w2\nquorum both\n`,
    );
    const status = await json<{ quorum: boolean }>(base, ["log", "status", "log", "--witnesses", "both.policy"], 1);
    assert.equal(status.quorum, false);
    const met = await json<{ quorum: boolean }>(base, ["log", "status", "log"]);
    assert.equal(met.quorum, true);
  });

  it("log status --root checks the checkpoint against the log policy clients trust", async (t) => {
    const { vendor, logDir } = await vendorWithLog(t, ["w1", "w2"], 2);
    await vendor.release("1.0.0");
    const root = path.join(vendor.dir, "public", "metadata", "root.json");
    const status = await json<{ quorum: boolean; cosignatures: Array<{ witness: string }> }>(vendor.work, [
      ...["log", "status", path.join(logDir, "public"), "--root", root],
    ]);
    assert.equal(status.quorum, true);
    assert.deepEqual(status.cosignatures.map((c) => c.witness).sort(), ["w1", "w2"]);
    // The first root carries no log policy: nothing to check against, said plainly.
    const first = path.join(vendor.dir, "public", "metadata", "1.root.json");
    const run = await runCli(["log", "status", path.join(logDir, "public"), "--root", first, "--json"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /has no transparency-log policy/);
  });

  it("hiding a revocation with the online keys is visible to the monitor (un-revoked release)", async (t) => {
    const { vendor, logDir, logVkey } = await vendorWithLog(t, ["w1"], 1);
    await vendor.release("1.0.0");
    await vendor.revoke("1.0.0", "CVE-2025-0001");
    const file = `${APP}/1.0.0/${APP}-1.0.0.tar.gz`;
    // The revocation is logged; its proof is published beside the release file.
    const proof = readFileSync(
      path.join(vendor.dir, "public", "targets", ...changeProofPath(file, "revoke").split("/")),
      "utf8",
    );
    const verified = verifyLogEntryProof(proof, { origin: ORIGIN, logVerifier: parseVerifierKey(logVkey) });
    assert.equal(verified.entry.kind, "change");
    assert.deepEqual(verified.entry.kind === "change" && verified.entry.entry.change.kind, "revoke");

    const logUrl = await serve(t, path.join(logDir, "public"));
    const root = path.join(vendor.dir, "public", "metadata", "root.json");
    const monitor = [
      ...["log", "monitor", "--log", logUrl, "--log-vkey", logVkey, "--repo", vendor.server.url, "--root", root],
      ...["--state", "monitor.json"],
    ];
    const before = await json<{ ok: boolean; changes: Array<{ change: string; version: string; reason: string }> }>(
      vendor.work,
      monitor,
    );
    assert.equal(before.ok, true);
    assert.deepEqual(
      before.changes.map((c) => [c.change, c.version, c.reason]),
      [["revoke", "1.0.0", "CVE-2025-0001"]],
    );

    // The attacker with the online keys re-signs the targets metadata without the revocation.
    await resignUnlogged(vendor, file, ({ revoked: _, ...rest }) => rest);

    // The monitor remembers the logged revocation: the repository no longer carries it.
    const after = await json<{ problems: Array<{ kind: string; message: string }> }>(vendor.work, monitor, 1);
    assert.deepEqual(
      after.problems.map((p) => p.kind),
      ["unrevoked-release"],
    );
    assert.match(after.problems[0]?.message ?? "", /revoked in the log.*listed unrevoked/);
  });
});
