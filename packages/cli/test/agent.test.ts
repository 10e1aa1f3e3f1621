/**
 * The endpoint agent (`bulwark agent`, `bulwark agent status`) against a vendor repository
 * served over loopback HTTP: one cycle at a time with `--once` (install, update, roll back
 * a revoked release, fail on an unreachable repository), its JSON-lines logs and status,
 * the poll delay (`nextDelay`: exponential back-off, jitter), and the real daemon stopped
 * by SIGTERM.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { nextDelay } from "../src/agent/agent.js";
import type { AgentConfig } from "../src/agent/config.js";
import { agentConfig, deadUrl, eventually, logLines, once_, status, vendorRepository } from "./agent-helpers.js";
import { APP, Vendor } from "./e2e-helpers.js";
import { BULWARK_BIN } from "./helpers.js";

describe("bulwark agent --once", () => {
  it("installs, updates and rolls back a revoked release, with JSON-lines logs and a status", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const setup = agentConfig(t, vendorRepository(vendor));

    const first = await once_(setup);
    assert.equal(first.code, 0);
    const events = first.logs.map((l) => l.event);
    for (const e of ["checking", "update-available", "downloaded", "health-check", "installed", "cycle"])
      assert.ok(events.includes(e), `no ${e} in ${events.join(",")}`);
    assert.ok(first.logs.every((l) => l.level === "info"));
    assert.equal(readFileSync(path.join(setup.appDir, "current", "VERSION"), "utf8"), "1.0.0\n");
    let s = await status(setup);
    assert.equal(s.current, "1.0.0");
    assert.deepEqual(s.lastOutcome, { action: "installed", to: "1.0.0" });
    assert.equal(s.lastError, null);
    assert.equal(s.consecutiveFailures, 0);
    assert.equal(s.operationInProgress, null);
    assert.ok(s.lastCheckAt !== null && !Number.isNaN(Date.parse(s.lastCheckAt)));

    // The log file gets the same records (written asynchronously: wait for them).
    const logged = () => (existsSync(setup.logFile) ? readFileSync(setup.logFile, "utf8") : "");
    assert.ok(await eventually(() => logLines(logged()).length >= first.logs.length, 2_000), "log file incomplete");
    assert.deepEqual(
      logLines(logged()).map((l) => l.event),
      events,
      "the log file has the records in order",
    );

    await vendor.release("1.1.0");
    const second = await once_(setup);
    assert.equal(second.code, 0);
    s = await status(setup);
    assert.equal(s.current, "1.1.0");
    assert.deepEqual(s.lastOutcome, { action: "installed", from: "1.0.0", to: "1.1.0" });
    assert.deepEqual(s.previous, ["1.0.0"]);

    await vendor.revoke("1.1.0", "crashes on start");
    const third = await once_(setup);
    assert.equal(third.code, 0);
    assert.ok(third.logs.some((l) => l.event === "rolled-back"));
    s = await status(setup);
    assert.equal(s.current, "1.0.0");
    assert.equal(s.lastOutcome?.action, "rolled-back");
    assert.equal(s.lastOutcome?.from, "1.1.0");
    assert.equal(s.lastOutcome?.to, "1.0.0");
    assert.match(String(s.lastOutcome?.reason), /crashes on start/);
    assert.ok(s.failed.some((f) => f.version === "1.1.0" && f.code === "CLIENT_RELEASE_REVOKED"));
    assert.equal(readFileSync(path.join(setup.appDir, "current", "VERSION"), "utf8"), "1.0.0\n");

    // Up to date now: a cycle does nothing.
    await once_(setup);
    assert.deepEqual((await status(setup)).lastOutcome, { action: "none", current: "1.0.0" });
  });

  it("exits 1 when the repository is unreachable; status shows the error and the failure count", async (t) => {
    const vendor = await Vendor.create(t);
    const url = await deadUrl();
    const setup = agentConfig(t, { metadataUrl: `${url}metadata/`, targetsUrl: `${url}targets/`, root: vendor.root() });

    const run = await once_(setup);
    assert.equal(run.code, 1);
    const failed = run.logs.find((l) => l.event === "cycle-failed");
    assert.ok(failed, "a cycle-failed record");
    assert.equal(failed.level, "error");
    assert.equal(failed.code, "DOWNLOAD_NETWORK");
    const s = await status(setup);
    assert.equal(s.current, null);
    assert.equal(s.lastError?.code, "DOWNLOAD_NETWORK");
    assert.match(s.lastError?.message ?? "", /127\.0\.0\.1/);
    assert.equal(s.consecutiveFailures, 1);
  });

  it("counts consecutive failures across --once runs (cron), and keeps the last outcome", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const good = agentConfig(t, vendorRepository(vendor));
    assert.equal((await once_(good)).code, 0);
    // The same installation, its repository now unreachable.
    const url = await deadUrl();
    const config = JSON.parse(readFileSync(good.config, "utf8"));
    config.repository = { ...config.repository, metadataUrl: `${url}metadata/`, targetsUrl: `${url}targets/` };
    writeFileSync(good.config, JSON.stringify(config));

    assert.equal((await once_(good)).code, 1);
    assert.equal((await once_(good)).code, 1);
    const s = await status(good);
    assert.equal(s.current, "1.0.0");
    assert.equal(s.lastError?.code, "DOWNLOAD_NETWORK");
    assert.deepEqual(
      { consecutiveFailures: s.consecutiveFailures, lastOutcome: s.lastOutcome },
      { consecutiveFailures: 2, lastOutcome: { action: "installed", to: "1.0.0" } },
      "two cycles in a row failed, and the last outcome is kept",
    );
  });
});

describe("nextDelay", () => {
  const HOUR = 3_600_000;
  const config: AgentConfig = {
    file: "agent.json",
    name: APP,
    channel: "stable",
    source: {
      kind: "repository",
      metadataUrl: "http://127.0.0.1/metadata/",
      targetsUrl: "http://127.0.0.1/targets/",
      rootFile: "root.json",
    },
    dataDir: "data",
    install: { strategy: "directory", dir: "app" },
    poll: { intervalMs: HOUR, jitterMs: 10 * 60_000, maxBackoffMs: 6 * HOUR },
  };
  const noJitter = () => 0;

  it("waits the poll interval while all is well", () => {
    assert.equal(nextDelay(config, 0, noJitter), HOUR);
  });

  it("backs off exponentially from 30 s after failures, up to maxBackoff", () => {
    const delays = Array.from({ length: 12 }, (_, i) => nextDelay(config, i + 1, noJitter));
    assert.deepEqual(delays.slice(0, 5), [30_000, 60_000, 120_000, 240_000, 480_000]);
    for (let i = 1; i < delays.length; i++) {
      const [prev, cur] = [delays[i - 1] as number, delays[i] as number];
      assert.ok(cur === 2 * prev || cur === config.poll.maxBackoffMs, `${prev} → ${cur}`);
    }
    assert.equal(delays.at(-1), config.poll.maxBackoffMs);
    for (const failures of [30, 1_000, 1_000_000]) assert.equal(nextDelay(config, failures, noJitter), 6 * HOUR);
  });

  it("adds jitter within [0, jitter] on top of the base delay (property)", () => {
    fc.assert(
      fc.property(fc.nat({ max: 2_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (f, r) => {
        const base = nextDelay(config, f, noJitter);
        const delay = nextDelay(config, f, () => r);
        assert.ok(Number.isSafeInteger(delay));
        assert.ok(delay >= base && delay <= base + config.poll.jitterMs, `${delay} outside ${base}+jitter`);
        if (f > 0) assert.ok(base <= config.poll.maxBackoffMs);
        assert.ok(nextDelay(config, f + 1, noJitter) >= base || f === 0);
      }),
    );
  });

  it("spreads real jitter over the window (Math.random)", () => {
    const samples = Array.from({ length: 1_000 }, () => nextDelay(config, 0));
    for (const d of samples) assert.ok(d >= HOUR && d <= HOUR + config.poll.jitterMs);
    const spread = Math.max(...samples) - Math.min(...samples);
    assert.ok(spread > config.poll.jitterMs / 2, `jitter spread only ${spread} ms`);
    assert.equal(nextDelay({ ...config, poll: { ...config.poll, jitterMs: 0 } }, 0), HOUR, "no jitter configured");
  });
});

describe("bulwark agent (the daemon)", () => {
  it("runs as a real process, shows as running, and exits 0 on SIGTERM; status then shows it stopped", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const setup = agentConfig(t, vendorRepository(vendor));
    const child = spawn(process.execPath, [BULWARK_BIN, "agent", "--config", setup.config], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
    });
    const exited = once(child, "exit");

    const ready = await eventually(async () => {
      if (!stdout.includes('"event":"cycle"')) return false;
      const s = await status(setup);
      return s.running && s.nextCheckAt !== null;
    }, 10_000);
    assert.ok(ready, `the agent did not finish a cycle: ${stdout}${stderr}`);
    const running = await status(setup);
    assert.equal(running.current, "1.0.0");
    const next = Date.parse(running.nextCheckAt as string) - Date.now();
    assert.ok(next > 50 * 60_000 && next <= 61 * 60_000 + 1_000, `next check in ${next} ms (1 h + up to 1 m)`);

    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    const [code, signal] = await exited;
    clearTimeout(timer);
    assert.equal(signal, null, "stopped by SIGTERM cleanly, not killed");
    assert.equal(code, 0, stderr);
    const logs = logLines(stdout);
    assert.equal(logs[0]?.event, "agent-started");
    assert.equal(logs.at(-1)?.event, "agent-stopped");
    const stopped = await status(setup);
    assert.equal(stopped.running, false);
    assert.equal(stopped.nextCheckAt, null);
    assert.equal(stopped.current, "1.0.0");
  });
});
