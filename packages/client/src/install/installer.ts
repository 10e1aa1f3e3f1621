/**
 * The install side of the client: prepare, switch atomically, health-check, commit — or
 * roll back — with every step written to the journal first, and `recover()` to finish or
 * undo what a crash interrupted. {@link UpdateClient} finds and downloads releases and hands
 * the verified file here.
 */
import path from "node:path";
import { readFileIfExists } from "@bulwark/tuf";
import { CLIENT_ERRORS, ClientError } from "../errors.js";
import { type HealthCheck, runHealthCheckWithRetries } from "../health.js";
import {
  type Journal,
  type JournalState,
  type JournalVersion,
  MAX_INTERRUPTED_INSTALLS,
  setAside,
} from "../journal.js";
import type { Release } from "../release.js";
import type { InstallStrategy } from "./strategy.js";

/** Receives the installer's events (the client forwards them). */
export type InstallEvents = (event: {
  event: string;
  message: string;
  version?: string;
  [key: string]: unknown;
}) => void;

/**
 * Installs verified release files through an {@link InstallStrategy}, journalling each step
 * so that `recover()` can finish or undo it after a crash. {@link UpdateClient} makes one.
 */
export class Installer {
  /**
   * @param journal the client's journal.
   * @param install the strategy; methods that need one throw `CLIENT_NO_INSTALLER` without it.
   * @param healthCheck run after each switch, when given.
   * @param downloads the folder of verified downloads (re-installs on rollback use them).
   * @param emitEvent receives every event.
   */
  constructor(
    private readonly journal: Journal,
    private readonly install: InstallStrategy | undefined,
    private readonly healthCheck: HealthCheck | undefined,
    private readonly downloads: string,
    private readonly emitEvent: InstallEvents,
  ) {}

  private strategy(): InstallStrategy {
    if (this.install === undefined) throw new ClientError(CLIENT_ERRORS.NO_INSTALLER, "no install strategy configured");
    return this.install;
  }

  private fileOf(v: JournalVersion | undefined): string | undefined {
    if (v?.sha256 === undefined) return undefined;
    return v.fileName === undefined ? undefined : path.join(this.downloads, v.fileName);
  }

  /**
   * Installs the verified release `file`: prepare, switch atomically, health check; commits
   * on success, rolls back to the previous version on failure.
   * @throws {ClientError} `CLIENT_HEALTH_CHECK_FAILED` after rolling back.
   */
  async installFile(release: Release, file: string): Promise<void> {
    const strategy = this.strategy();
    const journalBefore = await readFileIfExists(this.journal.file);
    const state = await this.journal.load();
    const to: JournalVersion = {
      version: release.version,
      sha256: release.target.hashes.get("sha256") as string,
      fileName: path.basename(file),
    };
    // A first version put in place by an installer is not in the journal: it is the one to
    // roll back to, found on disk.
    const onDisk = await strategy.active();
    const from =
      state.current ?? (onDisk !== undefined && onDisk !== release.version ? { version: onDisk } : undefined);
    const op = (step: "preparing" | "prepared" | "switched" | "checking") =>
      this.journal.update({ operation: { kind: "install", to, ...(from ? { from } : {}), step } });
    this.emitEvent({
      event: "installing",
      version: release.version,
      message: `installing ${release.version}${from ? ` over ${from.version}` : ""}`,
    });
    await op("preparing");
    try {
      await strategy.prepare(release, file);
    } catch (error) {
      // Refused before anything switched (a hostile or oversized archive): leave no trace.
      await strategy.discard(release.version);
      await this.journal.restore(journalBefore);
      throw error;
    }
    await op("prepared");
    await strategy.activate(to, file);
    await op("switched");
    if (this.healthCheck !== undefined) {
      await op("checking");
      this.emitEvent({ event: "health-check", version: release.version, message: "running the health check" });
      const result = await runHealthCheckWithRetries(
        this.healthCheck,
        { version: release.version, path: strategy.location(release.version, file) },
        (failed, attempt, waitMs) =>
          this.emitEvent({
            event: "health-check-retry",
            version: release.version,
            message: `health check attempt ${attempt} failed (${failed.reason}); trying again in ${waitMs} ms`,
            attempt,
            waitMs,
          }),
      );
      if (!result.ok) {
        const reason = `${result.reason}${result.attempts > 1 ? `, ${result.attempts} attempts` : ""}`;
        await this.rollBack(to, from, reason, true, CLIENT_ERRORS.HEALTH_CHECK_FAILED);
        throw new ClientError(
          CLIENT_ERRORS.HEALTH_CHECK_FAILED,
          `${release.version} failed its health check (${reason}); rolled back to ${from?.version ?? "nothing"}`,
        );
      }
    }
    await this.commit(to, from);
    this.emitEvent({
      event: "installed",
      version: release.version,
      message: `${release.version} installed and healthy`,
    });
  }

  private async commit(to: JournalVersion, from: JournalVersion | undefined): Promise<void> {
    const state = this.journal.current;
    const previous = [
      ...(from ? [from] : []),
      ...state.previous.filter((p) => p.version !== to.version && p.version !== from?.version),
    ];
    const { operation: _op, interrupted, ...rest } = state;
    const { [to.version]: _done, ...stillInterrupted } = interrupted ?? {};
    await this.journal.write({
      ...rest,
      current: to,
      previous: previous.slice(0, 5),
      ...(Object.keys(stillInterrupted).length > 0 ? { interrupted: stillInterrupted } : {}),
    });
  }

  /**
   * Switches back from `failedVersion` to `to`. The version is remembered as failed (never
   * offered again) unless `markFailed` is false: an install merely cut short by a crash is
   * tried again, up to {@link MAX_INTERRUPTED_INSTALLS} times.
   * @throws {ClientError} `CLIENT_NO_INSTALLER` without an install strategy.
   */
  async rollBack(
    failedVersion: JournalVersion,
    to: JournalVersion | undefined,
    reason: string,
    markFailed = true,
    code?: string,
  ): Promise<void> {
    const strategy = this.strategy();
    const at = new Date().toISOString();
    await this.journal.update({
      operation: { kind: "rollback", from: failedVersion, ...(to ? { to } : {}), reason, step: "started" },
    });
    this.emitEvent({
      event: "rolling-back",
      version: failedVersion.version,
      message: `rolling back from ${failedVersion.version}: ${reason}`,
    });
    try {
      await strategy.activate(to, this.fileOf(to));
    } catch (error) {
      // Nothing to go back to (an installer-placed first version without its file): finish
      // the bookkeeping anyway, so recovery converges instead of failing at every start.
      if (!(error instanceof ClientError && error.code === CLIENT_ERRORS.NOTHING_TO_ROLL_BACK_TO)) throw error;
      this.emitEvent({ event: "rollback-impossible", version: failedVersion.version, message: error.message });
    }
    await this.journal.update({
      operation: { kind: "rollback", from: failedVersion, ...(to ? { to } : {}), reason, step: "switched" },
    });
    await strategy.discard(failedVersion.version);
    const state = this.journal.current;
    const { operation: _op, ...rest } = state;
    await this.journal.write({
      ...rest,
      ...(to ? { current: to } : {}),
      previous: state.previous.filter((p) => p.version !== to?.version && p.version !== failedVersion.version),
      failed: markFailed ? [...new Set([...state.failed, failedVersion.version])] : state.failed,
      ...(markFailed
        ? {
            failures: setAside(state.failures, {
              version: failedVersion.version,
              ...(code ? { code } : {}),
              reason,
              at,
            }),
          }
        : {}),
    });
    this.emitEvent({
      event: "rolled-back",
      version: to?.version ?? "",
      message: `rolled back to ${to?.version ?? "no version"}`,
      reason,
    });
  }

  /**
   * Finishes or undoes an install or rollback that a crash interrupted. An install that had
   * not passed its health check is rolled back; a rollback is completed. Idempotent.
   * @throws {ClientError} `CLIENT_NO_INSTALLER` when there is something to recover and no strategy.
   */
  async recover(): Promise<JournalState> {
    const state = await this.journal.load();
    const op = state.operation;
    if (op === undefined) return state;
    const strategy = this.strategy();
    this.emitEvent({ event: "recovering", message: `finishing an interrupted ${op.kind} (${op.step})` });
    if (op.kind === "install") {
      if (op.step === "preparing" || op.step === "prepared") {
        // Never switched: the current version is untouched; drop the partial new one.
        await strategy.activate(op.from, this.fileOf(op.from));
        await strategy.discard(op.to.version);
        const { operation: _op, ...rest } = state;
        await this.journal.write(rest);
      } else {
        // A crash, not a failed check: try the version again later, unless crashes repeat.
        const attempts = (state.interrupted?.[op.to.version] ?? 0) + 1;
        await this.journal.update({ interrupted: { ...state.interrupted, [op.to.version]: attempts } });
        await this.rollBack(
          op.to,
          op.from,
          `the install was interrupted before its health check passed (${attempts} time(s))`,
          attempts >= MAX_INTERRUPTED_INSTALLS,
        );
      }
    } else {
      await this.rollBack(op.from, op.to, op.reason);
    }
    return this.journal.load();
  }

  /**
   * Rolls back to the previous good version (the kill switch, or by hand).
   * @throws {ClientError} `CLIENT_NOTHING_TO_ROLL_BACK_TO` when nothing is installed or kept.
   */
  async rollbackToPrevious(reason: string): Promise<JournalVersion | undefined> {
    await this.recover();
    const state = await this.journal.load();
    if (state.current === undefined)
      throw new ClientError(CLIENT_ERRORS.NOTHING_TO_ROLL_BACK_TO, "nothing is installed");
    const to = state.previous[0];
    if (to === undefined)
      throw new ClientError(
        CLIENT_ERRORS.NOTHING_TO_ROLL_BACK_TO,
        `no version before ${state.current.version} is kept`,
      );
    await this.rollBack(state.current, to, reason);
    return to;
  }

  /**
   * Forgets `version` as a rollback target and removes its files (it was revoked).
   * @throws {ClientError} `CLIENT_NO_INSTALLER` without an install strategy.
   */
  async forget(version: JournalVersion): Promise<void> {
    const after = this.journal.current;
    await this.journal.update({
      previous: after.previous.filter((p) => p.version !== version.version),
      failed: [...new Set([...after.failed, version.version])],
      failures: setAside(after.failures, {
        version: version.version,
        code: CLIENT_ERRORS.REVOKED,
        reason: "revoked by the vendor",
        at: new Date().toISOString(),
      }),
    });
    await this.strategy().discard(version.version);
  }
}
