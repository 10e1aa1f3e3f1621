/**
 * Release transparency end to end, over real loopback HTTP: `bulwark log init/append/status`,
 * two `bulwark witness serve` processes that cosign a good checkpoint and refuse a fork and a
 * rollback, and `bulwark log monitor` reporting a split view between two copies of the log
 * and a logged release the vendor's TUF repository does not list (exit 1, JSON).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { createStaticServer } from "@bulwark/publisher";
import { formatAddCheckpointRequest } from "@bulwark/tlog";
import { PrivateKeySigner, Repository, writeRepositoryFiles } from "@bulwark/tuf";
import { runCli, tempDir } from "./helpers.js";
import { startWitness } from "./transparency-helpers.js";

const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

/** A TUF repository listing app 1.0.0 and 1.1.0, in a folder; returns it and its entries. */
async function vendorRepository(dir: string) {
  const signer = PrivateKeySigner.generate("ed25519");
  const repo = await Repository.create({
    signers: { root: [signer], targets: [signer], snapshot: [signer], timestamp: [signer] },
  });
  const versions = ["1.0.0", "1.1.0"];
  for (const v of versions) repo.addTarget({ path: `app/app-${v}.tar.gz`, data: Buffer.from(`app ${v}`) });
  await repo.publish();
  await writeRepositoryFiles(dir, repo.files());
  const targetsBytes = repo.publishedBytes("targets") as Buffer;
  const targets = { role: "targets", version: repo.targets().signed.version, sha256: sha256(targetsBytes) };
  const entry = (v: string, data = `app ${v}`) => ({
    name: "app",
    version: v,
    path: `app/app-${v}.tar.gz`,
    sha256: sha256(data),
    length: Buffer.byteLength(data),
    targets,
  });
  return { root: repo.rootVersions()[0] as Buffer, entry };
}

describe("bulwark log and witness, end to end", () => {
  it("two witnesses cosign a good checkpoint, refuse a fork and a rollback; the monitor reports a split view and a secret release", async (t) => {
    const base = tempDir(t, "bulwark-log-");
    const at = (...p: string[]) => path.join(base, ...p);
    const json = async (argv: string[], code = 0) => {
      const run = await runCli([...argv, "--json"], { cwd: base });
      assert.equal(run.code, code, `${argv.join(" ")}: ${run.stderr}`);
      return run.json<Record<string, unknown>>();
    };

    const init = await json(["log", "init", "log", "--origin", "updates.example.com/log"]);
    const logVkey = init.vkey as string;
    const w1 = await json(["witness", "init", "--state", "w1", "--name", "w1.example/witness"]);
    const w2 = await json(["witness", "init", "--state", "w2", "--name", "w2.example/witness"]);
    const url1 = await startWitness(t, at("w1"), logVkey);
    const url2 = await startWitness(t, at("w2"), logVkey);
    const policy = `witness w1 ${w1.vkey as string} ${url1}\nwitness w2 ${w2.vkey as string} ${url2}\ngroup both 2 w1 w2\nquorum both\n`;
    writeFileSync(at("witnesses.policy"), policy);
    writeFileSync(at("log", "witnesses.policy"), policy);

    const vendor = await vendorRepository(at("repo"));
    writeFileSync(at("root.json"), vendor.root);
    writeFileSync(at("e1.json"), JSON.stringify(vendor.entry("1.0.0")));
    writeFileSync(at("e2.json"), JSON.stringify(vendor.entry("1.1.0")));
    writeFileSync(at("evil.json"), JSON.stringify(vendor.entry("1.1.0", "app 1.1.0 trojaned")));

    // Two witnesses cosign the first checkpoint; the proof is written beside the artifact.
    const first = await json(["log", "append", "log", "--entry", "e1.json", "--proofs", "proofs"]);
    assert.deepEqual(
      (first.witnesses as Array<{ cosigned: boolean }>).map((w) => w.cosigned),
      [true, true],
    );
    assert.ok(existsSync(at("proofs", "app", "app-1.0.0.tar.gz.tlog-proof")));
    const checkpoint1 = readFileSync(at("log", "public", "checkpoint"), "utf8");
    cpSync(at("log"), at("fork"), { recursive: true });

    const second = await json(["log", "append", "log", "--entry", "e2.json"]);
    assert.equal(second.size, "2");
    const status = await json(["log", "status", "log"]);
    assert.equal(status.quorum, true);
    assert.deepEqual((status.cosignatures as Array<{ witness: string }>).map((c) => c.witness).sort(), ["w1", "w2"]);

    // A fork: the same log key signs another history of size 2. Both witnesses refuse: an
    // incident (exit 5), not an outage.
    const fork = await runCli(["log", "append", "fork", "--entry", "evil.json", "--json"], { cwd: base });
    assert.equal(fork.code, 5, fork.stderr);
    assert.equal(fork.json<{ error: { code: string } }>().error.code, "TLOG_SPLIT_VIEW");
    assert.match(fork.stderr, /forked/);
    assert.match(fork.stderr, /the log key was used elsewhere/);
    for (const w of ["w1", "w2"]) assert.equal(readdirSync(at(w, "evidence")).length, 1, `${w} kept no evidence`);

    // A rollback: the checkpoint of size 1 again. Refused with the witness's size, or as malformed.
    const stale = await fetch(new URL("add-checkpoint", url1), {
      method: "POST",
      body: formatAddCheckpointRequest({ oldSize: 1n, proof: [], checkpoint: checkpoint1 }),
    });
    assert.equal(stale.status, 409);
    assert.equal(await stale.text(), "2\n");
    const back = await fetch(new URL("add-checkpoint", url1), {
      method: "POST",
      body: formatAddCheckpointRequest({ oldSize: 2n, proof: [], checkpoint: checkpoint1 }),
    });
    assert.equal(back.status, 400);

    // The monitor, over HTTP: the log and the fork are two trees of size 2 (a split view).
    const servers = await Promise.all(
      ["log/public", "fork/public", "repo"].map((d) => createStaticServer(at(...d.split("/")))),
    );
    t.after(() => Promise.all(servers.map((s) => s.close())).then(() => undefined));
    const [logUrl, forkUrl, repoUrl] = servers.map((s) => s.url) as [string, string, string];
    const monitor = ["log", "monitor", "--log-vkey", logVkey, "--repo", repoUrl, "--root", "root.json"];
    const split = await json([...monitor, "--log", logUrl, "--log", forkUrl], 1);
    assert.equal(split.ok, false);
    const problems = split.problems as Array<{ kind: string; checkpoints?: Array<{ source: string; size: string }> }>;
    const view = problems.find((p) => p.kind === "split-view");
    assert.ok(view, JSON.stringify(problems));
    assert.deepEqual(
      view.checkpoints?.map((c) => [c.source, c.size]),
      [
        [logUrl, "2"],
        [forkUrl, "2"],
      ],
    );

    // An honest run with the witnesses: all good, state saved.
    const ok = await json([...monitor, "--log", logUrl, "--witnesses", "witnesses.policy", "--state", "monitor.json"]);
    assert.equal(ok.ok, true, JSON.stringify(ok.problems));
    // The log and the checkpoint each witness last cosigned, all one tree.
    assert.equal((ok.views as unknown[]).length, 3);

    // A release the vendor never published, logged (a stolen key's release must be, to be accepted).
    writeFileSync(at("secret.json"), JSON.stringify(vendor.entry("6.6.6")));
    await json(["log", "append", "log", "--entry", "secret.json"]);
    const secret = await json([...monitor, "--log", logUrl, "--state", "monitor.json"], 1);
    assert.deepEqual(
      (secret.problems as Array<{ kind: string; index: string }>).map((p) => [p.kind, p.index]),
      [["unlisted-release", "2"]],
    );
    assert.deepEqual(secret.entries, { from: "2", to: "3", checked: 1 });
    // Human output names the problem too.
    const human = await runCli([...monitor, "--log", logUrl, "--state", "monitor.json"], { cwd: base });
    assert.equal(human.code, 1);
    assert.match(human.stdout, /unlisted-release.*6\.6\.6/);
  });

  it("refuses bad input with usage errors", async (t) => {
    const base = tempDir(t, "bulwark-log-");
    const run = (argv: string[]) => runCli(argv, { cwd: base });
    assert.equal((await run(["log", "init", "log"])).code, 2);
    assert.equal((await run(["log", "init", "log", "--origin", "has space"])).code, 2);
    assert.equal((await run(["log", "init", "log", "--origin", "example.com/log"])).code, 0);
    assert.equal((await run(["log", "init", "log", "--origin", "example.com/log"])).code, 2);
    writeFileSync(path.join(base, "bad.json"), JSON.stringify({ name: "app", version: "1", sha256: "nope" }));
    const bad = await run(["log", "append", "log", "--entry", "bad.json"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /BAD_ENTRY/);
    const status = await run(["log", "status", "http://127.0.0.1:9/log/"]);
    assert.equal(status.code, 2);
    assert.match(status.stderr, /--log-vkey/);
    const hex = "ab".repeat(32);
    const entry = {
      name: "app",
      version: "1",
      path: "app-1",
      sha256: hex,
      length: 1,
      targets: { role: "targets", version: 1, sha256: hex },
    };
    writeFileSync(path.join(base, "e.json"), JSON.stringify(entry));
    const wrong = await runCli(["log", "append", "log", "--entry", "e.json"], {
      cwd: base,
      env: { BULWARK_PASSPHRASE: "another passphrase" },
    });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /KEY_UNREADABLE/);
    assert.equal((await run(["witness", "serve", "--state", "nowhere", "--log-vkey", "x"])).code, 2);
  });
});
