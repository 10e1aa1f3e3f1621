/**
 * Crash safety: `kill -9` at random points during download, install and rollback (a sample of
 * 24 by default, 105 with BULWARK_CRASH_FULL=1, or CRASH_KILL_POINTS=N); after each restart the application directory is exactly the old or
 * the new version, never a mix, and the journal converges.
 *
 * The vendor (the CLI) publishes crash-app 1.0.0, 1.1.0 and a 1.2.0 whose health check
 * fails; each stage of the repository is served on 127.0.0.1 through a proxy that sends
 * 64 KiB at a time with a pause, so kills land mid-download. Each release has 2 MB that
 * does not compress and hundreds of small files, so they land mid-unpack too. For every
 * kill point an endpoint starts from a known state, crash-driver.js runs one operation and
 * gets SIGKILL at a random time inside a phase picked at random (phase lengths measured on
 * an uninterrupted run), crash-driver.js `recover` runs as the next start would, and the
 * app, the journal and a second recovery are checked; then the operation is run to its end.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { CLIENT_ERRORS, ClientError, type JournalState } from "@bulwark/client";
import { createStaticServer } from "@bulwark/publisher";
import { tarGz } from "../src/quickstart/demo-archive.js";
import { type DriverConfig, driverClient } from "./crash-driver.js";
import { runCli, tempDir } from "./helpers.js";

/**
 * Kill points to try: a sample by default, so `npm test` stays quick; the full run
 * (BULWARK_CRASH_FULL=1) tries 105, which takes about two minutes on 2 cores.
 */
const KILL_POINTS = Number(process.env.CRASH_KILL_POINTS ?? (process.env.BULWARK_CRASH_FULL === "1" ? 105 : 24));
/** A progress line every this many kill points. */
const PROGRESS_EVERY = 8;
/** Endpoints crashed at the same time: most of a kill point is waiting (process start, fsync). */
const CONCURRENCY = 4;
const THROTTLE_CHUNK = 64 * 1024;
const THROTTLE_DELAY_MS = 6;
/** Small files per release: each is a write and an fsync when unpacked. */
const SMALL_FILES = 200;
const NAME = "crash-app";
const DRIVER = path.join(path.dirname(fileURLToPath(import.meta.url)), "crash-driver.js");
const HEALTH_CHECK = ["sh", "-c", "test -f HEALTHY"];

/** A release's expected contents: every file's path and sha256. */
type Tree = ReadonlyMap<string, string>;

/** mulberry32: kill points are drawn from CRASH_SEED when it is set. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** A release; every file differs between versions, so a mix cannot pass for either. */
function makeRelease(version: string, healthy: boolean): { archive: Buffer; tree: Tree } {
  const files: Record<string, Buffer> = {
    VERSION: Buffer.from(`${version}\n`),
    "bin/crash-app": Buffer.from(`#!/bin/sh\necho "crash-app ${version}"\n`),
  };
  if (healthy) files.HEALTHY = Buffer.from("ok\n");
  for (let i = 0; i < 4; i++) files[`lib/blob-${i}.bin`] = randomBytes(512 * 1024);
  for (let i = 0; i < SMALL_FILES; i++) files[`share/${i % 12}/item-${i}.txt`] = randomBytes(100 + ((i * 97) % 1900));
  return { archive: tarGz(files), tree: new Map(Object.entries(files).map(([p, data]) => [p, sha256(data)])) };
}

/** Every file under `dir` with its sha256 (a link as its target, anything else as "special"). */
async function treeOf(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const rel = path.relative(dir, full).split(path.sep).join("/");
    if (entry.isSymbolicLink()) out.set(rel, `link:${await fs.readlink(full)}`);
    else if (entry.isFile()) out.set(rel, sha256(await fs.readFile(full)));
    else if (!entry.isDirectory()) out.set(rel, "special");
  }
  return out;
}

function sameTree(actual: ReadonlyMap<string, string>, expected: Tree | undefined): boolean {
  return (
    expected !== undefined && actual.size === expected.size && [...expected].every(([p, h]) => actual.get(p) === h)
  );
}

/** Every entry under `dir` with its inode, size and mtime: what a no-op leaves as it was. */
async function listingOf(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const s = await fs.lstat(full);
    out.push(`${path.relative(dir, full)} ${s.ino} ${s.size} ${s.mtimeMs}`);
  }
  return out.sort();
}

/**
 * Copies `src` to `dest` with hard links: far faster than copying hundreds of files, and
 * safe, because the client never writes a file in place (it writes new files and renames).
 */
async function linkTree(src: string, dest: string): Promise<void> {
  await fs.mkdir(dest);
  for (const entry of await fs.readdir(src, { withFileTypes: true })) {
    const [from, to] = [path.join(src, entry.name), path.join(dest, entry.name)];
    if (entry.isDirectory()) await linkTree(from, to);
    else if (entry.isSymbolicLink()) await fs.symlink(await fs.readlink(from), to);
    else await fs.link(from, to);
  }
}

/** A loopback proxy in front of `upstream` that sends 64 KiB at a time with a pause. */
async function throttlingProxy(upstream: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const { host: _h, connection: _c, ...headers } = req.headers;
    const up = http.get(new URL(req.url ?? "/", upstream), { headers }, async (upRes) => {
      const { connection: _uc, "keep-alive": _k, ...upHeaders } = upRes.headers;
      res.writeHead(upRes.statusCode ?? 502, upHeaders);
      try {
        for await (const data of upRes as AsyncIterable<Buffer>) {
          for (let i = 0; i < data.length; i += THROTTLE_CHUNK) {
            if (res.destroyed) return void upRes.destroy();
            res.write(data.subarray(i, i + THROTTLE_CHUNK));
            await sleep(THROTTLE_DELAY_MS);
          }
        }
        res.end();
      } catch {
        res.destroy();
      }
    });
    up.on("error", () => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const STARTUP = "at startup (metadata, recover)";
const LAST_PHASE = "after the last step";

/**
 * The phases of an operation, each entered when the driver announces one of its events
 * (the client announces a step before taking it).
 */
const PHASES: ReadonlyArray<readonly [phase: string, events: readonly string[]]> = [
  [STARTUP, ["ready", "checking", "update-available", "recovering"]],
  ["during download", ["downloading", "download-progress"]],
  ["during unpack/switch", ["downloaded", "installing"]],
  ["during the health check/commit", ["health-check"]],
  ["during rollback", ["rolling-back"]],
  [LAST_PHASE, ["installed", "rolled-back", "result"]],
];

function phaseOfEvent(event: string): string | undefined {
  return PHASES.find(([, events]) => events.includes(event))?.[0];
}

/** Where a run was when it was killed: the phase of the last step it announced. */
function phaseOf(events: readonly { event: string }[]): string {
  return events.reduce((phase, e) => phaseOfEvent(e.event) ?? phase, PHASES[0]?.[0] ?? "");
}

/** How long each phase of an uninterrupted run lasted, in ms. */
function phaseLengths(events: readonly { event: string; t: number }[]): Map<string, number> {
  const lengths = new Map<string, number>();
  events.forEach((e, i) => {
    const phase = phaseOfEvent(e.event);
    const next = events[i + 1];
    if (phase !== undefined && next !== undefined) lengths.set(phase, (lengths.get(phase) ?? 0) + next.t - e.t);
  });
  return lengths;
}

interface DriverEvent {
  readonly event: string;
  readonly t: number;
  readonly [key: string]: unknown;
}

/** Starts crash-driver.js; `reached(phase)` resolves once the run is in that phase (or has exited). */
function startDriver(config: DriverConfig, args: readonly string[]) {
  const child = spawn(process.execPath, [DRIVER, JSON.stringify(config), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const events: DriverEvent[] = [];
  const waiting: { phase: string; resolve: () => void }[] = [];
  let stderr = "";
  let buffered = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    buffered += text;
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const event = JSON.parse(buffered.slice(0, nl)) as DriverEvent;
      buffered = buffered.slice(nl + 1);
      events.push(event);
      for (const w of waiting) if (phaseOfEvent(event.event) === w.phase) w.resolve();
    }
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  // "close": stdout is drained, so `events` holds every line the child wrote before it died.
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => {
      for (const w of waiting) w.resolve();
      resolve({ code, signal });
    }),
  );
  const reached = (phase: string) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || events.some((e) => phaseOfEvent(e.event) === phase)) resolve();
      else waiting.push({ phase, resolve });
    });
  return { child, events, reached, done, stderr: () => stderr };
}

interface Scenario {
  readonly name: string;
  /** The repository stage served. */
  readonly served: string;
  /** The endpoint state it starts from (a folder to copy), or undefined for a fresh endpoint. */
  readonly from: string | undefined;
  readonly args: readonly string[];
  /** Exit code of an uninterrupted run. */
  readonly exitCode: number;
  /** The versions before and after the operation ("none": nothing installed). */
  readonly old: string;
  readonly next: string;
  /** The version once the operation has been run to its end. */
  readonly final: string;
}

test(`kill -9 at ${KILL_POINTS} random points in download, install and rollback: always the old or the new version`, {
  timeout: 300_000,
}, async (t) => {
  const started = performance.now();
  const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 32));
  const random = prng(seed);
  const work = tempDir(t, "bulwark-crash-");

  // The vendor: one repository, a copy of its public tree served at each stage.
  const repo = path.join(work, "repo");
  const cli = async (argv: string[]) => {
    const run = await runCli(argv);
    assert.equal(run.code, 0, `bulwark ${argv.join(" ")}: ${run.stderr}`);
  };
  await cli(["repo", "init", repo, "--single-key"]);
  const trees = new Map<string, Tree>();
  for (const [stage, version, healthy] of [
    ["v1", "1.0.0", true],
    ["v2", "1.1.0", true],
    ["v3", "1.2.0", false],
  ] as const) {
    const { archive, tree } = makeRelease(version, healthy);
    trees.set(version, tree);
    const file = path.join(work, `${NAME}-${version}.tar.gz`);
    await fs.writeFile(file, archive);
    await cli(["release", "add", repo, file, "--name", NAME, "--version", version]);
    await cli(["repo", "publish", repo]);
    await fs.cp(path.join(repo, "public"), path.join(work, "serve", stage), { recursive: true });
  }
  const server = await createStaticServer(path.join(work, "serve"));
  const proxy = await throttlingProxy(server.url);
  t.after(async () => {
    await proxy.close();
    await server.close();
  });
  const configFor = (endpoint: string, stage: string, throttled: boolean): DriverConfig => {
    const base = `${throttled ? proxy.url : server.url}${stage}/`;
    return {
      name: NAME,
      metadataUrl: `${base}metadata/`,
      targetsUrl: `${base}targets/`,
      rootFile: path.join(work, "serve", "v1", "metadata", "1.root.json"),
      dataDir: path.join(endpoint, "data"),
      appDir: path.join(endpoint, "app"),
      healthCheck: HEALTH_CHECK,
    };
  };

  // Known endpoint states: 1.0.0 installed from v1, then updated to 1.1.0 from v2.
  const golden = path.join(work, "golden");
  for (const [stage, snapshot] of [
    ["v1", "at-1.0.0"],
    ["v2", "at-1.1.0"],
  ] as const) {
    assert.equal((await (await driverClient(configFor(golden, stage, false))).update()).action, "installed");
    await linkTree(golden, path.join(work, snapshot));
  }
  const scenarios: Scenario[] = (
    [
      // name, stage served, starting state, driver arguments, exit code, old, new, at the end
      ["install", "v1", undefined, ["install", "1.0.0"], 0, "none", "1.0.0", "1.0.0"],
      ["update", "v2", "at-1.0.0", ["install", "1.1.0"], 0, "1.0.0", "1.1.0", "1.1.0"],
      ["failed update", "v3", "at-1.1.0", ["install", "1.2.0"], 3, "1.1.0", "1.2.0", "1.1.0"],
      ["rollback", "v2", "at-1.1.0", ["rollback"], 0, "1.1.0", "1.0.0", "1.0.0"],
    ] as const
  ).map(([name, served, from, args, exitCode, old, next, final]) => ({
    name,
    served,
    from: from === undefined ? undefined : path.join(work, from),
    args,
    exitCode,
    old,
    next,
    final,
  }));

  let endpoints = 0;
  const freshEndpoint = async (scenario: Scenario) => {
    const endpoint = path.join(work, `endpoint-${endpoints++}`);
    if (scenario.from === undefined) await fs.mkdir(endpoint);
    else await linkTree(scenario.from, endpoint);
    return endpoint;
  };
  /** Which version `current` is, by its contents; or what is wrong with it. */
  const identify = async (app: string): Promise<string> => {
    const link = await fs.readlink(path.join(app, "current")).catch(() => undefined);
    if (link === undefined) return "none";
    const actual = await treeOf(path.join(app, "current")).catch((e: Error) => new Map([["error", e.message]]));
    for (const [version, tree] of trees) {
      if (sameTree(actual, tree)) return path.basename(link) === version ? version : `${version} named ${link}`;
    }
    return `a mix or a partial copy (${actual.size} files, current -> ${link})`;
  };
  const readJournal = async (endpoint: string): Promise<{ text: string; state: JournalState | undefined }> => {
    const text = await fs.readFile(path.join(endpoint, "data", "journal.json"), "utf8").catch(() => "");
    return { text, state: text === "" ? undefined : (JSON.parse(text) as JournalState) };
  };

  // An uninterrupted run of each operation, for the phases' lengths.
  const lengths = new Map<Scenario, Map<string, number>>();
  const measured: string[] = [];
  for (const scenario of scenarios) {
    const endpoint = await freshEndpoint(scenario);
    const run = startDriver(configFor(endpoint, scenario.served, true), scenario.args);
    assert.equal((await run.done).code, scenario.exitCode, `${scenario.name}: ${run.stderr()}`);
    assert.equal(await identify(path.join(endpoint, "app")), scenario.final);
    lengths.set(scenario, phaseLengths(run.events));
    measured.push(`${scenario.name} ${Math.round(run.events.at(-1)?.t ?? 0)} ms`);
    await fs.rm(endpoint, { recursive: true, force: true });
  }
  t.diagnostic(
    `seed ${seed}; uninterrupted runs: ${measured.join(", ")}; set up in ${Math.round(performance.now() - started)} ms`,
  );

  const problems: string[] = [];
  const byPhase = new Map<string, number>();
  const byScenario = new Map<string, number>();
  const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  let kills = 0;
  let finishedFirst = 0;
  let resumed = 0;
  let strayLinks = 0;
  let midUnpack = 0;

  /** One kill point: crash the operation, restart, check; run it to its end, check. */
  const killPoint = async (scenario: Scenario, index: number): Promise<void> => {
    const endpoint = await freshEndpoint(scenario);
    const app = path.join(endpoint, "app");
    const allowed = new Set([scenario.old, scenario.next]);

    // A phase at random (startup at half weight: it only reads and refreshes metadata),
    // then a time inside it at random.
    const phases = [...(lengths.get(scenario) ?? [])].flatMap((entry) =>
      entry[0] === LAST_PHASE ? [] : entry[0] === STARTUP ? [entry] : [entry, entry],
    );
    const [target, length] = phases[Math.floor(random() * phases.length)] ?? [LAST_PHASE, 0];
    const delay = random() * length;
    const run = startDriver(configFor(endpoint, scenario.served, true), scenario.args);
    await run.reached(target);
    await Promise.race([sleep(delay), run.done]);
    const killed = run.child.exitCode === null && run.child.signalCode === null && run.child.kill("SIGKILL");
    const { code, signal } = await run.done;
    const phase = phaseOf(run.events);
    const where = `${scenario.name} #${index}, killed ${phase} (aimed ${target}, +${Math.round(delay)} ms)`;
    const problem = (message: string) => problems.push(`${where}: ${message}`);
    if (killed && signal === "SIGKILL") {
      kills++;
      if (kills % PROGRESS_EVERY === 0) console.log(`crash safety: ${kills} of ${KILL_POINTS} kill points`);
      count(byPhase, phase);
      count(byScenario, scenario.name);
    } else {
      finishedFirst++;
      if (code !== scenario.exitCode) problem(`the run exited ${code}: ${run.stderr()}`);
    }

    // Right after the crash, before anything runs again, the app is one whole version.
    const crashed = await identify(app);
    if (!allowed.has(crashed)) problem(`before recovery the app is ${crashed}`);
    const unpacking = await fs.readdir(path.join(app, "versions")).catch(() => [] as string[]);
    if (unpacking.some((n) => n.includes(".partial-"))) midUnpack++;

    // The next start recovers, in a new process.
    const recovery = startDriver(configFor(endpoint, scenario.served, true), ["recover"]);
    const recovered = await recovery.done;
    if (recovered.code !== 0) problem(`recover exited ${recovered.code}: ${recovery.stderr()}`);
    const after = await identify(app);
    if (!allowed.has(after)) problem(`after recovery the app is ${after}`);
    if (scenario.exitCode === 3 && after !== scenario.old) problem(`after recovery the app is ${after}, failing`);
    const journal = await readJournal(endpoint);
    if (journal.state?.operation !== undefined)
      problem(`after recovery the journal still has a pending ${journal.state.operation.kind}`);
    if ((journal.state?.current?.version ?? "none") !== after)
      problem(`after recovery the journal says ${journal.state?.current?.version ?? "none"}, the app is ${after}`);
    const versions = await fs.readdir(path.join(app, "versions")).catch(() => [] as string[]);
    const partial = versions.filter((n) => n.includes(".partial-"));
    if (partial.length > 0) problem(`left after recovery: ${partial.join(", ")}`);
    strayLinks += (await fs.readdir(app).catch(() => [] as string[])).filter((n) => n.startsWith(".current-")).length;

    // Recovering again changes nothing.
    const listing = await listingOf(endpoint);
    await (await driverClient(configFor(endpoint, scenario.served, false))).recover();
    const relisted = await listingOf(endpoint);
    if ((await readJournal(endpoint)).text !== journal.text) problem("a second recovery rewrote the journal");
    const changed = [...relisted.filter((l) => !listing.includes(l)), ...listing.filter((l) => !relisted.includes(l))];
    if (changed.length > 0) problem(`a second recovery changed ${changed.slice(0, 4).join("; ")}`);

    // Run to its end (unthrottled), the operation reaches the version it should.
    const client = await driverClient(configFor(endpoint, scenario.served, false));
    client.on("downloading", () =>
      client.once("download-progress", (p: { resumedFrom: number }) => {
        if (p.resumedFrom > 0) resumed++;
      }),
    );
    try {
      if (scenario.args[0] !== "rollback") await client.update();
      else if (after === scenario.old) await client.rollbackToPrevious("rolled back by hand");
    } catch (error) {
      if (!(error instanceof ClientError && error.code === CLIENT_ERRORS.HEALTH_CHECK_FAILED))
        problem(`running the operation again failed: ${(error as Error).message}`);
    }
    const final = await identify(app);
    const end = (await readJournal(endpoint)).state;
    if (final !== scenario.final) {
      problem(
        `after recovery (${after}), running the operation to its end left ${final}, not ${scenario.final}` +
          ` (journal: failed ${JSON.stringify(end?.failed)})`,
      );
    }
    if (end?.operation !== undefined || (end?.current?.version ?? "none") !== final)
      problem(`at the end the journal says ${end?.current?.version ?? "none"} (${end?.operation?.kind ?? "idle"})`);
    if (scenario.exitCode === 3 && !end?.failed.includes(scenario.next))
      problem(`${scenario.next} is not remembered as failed`);
    // Every version kept on disk is a whole rollback target that the journal knows about.
    const kept = new Set([end?.current?.version, ...(end?.previous ?? []).map((p) => p.version)]);
    for (const name of await fs.readdir(path.join(app, "versions")).catch(() => [] as string[])) {
      if (!kept.has(name)) problem(`versions/${name} is left on disk, unknown to the journal`);
      else if (name !== final && !sameTree(await treeOf(path.join(app, "versions", name)), trees.get(name)))
        problem(`versions/${name} is not exactly ${name}`);
    }
    await fs.rm(endpoint, { recursive: true, force: true });
  };

  let next = 0;
  const worker = async () => {
    while (kills < KILL_POINTS) {
      const index = next++;
      const scenario = scenarios[index % scenarios.length] as Scenario;
      await killPoint(scenario, index).catch((error: Error) =>
        problems.push(`${scenario.name} #${index}: the check itself failed: ${error.stack}`),
      );
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));

  const list = (map: Map<string, number>, order: readonly string[]) =>
    order.flatMap((key) => (map.has(key) ? [`${map.get(key)} ${key}`] : [])).join(", ");
  const phaseNames = PHASES.map(([phase]) => phase);
  const phases = list(byPhase, phaseNames);
  const operations = list(byScenario, [...new Set(scenarios.map((s) => s.name))]);
  const summary =
    `crash safety: ${kills} kill points tried (${phases}; by operation: ${operations}); ` +
    `${midUnpack} left a partial unpack; ${resumed} downloads resumed after a kill; ` +
    `${finishedFirst} more runs finished before their kill; ${strayLinks} stray .current-* links; ` +
    (problems.length === 0 ? "all recovered to exactly the old or the new version" : `${problems.length} problems`) +
    `; ${((performance.now() - started) / 1000).toFixed(1)} s`;
  console.log(summary);
  for (const p of problems) t.diagnostic(p);
  assert.deepEqual(problems, [], `${problems.length} problems:\n${problems.slice(0, 30).join("\n")}`);
  assert.ok(kills >= KILL_POINTS, `only ${kills} of ${KILL_POINTS} kill points`);
});
