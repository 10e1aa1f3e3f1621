/**
 * `bulwark serve` over real loopback HTTP: the TUF client refreshing from it, and the real
 * executable started and stopped by a signal. The static server itself is tested in
 * packages/publisher/test/static-server.test.ts.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { describe, it } from "node:test";
import { type AccessLogEntry, createStaticServer, SHUTDOWN_GRACE_MS } from "@bulwark/publisher";
import { rawRequest as request } from "@bulwark/testkit";
import { Updater } from "@bulwark/tuf";
import { BULWARK_BIN, initRepo, PASSPHRASE_ENV, runCli, tempDir } from "./helpers.js";
import { startWitness } from "./transparency-helpers.js";

describe("bulwark serve", () => {
  it("serves a repository that the TUF client refreshes from, and picks up a new publish", async (t) => {
    const dir = await initRepo(t);
    const release = async (version: string) => {
      const file = path.join(path.dirname(dir), `app-${version}.tgz`);
      writeFileSync(file, `app ${version}`);
      const add = await runCli(["release", "add", dir, file, "--name", "app", "--version", version]);
      assert.equal(add.code, 0, add.stderr);
      const pub = await runCli(["repo", "publish", dir]);
      assert.equal(pub.code, 0, pub.stderr);
    };
    await release("1.0.0");
    const log: AccessLogEntry[] = [];
    const server = await createStaticServer(path.join(dir, "public"), { log: (e) => log.push(e) });
    t.after(() => server.close());
    const client = tempDir(t);
    mkdirSync(path.join(client, "metadata"));
    mkdirSync(path.join(client, "targets"));
    copyFileSync(path.join(dir, "public", "metadata", "1.root.json"), path.join(client, "metadata", "root.json"));
    const updater = () =>
      new Updater({
        metadataDir: path.join(client, "metadata"),
        metadataBaseUrl: `${server.url}metadata/`,
        targetDir: path.join(client, "targets"),
        targetBaseUrl: `${server.url}targets/`,
      });

    const first = updater();
    await first.refresh();
    const info = await first.getTargetInfo("app/1.0.0/app-1.0.0.tgz");
    assert.ok(info);
    assert.equal(readFileSync(await first.downloadTarget(info), "utf8"), "app 1.0.0");
    await until(() => log.some((e) => e.path.startsWith("/targets/")));
    // the client looked for a next root, and the 404 ended its root walk
    assert.ok(log.some((e) => e.path === "/metadata/2.root.json" && e.status === 404));
    const hashed = log.find((e) => e.path.startsWith("/targets/app/1.0.0/"));
    assert.match(hashed?.path ?? "", /^\/targets\/app\/1\.0\.0\/[0-9a-f]{64}\.app-1\.0\.0\.tgz$/);
    assert.equal(hashed?.status, 200);

    await release("1.1.0");
    const second = updater();
    await second.refresh();
    const next = await second.getTargetInfo("app/1.1.0/app-1.1.0.tgz");
    assert.ok(next);
    assert.equal(readFileSync(await second.downloadTarget(next), "utf8"), "app 1.1.0");
  });

  it("runs as a real process: prints the URL as JSON, logs JSON lines, exits 0 on SIGTERM", {
    timeout: 30_000,
  }, async (t) => {
    const dir = await initRepo(t);
    const proc = startBin(t, ["serve", dir, "--port", "0", "--json"]);
    const line = JSON.parse(await proc.firstLine()) as { url: string };
    assert.match(line.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await request(line.url, "/metadata/timestamp.json");
    assert.equal(res.status, 200);
    assert.equal(
      createHash("sha256").update(res.body).digest("hex"),
      createHash("sha256")
        .update(readFileSync(path.join(dir, "public", "metadata", "timestamp.json")))
        .digest("hex"),
    );
    assert.equal((await request(line.url, "/../bulwark.json")).status, 404);
    // an idle keep-alive connection does not hold the shutdown up
    const agent = new http.Agent({ keepAlive: true });
    t.after(() => agent.destroy());
    assert.equal((await request(line.url, "/metadata/root.json", { agent })).status, 200);
    const stopping = performance.now();
    assert.equal(await proc.stop("SIGTERM"), 0);
    assert.ok(performance.now() - stopping < SHUTDOWN_GRACE_MS, "closed without waiting out the grace period");
    assert.equal(proc.stdout().trim(), JSON.stringify(line), "stdout holds only the URL line");
    const entries = proc
      .stderr()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as AccessLogEntry);
    assert.deepEqual(
      entries.map((e) => [e.method, e.path, e.status]),
      [
        ["GET", "/metadata/timestamp.json", 200],
        ["GET", "/../bulwark.json", 404],
        ["GET", "/metadata/root.json", 200],
      ],
    );
  });

  it("prints the URL and a text access log for people, exits 0 on SIGINT", { timeout: 30_000 }, async (t) => {
    const dir = await initRepo(t);
    // a folder holding metadata/ (a copy of public/) is served as it is
    for (const quiet of [false, true]) {
      const proc = startBin(t, ["serve", path.join(dir, "public"), "--port", "0", ...(quiet ? ["--quiet"] : [])]);
      const url = /^serving .+ at (http:\S+)$/.exec(await proc.firstLine())?.[1] ?? "";
      assert.equal((await request(url, "/metadata/1.root.json")).status, 200);
      assert.equal(await proc.stop("SIGINT"), 0);
      if (quiet) assert.equal(proc.stderr(), "", "--quiet: no access log");
      else assert.match(proc.stderr(), /^GET \/metadata\/1\.root\.json 200 \d+ B [\d.]+ ms$/m);
    }
  });

  it("warns when listening beyond loopback", { timeout: 30_000 }, async (t) => {
    const dir = await initRepo(t);
    const proc = startBin(t, ["serve", dir, "--port", "0", "--host", "0.0.0.0", "--json"]);
    const { url } = JSON.parse(await proc.firstLine()) as { url: string };
    const port = new URL(url).port;
    assert.equal((await request(`http://127.0.0.1:${port}/`, "/metadata/root.json")).status, 200);
    assert.equal(await proc.stop("SIGTERM"), 0);
    const warning = proc
      .stderr()
      .split("\n")
      .find((l) => l.includes("warning"));
    assert.match(warning ?? "", /reachable from other machines/);
  });

  it("serves a transparency log folder: a data-availability witness and `log status` read it over HTTP", {
    timeout: 60_000,
  }, async (t) => {
    const base = tempDir(t, "bulwark-serve-log-");
    const at = (...p: string[]) => path.join(base, ...p);
    const json = async (argv: string[]) => {
      const run = await runCli([...argv, "--json"], { cwd: base });
      assert.equal(run.code, 0, `${argv.join(" ")}: ${run.stdout}${run.stderr}`);
      return run.json<Record<string, unknown>>();
    };
    const origin = "updates.example.com/log";
    const init = await json(["log", "init", "log", "--origin", origin]);
    const w1 = await json(["witness", "init", "--state", "w1", "--name", "w1.example/witness"]);

    // `bulwark serve` finds the log folder (its log.json) and serves its public/ folder.
    const proc = startBin(t, ["serve", at("log"), "--port", "0", "--json"]);
    const line = JSON.parse(await proc.firstLine()) as { url: string; kind: string };
    assert.equal(line.kind, "log");
    // The witness cosigns only once it has read the new entries from the served log.
    const witnessUrl = await startWitness(t, at("w1"), init.vkey as string, ["--log-url", line.url]);
    writeFileSync(at("log", "witnesses.policy"), `witness w1 ${w1.vkey as string} ${witnessUrl}\nquorum w1\n`);
    const data = "app 1.0.0";
    const digest = (b: string) => createHash("sha256").update(b).digest("hex");
    const entry = { name: "app", version: "1.0.0", path: "app/app-1.0.0.tar.gz", sha256: digest(data) };
    writeFileSync(
      at("e1.json"),
      JSON.stringify({ ...entry, length: data.length, targets: { role: "targets", version: 1, sha256: digest("t") } }),
    );
    const appended = await json(["log", "append", "log", "--entry", "e1.json"]);
    assert.deepEqual(
      (appended.witnesses as Array<{ cosigned: boolean }>).map((w) => w.cosigned),
      [true],
    );
    const fetched = proc
      .stderr()
      .split("\n")
      .filter((l) => l.startsWith("{"));
    assert.ok(
      fetched.some((l) => (JSON.parse(l) as AccessLogEntry).path.startsWith("/tile/entries/")),
      "the witness read the entries from the served log",
    );

    // `log status` reads the served checkpoint, verified, with the witness's cosignature.
    const policy = at("witnesses.policy");
    writeFileSync(policy, `witness w1 ${w1.vkey as string}\nquorum w1\n`);
    const status = await json(["log", "status", line.url, "--log-vkey", init.vkey as string, "--witnesses", policy]);
    assert.equal(status.size, "1");
    assert.equal(status.quorum, true);

    // Only the checkpoint changes in place; tiles are immutable.
    const checkpoint = await request(line.url, "/checkpoint");
    assert.equal(checkpoint.status, 200);
    assert.equal(checkpoint.headers["cache-control"], "no-cache");
    const tile = await request(line.url, "/tile/0/000.p/1");
    assert.equal(tile.status, 200);
    assert.equal(tile.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.equal(await proc.stop("SIGTERM"), 0);
  });

  it("refuses what it cannot serve, with exit codes and hints", async (t) => {
    const dir = await initRepo(t);
    const empty = tempDir(t);
    for (const [name, argv, exit, code] of [
      ["a folder that is not a repository", [empty], 2, "NOTHING_TO_SERVE"],
      ["a port out of range", [dir, "--port", "65536"], 2, "CLI_USAGE"],
      ["a port that is not a number", [dir, "--port", "http"], 2, "CLI_USAGE"],
    ] as const) {
      const run = await runCli(["serve", ...argv, "--json"]);
      assert.equal(run.code, exit, name);
      assert.equal(run.json<{ error: { code: string } }>().error.code, code, name);
    }
    rmSync(path.join(dir, "public"), { recursive: true });
    const unpublished = await runCli(["serve", dir, "--json"]);
    assert.equal(unpublished.code, 1);
    assert.equal(unpublished.json<{ error: { code: string } }>().error.code, "NOT_PUBLISHED");
  });

  it("says when the port is in use", async (t) => {
    const dir = await initRepo(t);
    const busy = await createStaticServer(path.join(dir, "public"));
    t.after(() => busy.close());
    const run = await runCli(["serve", dir, "--port", String(busy.port)]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /PORT_IN_USE/);
    assert.match(run.stderr, /--port 0/);
  });

  it("documents every option in --help", async () => {
    const run = await runCli(["serve", "--help"]);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /--port N +the TCP port .*\(default: 8080\)/);
    assert.match(run.stdout, /--host HOST +the address to bind.*\(default: 127\.0\.0\.1\)/);
  });
});

/** Waits (up to 2 s) for an access log entry written when a response closes. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
}

/** The real `bulwark` executable, started in the background; killed after the test if still running. */
function startBin(
  t: { after(fn: () => void): void },
  argv: string[],
): {
  firstLine(): Promise<string>;
  stop(signal: NodeJS.Signals): Promise<number | null>;
  stdout(): string;
  stderr(): string;
} {
  const child: ChildProcess = spawn(process.execPath, [BULWARK_BIN, ...argv], {
    env: { ...process.env, ...PASSPHRASE_ENV },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString("utf8");
  });
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString("utf8");
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    async firstLine() {
      while (!out.includes("\n")) {
        if (child.exitCode !== null) throw new Error(`bulwark exited early: ${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return out.slice(0, out.indexOf("\n"));
    },
    async stop(signal) {
      child.kill(signal);
      const [code] = await exited;
      return code;
    },
    stdout: () => out,
    stderr: () => err,
  };
}
