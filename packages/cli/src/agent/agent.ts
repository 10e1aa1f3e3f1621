/**
 * The endpoint agent: one update cycle per poll (recover, honour a revocation, install the
 * newest applicable release), with jitter so a fleet does not poll in step, exponential
 * back-off after failures, JSON-lines logs, and a status file `bulwark agent status` reads.
 */
import { appendFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import {
  CLIENT_ERRORS,
  type ClientEvent,
  CommandStrategy,
  DirectoryStrategy,
  type RepositoryTrust,
  UpdateClient,
  type UpdateClientOptions,
  type UpdateOutcome,
} from "@bulwark/client";
import { BulwarkError, type Fetcher, readFileIfExists, writeFileAtomic } from "@bulwark/tuf";
import type { AgentConfig, AgentSource } from "./config.js";

/** What `bulwark agent status` shows. */
export interface AgentStatus {
  readonly pid: number;
  readonly startedAt: string;
  readonly lastCheckAt?: string;
  readonly lastOutcome?: UpdateOutcome;
  readonly lastError?: { readonly code: string; readonly message: string; readonly at: string };
  readonly consecutiveFailures: number;
  readonly nextCheckAt?: string;
  readonly current?: string;
}

/** How one cycle ended. */
export type CycleResult = "ok" | "failed" | "running-revoked";

/**
 * Whether the last cycle failed with `CLIENT_RUNNING_REVOKED`: the endpoint runs a version
 * the vendor revoked, and stale or expired metadata keeps it from rolling back. A later
 * successful cycle clears it (it resets `consecutiveFailures`).
 */
export function runningRevoked(status: AgentStatus | undefined): boolean {
  return (
    status !== undefined && status.consecutiveFailures > 0 && status.lastError?.code === CLIENT_ERRORS.RUNNING_REVOKED
  );
}

/** The status file of an agent with this configuration. */
export function statusFile(config: AgentConfig): string {
  return path.join(config.dataDir, "agent-status.json");
}

/** Reads the last status an agent wrote, if any. */
export async function readStatus(config: AgentConfig): Promise<AgentStatus | undefined> {
  const bytes = await readFileIfExists(statusFile(config));
  return bytes === undefined ? undefined : (JSON.parse(bytes.toString("utf8")) as AgentStatus);
}

/** The delay before the next poll: the interval (or back-off after failures) plus jitter. */
export function nextDelay(config: AgentConfig, failures: number, random = Math.random): number {
  const base =
    failures === 0
      ? config.poll.intervalMs
      : Math.min(config.poll.maxBackoffMs, 30_000 * 2 ** Math.min(failures - 1, 20));
  return Math.round(base + random() * config.poll.jitterMs);
}

/**
 * Waits `ms`, or until `signal` aborts. The abort listener goes when the wait ends, so a
 * daemon that polls for months adds none per cycle (a `{ once: true }` listener stays until
 * the signal aborts: one per poll, `MaxListenersExceededWarning` after eleven).
 */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch((error: unknown) => {
    if (!signal.aborted) throw error;
  });
}

/** What an agent may be given besides its configuration (tests: a fake clock, an in-memory repository). */
export interface AgentHooks {
  /** Waits between cycles; {@link sleep} by default. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Where the client's bytes come from; HTTP by default. */
  readonly fetcher?: Fetcher;
  /** Makes the cycle's update client; a new {@link UpdateClient} by default. */
  readonly client?: (options: UpdateClientOptions) => Pick<UpdateClient, "update" | "currentVersion">;
}

/** The client's first trust anchors: the root file, or each TAP 4 repository's, read now. */
async function trustedRoots(source: AgentSource): Promise<Pick<UpdateClientOptions, "trustedRoot" | "repositories">> {
  if (source.kind === "repository") return { trustedRoot: await readFile(source.rootFile) };
  const trust = new Map<string, RepositoryTrust>();
  for (const [name, { rootFile, ...requirements }] of source.trust) {
    trust.set(name, { ...requirements, root: await readFile(rootFile) });
  }
  return { repositories: { map: source.map, trust } };
}

export class Agent {
  private readonly options: UpdateClientOptions;
  private status: AgentStatus;
  private seeded = false;
  /** Set while {@link run} polls: each cycle's status then says when the next one is. */
  private polling = false;
  /** The wait before the next cycle, as the status file says. */
  private nextWait = 0;
  private logWrites: Promise<void> = Promise.resolve();

  constructor(
    readonly config: AgentConfig,
    private readonly writeLine: (line: string) => void,
    private readonly hooks: AgentHooks = {},
  ) {
    this.status = { pid: process.pid, startedAt: new Date().toISOString(), consecutiveFailures: 0 };
    this.options = {
      name: config.name,
      channel: config.channel,
      ...(config.platform ? { platform: config.platform } : {}),
      ...(config.source.kind === "repository"
        ? { metadataUrl: config.source.metadataUrl, targetsUrl: config.source.targetsUrl }
        : {}),
      dataDir: config.dataDir,
      install:
        config.install.strategy === "directory"
          ? new DirectoryStrategy(config.install.dir, config.limits ?? {})
          : new CommandStrategy(config.install.command, config.dataDir),
      ...(config.healthCheck ? { healthCheck: { ...config.healthCheck } } : {}),
      ...(config.requirePolicies ? { requirePolicies: config.requirePolicies } : {}),
      ...(config.minRootVersion === undefined ? {} : { minRootVersion: config.minRootVersion }),
      ...(hooks.fetcher ? { fetcher: hooks.fetcher } : {}),
      ...(config.download ? { downloadLimits: config.download } : {}),
      // Stuck on a revoked version is the one client event an operator must act on.
      log: (e) => this.log(e.event === "running-revoked" ? "error" : "info", e),
    };
  }

  /** Writes one JSON-lines record (stdout, and the log file when configured). */
  log(level: "info" | "warn" | "error", event: ClientEvent): void {
    const line = JSON.stringify({ time: new Date().toISOString(), level, ...event });
    this.writeLine(line);
    const file = this.config.log;
    if (file !== undefined) {
      // One append after another, so the file keeps the order of the records.
      this.logWrites = this.logWrites
        .then(() => mkdir(path.dirname(file), { recursive: true }))
        .then(() => appendFile(file, `${line}\n`))
        .catch(() => undefined);
    }
  }

  /** Waits for every log record to reach the log file. */
  flushLog(): Promise<void> {
    return this.logWrites;
  }

  /**
   * Records a cycle's end in the status file, once per cycle (with the next check when
   * polling). The file is only a report, so its folder is not fsynced: a crash may lose the
   * last one, never tear it.
   */
  private async saveStatus(patch: Partial<AgentStatus>): Promise<void> {
    const failures = patch.consecutiveFailures ?? this.status.consecutiveFailures;
    const next = this.polling
      ? { nextCheckAt: new Date(Date.now() + nextDelay(this.config, failures)).toISOString() }
      : {};
    this.status = { ...this.status, ...patch, ...next };
    await mkdir(this.config.dataDir, { recursive: true });
    await writeFileAtomic(statusFile(this.config), Buffer.from(`${JSON.stringify(this.status, null, 2)}\n`), {
      syncDirectory: false,
    });
  }

  /**
   * One update cycle; never throws (failures are logged and counted). `running-revoked`:
   * it failed while the version running is one the vendor revoked (see {@link runningRevoked}).
   */
  async cycle(): Promise<CycleResult> {
    if (!this.seeded) {
      // Carry the record of earlier runs (cron runs `--once`): failures keep counting.
      this.seeded = true;
      const previous = await readStatus(this.config).catch(() => undefined);
      if (previous !== undefined) {
        const { pid: _pid, startedAt: _started, nextCheckAt: _next, ...kept } = previous;
        this.status = { ...this.status, ...kept };
      }
    }
    try {
      // The root file is only the first trust anchor; later roots come from the repository.
      const options = { ...this.options, ...(await trustedRoots(this.config.source)) };
      const client = this.hooks.client?.(options) ?? new UpdateClient(options);
      const outcome = await client.update();
      this.log("info", { event: "cycle", message: `update cycle: ${outcome.action}`, outcome });
      await this.saveStatus({
        lastCheckAt: new Date().toISOString(),
        lastOutcome: outcome,
        consecutiveFailures: 0,
        ...(await client.currentVersion().then((v) => (v ? { current: v } : {}))),
      });
      await this.flushLog();
      return "ok";
    } catch (error) {
      const code = error instanceof BulwarkError ? error.code : "INTERNAL";
      const message = (error as Error).message;
      this.log("error", { event: "cycle-failed", message, code });
      await this.saveStatus({
        lastCheckAt: new Date().toISOString(),
        lastError: { code, message, at: new Date().toISOString() },
        consecutiveFailures: this.status.consecutiveFailures + 1,
      });
      await this.flushLog();
      return code === CLIENT_ERRORS.RUNNING_REVOKED ? "running-revoked" : "failed";
    }
  }

  /** Polls until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.log("info", {
      event: "agent-started",
      message: `agent for ${this.config.name} (${this.config.channel}) started`,
      pid: process.pid,
    });
    this.polling = true;
    while (!signal.aborted) {
      await this.cycle();
      await (this.hooks.sleep ?? sleep)(this.nextWait, signal);
    }
    this.polling = false;
    this.log("info", { event: "agent-stopped", message: "agent stopped" });
  }
}
