/**
 * `npm start`: the narrated quickstart exits 0 only when every scene goes as expected. It runs
 * on production defaults (a 2-of-3 root whose keys are kept offline, root changes signed with
 * `repo export`, `sign`, `repo import`), shows an endpoint's agent config and a staged
 * rollout, ends with what to try next, and with `--keep DIR` leaves a world there in which
 * the commands it suggests work; without it, nothing is left behind.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { rolloutPosition } from "@bulwark/client";
import type { KeyEntry } from "@bulwark/publisher";
import { Metadata, type Root } from "@bulwark/tuf";
import { whatNext } from "../src/quickstart/what-next.js";
import { type CliRun, runCli, tempDir } from "./helpers.js";

const PASSPHRASE = { BULWARK_PASSPHRASE: "quickstart demo passphrase" };

function ok(run: CliRun, what: string): CliRun {
  assert.equal(run.code, 0, `${what}: exit ${run.code}\n${run.stdout}\n${run.stderr}`);
  return run;
}

describe("bulwark quickstart", () => {
  it("plays every scene as expected, and leaves nothing behind without --keep", async (t) => {
    const tmp = tempDir(t, "bulwark-quickstart-tmp-");
    const run = await runCli(["quickstart", "--json"], { env: { TMPDIR: tmp } });
    assert.equal(run.code, 0, run.stdout);
    const { ok, scenes, world } = run.json<{
      ok: boolean;
      scenes: Array<{ scene: string; expected: string; actual: string }>;
      world: { dir: string; kept: boolean };
    }>();
    assert.equal(ok, true);
    assert.deepEqual(
      scenes.map((s) => [s.scene, s.actual]),
      [
        ["install 1.0.0", "accepted"],
        ["staged rollout of 1.1.0", "staged"],
        ["update to 1.1.0", "accepted"],
        ["swapped 1.1.0 bytes", "refused"],
        ["older snapshot served", "refused"],
        ["unsigned 9.9.9", "refused"],
        ["revoke 1.1.0", "rolled back"],
        ["stolen keys, not logged", "refused"],
        ["monitor: vendor's releases", "consistent"],
        ["logged secret release", "reported"],
        ["private log extension", "refused"],
        ["C's build at publish", "refused"],
        ["A+B agree on 1.2.0", "accepted"],
        ["stolen keys list C's build", "refused"],
      ],
    );
    assert.equal(world.kept, false);
    assert.equal(path.dirname(world.dir), tmp, "the world was made under TMPDIR");
    assert.deepEqual(readdirSync(tmp), [], "the world is removed at the end");
  });

  it("with --keep DIR: a 2-of-3 offline root, the agent config, a staged rollout and what to try next, in a world where they work", async (t) => {
    const dir = path.join(tempDir(t, "bulwark-quickstart-keep-"), "tour");
    const run = ok(await runCli(["quickstart", "--keep", dir]), "quickstart --keep");
    const text = run.stdout;
    assert.match(text, /Every attack was refused or reported, and every update verified\./);

    // Production defaults: root signed by 2 of 3 keys, all three moved out and marked offline.
    const repo = path.join(dir, "vendor", "updates");
    const root = Metadata.fromBytes(readFileSync(path.join(repo, "public", "metadata", "root.json")), "root");
    const rootRole = (root.signed as Root).role("root");
    assert.equal(rootRole.keyids.length, 3);
    assert.equal(rootRole.threshold, 2);
    assert.equal(root.signed.version, 3, "two root changes: the log policy and the verified-builds policy");
    assert.equal(root.signatures.size, 2, "each signed by 2 of the 3 root keys");
    const keys = (JSON.parse(readFileSync(path.join(repo, "bulwark.json"), "utf8")) as { keys: KeyEntry[] }).keys;
    const rootEntries = keys.filter((e) => e.roles.includes("root"));
    assert.deepEqual(new Set(rootEntries.map((e) => e.id)), new Set(rootRole.keyids));
    assert.ok(rootEntries.every((e) => "offline" in e));
    assert.deepEqual(readdirSync(path.join(repo, "keys", "root")), [], "no root key is left with the repository");
    assert.equal(readdirSync(path.join(dir, "offline", "root-keys")).length, 3);
    for (const v of [2, 3]) {
      assert.ok(existsSync(path.join(dir, "offline", `root-${v}.json`)), `root version ${v} was signed offline`);
      assert.match(text, new RegExp(`\\$ bulwark repo export vendor/updates offline/root-${v}\\.json`));
    }
    assert.match(text, /exit 3, ROOT_SIGNATURES_NEEDED: root version 2 has 0 of the 2 previous root key signature/);
    assert.match(text, /\$ bulwark sign offline\/root-2\.json --key offline\/root-keys\/root-[0-9a-f]{12}\.pem/);
    assert.match(text, /\$ bulwark repo import vendor\/updates offline\/root-2\.json/);

    // The endpoint's agent config, printed as it is on disk (retargeted to `bulwark serve` when kept).
    const agentFile = path.join(dir, "endpoints", "endpoint-a", "agent.json");
    const agent = JSON.parse(readFileSync(agentFile, "utf8")) as { repository: { metadataUrl: string } };
    assert.equal(agent.repository.metadataUrl, "http://127.0.0.1:8080/metadata/");
    const shown = /agent\.json \(docs\/agent\.md\)[^\n]*\n((?: {4}.*\n)+)/.exec(text)?.[1];
    assert.ok(shown, "the agent config is printed");
    const printed = JSON.parse(shown.replace(/^ {4}/gm, "")) as Record<string, unknown>;
    assert.deepEqual(
      { ...printed, repository: undefined },
      { ...JSON.parse(readFileSync(agentFile, "utf8")), repository: undefined },
    );
    assert.match(text, /\$ bulwark agent --once --config endpoints\/endpoint-a\/agent\.json/);

    // The staged rollout: at 50 %, exactly the servers whose cohort position is under 0.5 take 1.1.0.
    assert.match(text, /\$ bulwark release rollout vendor\/updates demo-app@1\.1\.0 --percent 50/);
    assert.match(text, /\$ bulwark release rollout vendor\/updates demo-app@1\.1\.0 --percent 100/);
    const servers = ["server-1", "server-2", "server-3", "server-4"];
    const inHalf = servers.filter((s) => rolloutPosition(s, "demo-app@1.1.0") < 0.5);
    assert.ok(inHalf.length > 0 && inHalf.length < servers.length, "the tour's fleet splits at 50 %");
    for (const s of servers) {
      const position = rolloutPosition(s, "demo-app@1.1.0").toFixed(2);
      const at50 = inHalf.includes(s)
        ? `${s} (cohort position ${position} < 0.5: in the first 50 %) runs 1.1.0`
        : `${s} (cohort position ${position} ≥ 0.5: not yet) runs 1.0.0`;
      assert.ok(text.includes(at50), `no line "${at50}"`);
      if (!inHalf.includes(s)) {
        assert.ok(text.includes(`${s} (cohort position ${position}; 100 % is every endpoint) runs 1.1.0`));
      }
      assert.equal(readFileSync(path.join(dir, "endpoints", s, "data", "client-id"), "utf8"), s);
    }

    // What to try next: the map, the commands, the docs.
    assert.match(text, new RegExp(`The world is kept in ${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:`));
    const next = text.slice(text.indexOf("What to try next there"));
    for (const command of [
      'export BULWARK_PASSPHRASE="quickstart demo passphrase"',
      "bulwark repo status vendor/updates",
      "bulwark release list vendor/updates",
      "bulwark repo verify vendor/updates --root endpoints/endpoint-a/root.json",
      "bulwark log status vendor/release-log --root vendor/updates/public/metadata/root.json",
      "bulwark agent status --config endpoints/endpoint-a/agent.json",
      "bulwark key add vendor/updates --role timestamp; bulwark repo publish vendor/updates",
      "bulwark repo export vendor/updates offline/root-4.json",
    ])
      assert.ok(next.includes(`\n    ${command}`), `what next lacks ${command}`);
    for (const doc of ["README.md", "docs/agent.md", "docs/transparency-log.md", "docs/verified-builds.md"])
      assert.ok(next.includes(doc), `what next lacks ${doc}`);

    // ... and the commands work there as it says.
    const inWorld = (argv: string[]) => runCli([...argv, "--json"], { cwd: dir, env: PASSPHRASE });
    ok(await inWorld(["repo", "status", "vendor/updates"]), "repo status");
    const releases = ok(await inWorld(["release", "list", "vendor/updates"]), "release list").json<{
      releases: Array<{ version: string }>;
    }>();
    assert.deepEqual(releases.releases.map((r) => r.version).sort(), [
      "1.0.0",
      "1.1.0",
      "1.1.1",
      "1.1.3",
      "1.2.0",
      "1.2.1",
    ]);
    const verify = await inWorld(["repo", "verify", "vendor/updates", "--root", "endpoints/endpoint-a/root.json"]);
    assert.equal(verify.code, 1, verify.stdout);
    const refused = verify.json<{ problems: Array<{ target?: string; code: string }> }>().problems;
    assert.deepEqual(refused.map((p) => [p.target?.split("/")[1], p.code]).sort(), [
      ["1.0.0", "CLIENT_NO_BUILD_QUORUM"],
      ["1.1.1", "CLIENT_NO_BUILD_QUORUM"],
      ["1.1.3", "CLIENT_NO_BUILD_QUORUM"],
      ["1.2.1", "CLIENT_NO_BUILD_QUORUM"],
    ]);
    ok(
      await inWorld(["log", "status", "vendor/release-log", "--root", "vendor/updates/public/metadata/root.json"]),
      "log status",
    );
    const status = ok(
      await inWorld(["agent", "status", "--config", "endpoints/endpoint-a/agent.json"]),
      "agent status",
    ).json<{ current?: string }>();
    assert.equal(status.current, "1.0.0");

    // A root change there needs the offline keys: exit 3, then export, sign, import, publish.
    ok(await inWorld(["key", "add", "vendor/updates", "--role", "timestamp"]), "key add");
    assert.equal((await inWorld(["repo", "publish", "vendor/updates"])).code, 3);
    ok(await inWorld(["repo", "export", "vendor/updates", "offline/root-4.json"]), "repo export");
    for (const key of readdirSync(path.join(dir, "offline", "root-keys")).slice(0, 2)) {
      ok(await inWorld(["sign", "offline/root-4.json", "--key", path.join("offline", "root-keys", key)]), "sign");
    }
    ok(await inWorld(["repo", "import", "vendor/updates", "offline/root-4.json"]), "repo import");
    const published = ok(await inWorld(["repo", "publish", "vendor/updates"]), "repo publish").json<{
      versions: Record<string, number>;
    }>();
    assert.equal(published.versions.root, 4);
  });

  it("without --keep, what to try next says how to keep the world, and points at the docs", () => {
    const text = whatNext({ dir: "/tmp/bulwark-quickstart-x", kept: false }, "p", 4).join("\n");
    assert.match(text, /`bulwark quickstart --keep \.\/bulwark-tour` makes the same world in \.\/bulwark-tour/);
    assert.doesNotMatch(text, /bulwark-quickstart-x|bulwark repo status/, "no commands for a world that is gone");
    for (const doc of ["README.md", "docs/agent.md", "docs/transparency-log.md", "docs/verified-builds.md"])
      assert.ok(text.includes(doc), `what next lacks ${doc}`);
  });

  it("refuses --keep with a folder that holds anything, and writes nothing there", async (t) => {
    const dir = tempDir(t, "bulwark-quickstart-keep-");
    mkdirSync(path.join(dir, "mine"));
    writeFileSync(path.join(dir, "mine", "notes.txt"), "mine");
    const run = await runCli(["quickstart", "--keep", path.join(dir, "mine"), "--json"]);
    assert.equal(run.code, 2);
    assert.equal(run.json<{ error: { code: string } }>().error.code, "KEEP_NOT_EMPTY");
    assert.deepEqual(readdirSync(path.join(dir, "mine")), ["notes.txt"]);
  });
});
