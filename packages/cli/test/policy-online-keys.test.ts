/**
 * The policy commands' new options: `--keep-online-keys` (warned about, nothing rotated),
 * `log policy set --log-url` and the data-availability witnesses (`--availability-witness`,
 * `--require-availability`), and their refusals.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { initRepo, runCli } from "./helpers.js";
import { ORIGIN, TestWitness } from "./transparency-helpers.js";
import { makeBuilders, ok, SEPARATE_ROOT, setPolicy } from "./verified-builds-helpers.js";

async function logInit(dir: string): Promise<{ logDir: string; vkey: string }> {
  const logDir = path.join(path.dirname(dir), "release-log");
  const run = await ok(["log", "init", logDir, "--origin", ORIGIN, "--json"]);
  return { logDir, vkey: run.json<{ vkey: string }>().vkey };
}

describe("policy commands and the online keys", () => {
  it("policy set --keep-online-keys keeps them, and says what that leaves open", async (t) => {
    const dir = await initRepo(t);
    const builders = await makeBuilders(path.dirname(dir), ["A", "B"]);
    const set = await setPolicy(dir, builders, 2, ["--keep-online-keys"]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stderr, /--keep-online-keys: the online keys stay the same/);
    assert.doesNotMatch(set.stdout, /Replaced the online keys/);
  });

  it("policy set replaces them by default, naming each new key file", async (t) => {
    const dir = await initRepo(t, SEPARATE_ROOT);
    const builders = await makeBuilders(path.dirname(dir), ["A", "B"]);
    const set = await setPolicy(dir, builders, 2);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /Replaced the online keys in the same root version/);
    for (const role of ["targets", "snapshot", "timestamp"]) assert.match(set.stdout, new RegExp(`${role} .*keys/`));
    assert.match(set.stdout, /Destroy the old key files once the new root is published/);
  });

  it("keeps a key that also signs root (--single-key), and warns that it gains nothing", async (t) => {
    const dir = await initRepo(t);
    const builders = await makeBuilders(path.dirname(dir), ["A", "B"]);
    const set = await setPolicy(dir, builders, 2, ["--json"]);
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual(set.json<{ rotated: unknown[] }>().rotated, []);
    assert.match(set.stderr, /the targets, snapshot, timestamp key also signs root \(--single-key\): it is kept/);
  });
});

describe("log policy set: the log's URL and data-availability witnesses", () => {
  it("records log_url, the witnesses that check availability, and the requirement", async (t) => {
    const dir = await initRepo(t);
    const { logDir, vkey } = await logInit(dir);
    const w1 = await TestWitness.start(t, "w1", vkey);
    const w2 = await TestWitness.start(t, "w2", vkey);
    const base = ["log", "policy", "set", dir, "--log-dir", logDir, "--threshold", "1"];
    const witnesses = ["--witness", w1.option(), "--witness", `w2=${w2.vkey}`];

    const noUrl = await runCli([...base, ...witnesses, "--require-availability", "--availability-witness", "w1"]);
    assert.equal(noUrl.code, 2, noUrl.stderr);
    assert.match(noUrl.stderr, /require_availability_witnesses needs log_url/);
    const unknown = await runCli([...base, ...witnesses, "--availability-witness", "w3"]);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /--availability-witness w3 names no --witness/);
    const badUrl = await runCli([...base, ...witnesses, "--log-url", "ftp://log.example/"]);
    assert.equal(badUrl.code, 2, badUrl.stderr);

    const set = await runCli([
      ...[...base, ...witnesses, "--log-url", "https://updates.example.com/log/"],
      ...["--availability-witness", "w1", "--require-availability", "--json"],
    ]);
    assert.equal(set.code, 0, set.stderr);
    const policy = set.json<{
      policy: {
        log_url: string;
        require_availability_witnesses: boolean;
        witnesses: Array<{ name: string; checks_availability?: boolean }>;
      };
    }>().policy;
    assert.equal(policy.log_url, "https://updates.example.com/log/");
    assert.equal(policy.require_availability_witnesses, true);
    assert.deepEqual(
      policy.witnesses.map((w) => [w.name, w.checks_availability ?? null]),
      [
        ["w1", true],
        ["w2", null],
      ],
    );
    const human = await runCli([
      ...base,
      ...witnesses,
      "--log-url",
      "https://updates.example.com/log/",
      "--availability-witness",
      "w2",
      "--keep-online-keys",
    ]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /public at https:\/\/updates\.example\.com\/log\//);
    assert.match(human.stdout, /check data availability: w2\./);
  });
});
