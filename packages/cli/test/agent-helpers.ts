/**
 * Helpers of the agent's end-to-end tests: an agent configuration file in a temporary
 * folder, `bulwark agent --once` and `bulwark agent status --json` through the CLI, and
 * the JSON-lines records the agent prints.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { TestLike } from "@bulwark/testkit";
import { APP, type Vendor } from "./e2e-helpers.js";
import { type CliRun, runCli, tempDir } from "./helpers.js";

export interface Status {
  readonly running: boolean;
  readonly current: string | null;
  readonly previous: string[];
  readonly failed: SetAside[];
  readonly refused: SetAside[];
  readonly revoked: Array<{ version: string; reason: string | null; at: string | null; seenAt: string }>;
  readonly runningRevoked: { version: string; reason: string | null; message: string } | null;
  readonly operationInProgress: unknown;
  readonly lastCheckAt: string | null;
  readonly lastOutcome: Record<string, unknown> | null;
  readonly lastError: { code: string; message: string; at: string } | null;
  readonly consecutiveFailures: number;
  readonly nextCheckAt: string | null;
}

/** A failed or refused version in `agent status --json`. */
export interface SetAside {
  readonly version: string;
  readonly code: string | null;
  readonly reason: string | null;
  readonly at: string | null;
}

export interface LogLine {
  readonly time: string;
  readonly level: string;
  readonly event: string;
  readonly [key: string]: unknown;
}

export interface Setup {
  readonly config: string;
  readonly appDir: string;
  readonly dataDir: string;
  readonly logFile: string;
}

/** An agent configuration file in a temporary folder (paths relative to it, as documented). */
export function agentConfig(
  t: TestLike,
  repository: { metadataUrl: string; targetsUrl: string; root: Buffer },
  extra: Record<string, unknown> = {},
): Setup {
  const dir = tempDir(t, "bulwark-agent-");
  writeFileSync(path.join(dir, "root.json"), repository.root);
  const config = path.join(dir, "agent.json");
  const json = {
    name: APP,
    channel: "stable",
    platform: "linux-x64",
    repository: { metadataUrl: repository.metadataUrl, targetsUrl: repository.targetsUrl, root: "root.json" },
    dataDir: "data",
    install: { strategy: "directory", dir: "app" },
    healthCheck: { command: ["sh", "bin/selftest"], timeout: "10s" },
    poll: { interval: "1h", jitter: "1m", maxBackoff: "6h" },
    log: "logs/agent.jsonl",
    ...extra,
  };
  writeFileSync(config, JSON.stringify(json, null, 2));
  return {
    config,
    appDir: path.join(dir, "app"),
    dataDir: path.join(dir, "data"),
    logFile: path.join(dir, "logs", "agent.jsonl"),
  };
}

export function vendorRepository(vendor: Vendor) {
  return { metadataUrl: vendor.metadataUrl, targetsUrl: vendor.targetsUrl, root: vendor.root() };
}

/** Parses JSON-lines output, asserting every line is a log record. */
export function logLines(stdout: string): LogLine[] {
  const lines = stdout.split("\n").filter((l) => l !== "");
  assert.ok(lines.length > 0, "the agent logged nothing");
  return lines.map((line) => {
    const record = JSON.parse(line) as LogLine;
    assert.equal(typeof record.event, "string", line);
    assert.ok(["info", "warn", "error"].includes(record.level), line);
    assert.ok(!Number.isNaN(Date.parse(record.time)), `bad time in ${line}`);
    return record;
  });
}

export async function once_(setup: Setup): Promise<{ code: number; logs: LogLine[] }> {
  const run = await runCli(["agent", "--config", setup.config, "--once"]);
  return { code: run.code, logs: logLines(run.stdout) };
}

export async function status(setup: Setup): Promise<Status> {
  const run = await statusRun(setup);
  assert.equal(run.code, 0, JSON.stringify(run.status));
  return run.status;
}

/** `bulwark agent status --json`, whatever its exit code. */
export async function statusRun(setup: Setup): Promise<{ code: number; status: Status }> {
  const run = await runCli(["agent", "status", "--config", setup.config, "--json"]);
  return { code: run.code, status: run.json<Status>() };
}

export async function eventually(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

/** A URL on 127.0.0.1 where nothing listens. */
export async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/`;
}

/**
 * An agent configuration with no health check and no log file, for the attack tests: what
 * they check is what the agent installs or refuses.
 */
export function plainAgentConfig(t: TestLike, vendor: Vendor): Setup {
  return agentConfig(t, vendorRepository(vendor), { healthCheck: undefined, log: undefined });
}

/** `bulwark agent --config FILE --once`. */
export function agentOnce(setup: Setup): Promise<CliRun> {
  return runCli(["agent", "--config", setup.config, "--once"]);
}

/** The `cycle-failed` record of an agent run's JSON-lines output, if any. */
export function cycleFailure(run: CliRun): { code?: string; message?: string } | undefined {
  return logLines(run.stdout).find((l) => l.event === "cycle-failed") as
    | { code?: string; message?: string }
    | undefined;
}

/** The version the agent's application runs (`current/VERSION`). */
export function runningVersion(setup: Setup): string {
  return readFileSync(path.join(setup.appDir, "current", "VERSION"), "utf8").trim();
}
