/**
 * examples/electron/updater.mjs under plain Node: Electron's `app`, `dialog` and the
 * renderer IPC are fakes; the vendor repository, the releases and the update server are
 * real (CLI `main()`, demo tar.gz releases, the static server on 127.0.0.1).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ClientEvent, HealthCheck, UpdateClient } from "@bulwark/client";
import { createStaticServer, type StaticServer } from "@bulwark/publisher";
import { tarGz } from "../src/quickstart/demo-archive.js";
import { runCli } from "./helpers.js";

// --- the example's shape, as this test uses it (the .mjs is not compiled by tsc) ---

interface Outcome {
  readonly action: string;
  readonly version?: string;
  readonly from?: string;
  readonly to?: string;
  readonly reason?: string;
  readonly error?: string;
}

interface Updater {
  readonly client: UpdateClient;
  runOnce(): Promise<Outcome>;
  start(): void;
  stop(): void;
}

interface Timers {
  setTimeout(fn: () => unknown, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

interface UpdaterOptions {
  app: FakeApp;
  ipc: FakeIpc;
  dialog: FakeDialog;
  name: string;
  serverUrl: string;
  trustedRoot: Uint8Array;
  install: { strategy: "directory"; root: string };
  healthCheck?: HealthCheck;
  log?: (e: ClientEvent) => void;
  intervalMs?: number;
  jitter?: number;
  startupDelayMs?: number;
  random?: () => number;
  timers?: Timers;
}

interface UpdaterModule {
  readonly PROGRESS_CHANNEL: string;
  readonly STATUS_CHANNEL: string;
  createUpdater(options: UpdaterOptions): Updater;
  nextDelay(intervalMs: number, jitter: number, random?: () => number): number;
  selfTestHealthCheck(executable: string, options?: { args?: string[]; timeoutMs?: number }): HealthCheck;
}

const here = path.dirname(fileURLToPath(import.meta.url)); // packages/cli/dist/test
const UPDATER = pathToFileURL(path.resolve(here, "../../../../examples/electron/updater.mjs")).href;
const load = async () => (await import(UPDATER)) as UpdaterModule;

// --- fakes of the Electron APIs the updater is given ---

interface FakeApp {
  readonly calls: string[];
  getPath(name: string): string;
  getVersion(): string;
  getName(): string;
  relaunch(options?: object): void;
  quit(): void;
}

function fakeApp(userData: string, version: string): FakeApp {
  const calls: string[] = [];
  return {
    calls,
    getPath: (name) => {
      assert.equal(name, "userData");
      return userData;
    },
    getVersion: () => version,
    getName: () => "Demo",
    relaunch: () => calls.push("relaunch"),
    quit: () => calls.push("quit"),
  };
}

interface FakeIpc {
  readonly sent: Array<{ channel: string; payload: Record<string, unknown> }>;
  send(channel: string, payload: Record<string, unknown>): void;
}

function fakeIpc(): FakeIpc {
  const sent: FakeIpc["sent"] = [];
  return { sent, send: (channel, payload) => sent.push({ channel, payload }) };
}

interface MessageBoxOptions {
  readonly buttons: string[];
  readonly message: string;
}

interface FakeDialog {
  readonly asked: MessageBoxOptions[];
  showMessageBox(options: MessageBoxOptions): Promise<{ response: number; checkboxChecked: boolean }>;
}

/** A user who clicks `answer` whenever it is offered (else the cancel button). */
function fakeDialog(answer: string): FakeDialog {
  const asked: MessageBoxOptions[] = [];
  return {
    asked,
    showMessageBox: async (options) => {
      asked.push(options);
      const i = options.buttons.indexOf(answer);
      return { response: i === -1 ? options.buttons.length - 1 : i, checkboxChecked: false };
    },
  };
}

// --- the vendor side ---

const PLATFORM = `${process.platform}-${process.arch}`;

/** What `bin/app --self-test` does: pass, crash on start, or hang (writing its pid to a file). */
type SelfTest = "passes" | "crashes" | { readonly hangsWritingPidTo: string };

/** A release; ~256 KiB, so its download reports progress in several steps. */
function appRelease(version: string, selfTest: SelfTest = "passes"): Buffer {
  const onSelfTest =
    selfTest === "passes"
      ? "exit 0"
      : selfTest === "crashes"
        ? 'echo "crashed on start" >&2; exit 1'
        : `echo $$ > '${selfTest.hangsWritingPidTo}'; exec sleep 60`;
  return tarGz({
    VERSION: `${version}\n`,
    "bin/app": `#!/bin/sh\nif [ "$1" = "--self-test" ]; then ${onSelfTest}; fi\necho "demo ${version}"\n`,
    "resources/app.asar": randomBytes(256 * 1024),
  });
}

/** Whether a process exists, waiting up to `ms` for it to go. */
async function gone(pid: number, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
  }
  return false;
}

async function cli(argv: string[]): Promise<void> {
  const run = await runCli(argv);
  assert.equal(run.code, 0, `bulwark ${argv.join(" ")}: ${run.stderr}`);
}

describe("examples/electron: the updater in a main process (Electron faked)", () => {
  let work: string;
  let repo: string;
  let server: StaticServer;
  let root: Buffer;
  let mod: UpdaterModule;

  const publish = async (version: string, selfTest: SelfTest = "passes") => {
    const file = path.join(work, `demo-${version}.tar.gz`);
    writeFileSync(file, appRelease(version, selfTest));
    await cli(["release", "add", repo, file, "--name", "demo", "--version", version, "--platform", PLATFORM]);
    await cli(["repo", "publish", repo]);
  };

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), "bulwark-electron-"));
    repo = path.join(work, "repo");
    await cli(["repo", "init", repo, "--single-key"]);
    await publish("1.0.0");
    await publish("1.1.0");
    server = await createStaticServer(path.join(repo, "public"));
    root = readFileSync(path.join(repo, "public", "metadata", "1.root.json"));
    mod = await load();
  });

  after(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** An installed app: its userData and install folders, the fakes, and the updater. */
  const endpoint = (
    label: string,
    answer: string,
    appVersion = "1.0.0",
    extra: Partial<UpdaterOptions> = {},
    selfTestMs = 10_000,
  ) => {
    const dir = path.join(work, label);
    const installRoot = path.join(dir, "app");
    const app = fakeApp(path.join(dir, "userData"), appVersion);
    const ipc = fakeIpc();
    const dialog = fakeDialog(answer);
    const events: ClientEvent[] = [];
    const updater = mod.createUpdater({
      app,
      ipc,
      dialog,
      name: "demo",
      serverUrl: server.url,
      trustedRoot: root,
      install: { strategy: "directory", root: installRoot },
      healthCheck: mod.selfTestHealthCheck(path.join(installRoot, "current", "bin", "app"), { timeoutMs: selfTestMs }),
      log: (e) => events.push(e),
      ...extra,
    });
    const installed = () =>
      existsSync(path.join(installRoot, "current"))
        ? readFileSync(path.join(installRoot, "current", "VERSION"), "utf8").trim()
        : "nothing";
    /** Installs `version` as the app's own installer would have (through the same client). */
    const seed = async (version: string) => {
      const release = (await updater.client.releases()).find((r) => r.version === version);
      assert.ok(release, `release ${version} is published`);
      await updater.client.install(release);
    };
    const on = (channel: string) => ipc.sent.filter((m) => m.channel === channel).map((m) => m.payload);
    return { app, ipc, dialog, events, updater, installRoot, installed, seed, on };
  };

  it("check → download (progress to the renderer) → the user installs → relaunch", async () => {
    const e = endpoint("install-now", "Install now");
    await e.seed("1.0.0");
    assert.equal(e.installed(), "1.0.0");

    const outcome = await e.updater.runOnce();
    assert.deepEqual(outcome, { action: "installed", from: "1.0.0", to: "1.1.0" });
    assert.equal(e.installed(), "1.1.0");
    assert.deepEqual(e.app.calls, ["relaunch", "quit"]);

    const progress = e.on(mod.PROGRESS_CHANNEL);
    assert.ok(progress.length >= 2, `several progress events (got ${progress.length})`);
    for (const p of progress) assert.equal(p.version, "1.1.0");
    const received = progress.map((p) => p.received as number);
    assert.deepEqual(
      received,
      [...received].sort((a, b) => a - b),
      "progress only grows",
    );
    const last = progress.at(-1);
    assert.equal(last?.received, last?.total);
    assert.equal(last?.percent, 100);

    assert.equal(e.dialog.asked.length, 1);
    assert.deepEqual(e.dialog.asked[0]?.buttons, ["Install now", "Later"]);
    assert.match(e.dialog.asked[0]?.message ?? "", /Demo 1\.1\.0/);
    assert.deepEqual(
      e.on(mod.STATUS_CHANNEL).map((s) => s.state),
      ["checking", "downloading", "downloaded", "installing", "installed"],
    );
    const names = e.events.map((ev) => ev.event);
    for (const name of ["update-available", "downloaded", "health-check", "installed", "relaunching"])
      assert.ok(names.includes(name), `logged ${name}: ${names.join(", ")}`);
  });

  it("the user answers Later: downloaded, nothing installed, asked again at the next check", async () => {
    const e = endpoint("later", "Later");
    await e.seed("1.0.0");

    assert.deepEqual(await e.updater.runOnce(), { action: "deferred", version: "1.1.0" });
    assert.equal(e.installed(), "1.0.0");
    assert.equal(await e.updater.client.currentVersion(), "1.0.0");
    assert.deepEqual(e.app.calls, []);
    assert.ok(e.on(mod.PROGRESS_CHANNEL).length > 0, "the download ran");
    assert.ok(e.events.some((ev) => ev.event === "update-deferred"));

    assert.deepEqual(await e.updater.runOnce(), { action: "deferred", version: "1.1.0" });
    assert.equal(e.dialog.asked.length, 2);
    assert.equal(e.installed(), "1.0.0");
    assert.deepEqual(e.app.calls, []);
  });

  it("a new version that fails its self-test is rolled back; no relaunch; not offered again", async () => {
    const e = endpoint("broken", "Install now", "1.1.0");
    await e.seed("1.1.0");
    await publish("1.2.0", "crashes"); // its self-test exits 1

    const outcome = await e.updater.runOnce();
    assert.equal(outcome.action, "rolled-back");
    assert.equal(outcome.version, "1.2.0");
    assert.match(outcome.reason ?? "", /health check/);
    assert.equal(e.installed(), "1.1.0");
    assert.equal(await e.updater.client.currentVersion(), "1.1.0");
    assert.equal(existsSync(path.join(e.installRoot, "versions", "1.2.0")), false, "the failed version is removed");
    assert.deepEqual(e.app.calls, [], "the healthy old version keeps running");
    assert.deepEqual(e.on(mod.STATUS_CHANNEL).at(-1), {
      state: "rolled-back",
      version: "1.2.0",
      to: "1.1.0",
      message: outcome.reason,
    });
    const names = e.events.map((ev) => ev.event);
    assert.ok(names.includes("rolling-back") && names.includes("rolled-back"), names.join(", "));

    assert.deepEqual(await e.updater.runOnce(), { action: "none", current: "1.1.0" });
    assert.equal(e.dialog.asked.length, 1, "the failed version is not offered again");
  });

  it("a first version laid out by the app's installer (not the client) is what a failed update rolls back to", async () => {
    const e = endpoint("installer-laid-out", "Install now", "1.1.0");
    // What an installer (or the launcher's first run) puts on disk: versions/1.1.0 + current.
    mkdirSync(path.join(e.installRoot, "versions", "1.1.0", "bin"), { recursive: true });
    writeFileSync(path.join(e.installRoot, "versions", "1.1.0", "VERSION"), "1.1.0\n");
    symlinkSync(path.join("versions", "1.1.0"), path.join(e.installRoot, "current"));

    const outcome = await e.updater.runOnce(); // offers 1.2.0, whose self-test crashes
    assert.equal(outcome.action, "rolled-back");
    assert.equal(outcome.version, "1.2.0");
    assert.equal(e.installed(), "1.1.0", "`current` still points at the installed version");
    assert.ok(e.events.some((ev) => ev.event === "rolled-back"));
    assert.deepEqual(e.app.calls, []);
  });

  it("a self-test that hangs is killed at its time limit, and the update rolled back", async () => {
    const pidFile = path.join(work, "hung.pid");
    await publish("1.3.0", { hangsWritingPidTo: pidFile });
    const e = endpoint("hangs", "Install now", "1.1.0", {}, 500);
    await e.seed("1.1.0");

    const outcome = await e.updater.runOnce();
    assert.equal(outcome.action, "rolled-back");
    assert.equal(outcome.version, "1.3.0");
    // The self-test's own 0.5 s limit decided ("reported failure"), not the client's backstop ("timed out").
    assert.match(outcome.reason ?? "", /health check reported failure/);
    assert.equal(e.installed(), "1.1.0");
    assert.deepEqual(e.app.calls, []);
    const pid = Number(readFileSync(pidFile, "utf8"));
    assert.ok(await gone(pid, 2_000), `the hung self-test (pid ${pid}) was killed`);
  });

  it("the kill switch: the running version is revoked → rolled back to the last good one, restart offered", async () => {
    const e = endpoint("revoked", "Restart now");
    await e.seed("1.0.0");
    await e.seed("1.1.0");
    await cli(["release", "revoke", repo, "demo@1.1.0", "--reason", "corrupts settings"]);

    const outcome = await e.updater.runOnce();
    assert.equal(outcome.action, "rolled-back");
    assert.equal(outcome.from, "1.1.0");
    assert.equal(outcome.to, "1.0.0");
    assert.equal(e.installed(), "1.0.0");
    assert.deepEqual(e.app.calls, ["relaunch", "quit"]);
    assert.deepEqual(e.dialog.asked[0]?.buttons, ["Restart now", "Later"]);
    assert.match(e.dialog.asked[0]?.message ?? "", /withdrawn/);
    assert.ok(e.events.some((ev) => ev.event === "kill-switch"));
    assert.deepEqual(
      e.on(mod.STATUS_CHANNEL).map((st) => [st.state, st.version, st.to]),
      [
        ["checking", undefined, undefined],
        ["revoked", "1.1.0", undefined],
        ["rolled-back", "1.1.0", "1.0.0"],
      ],
    );
  });

  it("start() checks after the startup delay, then every interval ± jitter; stop() ends it", async () => {
    const scheduled: Array<{ fn: () => unknown; ms: number }> = [];
    const cleared: unknown[] = [];
    const timers: Timers = {
      setTimeout: (fn, ms) => {
        const handle = { fn, ms, unref() {} };
        scheduled.push(handle);
        return handle;
      },
      clearTimeout: (handle) => cleared.push(handle),
    };
    // Fixed randomness: the low end of the jitter window.
    const e = endpoint("timers", "Later", "9.0.0", {
      intervalMs: 1000,
      jitter: 0.2,
      startupDelayMs: 50,
      random: () => 0,
      timers,
    });
    const updater = e.updater;
    updater.start();
    updater.start(); // idempotent
    assert.deepEqual(
      scheduled.map((s) => s.ms),
      [50],
    );
    await scheduled[0]?.fn(); // the first check runs: 9.0.0 is newer than anything published
    assert.deepEqual(
      scheduled.map((s) => s.ms),
      [50, 800],
    );
    assert.equal(e.on(mod.STATUS_CHANNEL).at(-1)?.state, "up-to-date");
    updater.stop();
    assert.deepEqual(cleared, [scheduled[1]]);

    assert.equal(
      mod.nextDelay(1000, 0.2, () => 1),
      1200,
    );
    assert.equal(
      mod.nextDelay(1000, 0.2, () => 0.5),
      1000,
    );
  });
});
