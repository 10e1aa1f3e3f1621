/**
 * Health checks: after a new version becomes current, a command or a callback must say it
 * works within a time limit, or the client rolls back. A command that hangs is killed
 * (its whole process group) at the timeout.
 */
import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";

/** What a health check is told. */
export interface HealthContext {
  /** The version just switched in. */
  readonly version: string;
  /** The installed version's folder (directory strategy) or the release file (command strategy). */
  readonly path: string;
}

/**
 * A health check: a command (exit 0 within `timeoutMs` means healthy; it runs in the
 * version's folder with BULWARK_VERSION and BULWARK_PATH set), or a callback that resolves
 * to true. {@link HEALTH_CHECK_TIMEOUT_MS} when `timeoutMs` is absent.
 */
export type HealthCheck = (
  | {
      readonly command: readonly string[];
      readonly timeoutMs?: number;
      readonly env?: Readonly<Record<string, string>>;
    }
  | { readonly check: (ctx: HealthContext) => Promise<boolean>; readonly timeoutMs?: number }
) &
  HealthCheckRetries;

/**
 * A failed health check may be run again before the version counts as failed: an app that
 * needs a few seconds more to come up, a port still held by the old version.
 */
export interface HealthCheckRetries {
  /** How many times the check runs at most; 1 (no retry) by default. */
  readonly attempts?: number;
  /** The wait before each retry, in order (the last one repeats); {@link HEALTH_CHECK_RETRY_DELAYS_MS} by default. */
  readonly retryDelaysMs?: readonly number[];
}

/** What the agent uses when its configuration says nothing: 3 attempts, 5 s then 15 s apart. */
export const HEALTH_CHECK_ATTEMPTS = 3;

/** Waits before the second and third attempts of a health check. */
export const HEALTH_CHECK_RETRY_DELAYS_MS: readonly number[] = [5_000, 15_000];

/** Default time a health check may take. */
export const HEALTH_CHECK_TIMEOUT_MS = 30_000;

/** The outcome of a health check. */
export interface HealthResult {
  /** Whether the version is healthy. */
  readonly ok: boolean;
  /** Why, in words (exit code, timeout, what the callback threw). */
  readonly reason: string;
  /** How long the check took. */
  readonly ms: number;
}

/**
 * Runs `check` up to `check.attempts` times, waiting `check.retryDelaysMs` between tries,
 * until it passes; `onRetry` hears of each failure that is retried. Never throws.
 */
export async function runHealthCheckWithRetries(
  check: HealthCheck,
  ctx: HealthContext,
  onRetry: (failed: HealthResult, attempt: number, waitMs: number) => void = () => undefined,
): Promise<HealthResult & { readonly attempts: number }> {
  const attempts = Math.max(1, check.attempts ?? 1);
  const delays = check.retryDelaysMs ?? HEALTH_CHECK_RETRY_DELAYS_MS;
  for (let attempt = 1; ; attempt++) {
    const result = await runHealthCheck(check, ctx);
    if (result.ok || attempt >= attempts) return { ...result, attempts: attempt };
    const waitMs = delays[Math.min(attempt - 1, delays.length - 1)] ?? 0;
    onRetry(result, attempt, waitMs);
    await delay(waitMs);
  }
}

/** Runs `check` once, with its timeout; never throws. */
export async function runHealthCheck(check: HealthCheck, ctx: HealthContext): Promise<HealthResult> {
  const timeoutMs = check.timeoutMs ?? HEALTH_CHECK_TIMEOUT_MS;
  const started = Date.now();
  const done = (ok: boolean, reason: string): HealthResult => ({ ok, reason, ms: Date.now() - started });
  if ("check" in check) {
    let timer: NodeJS.Timeout | undefined;
    try {
      const ok = await Promise.race([
        check.check(ctx),
        new Promise<"timeout">((resolve) => {
          timer = setTimeout(() => resolve("timeout"), timeoutMs);
        }),
      ]);
      if (ok === "timeout") return done(false, `health check timed out after ${timeoutMs} ms`);
      return done(ok, ok ? "health check passed" : "health check reported failure");
    } catch (error) {
      return done(false, `health check threw: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
  const [cmd, ...args] = check.command;
  if (cmd === undefined) return done(false, "empty health check command");
  // The version's folder, or the folder of its release file (command strategy).
  const cwd = (await stat(ctx.path).catch(() => undefined))?.isDirectory() ? ctx.path : path.dirname(ctx.path);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd,
      detached: true,
      stdio: "ignore",
      env: { ...process.env, ...check.env, BULWARK_VERSION: ctx.version, BULWARK_PATH: ctx.path },
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-(child.pid as number), "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve(done(false, `health check could not start: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) resolve(done(false, `health check hung and was killed after ${timeoutMs} ms`));
      else if (code === 0) resolve(done(true, "health check passed"));
      else resolve(done(false, `health check exited with ${code ?? signal}`));
    });
  });
}
