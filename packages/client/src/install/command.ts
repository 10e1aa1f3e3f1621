/**
 * The `command` strategy: the verified release file is handed to an installer (an MSI, a
 * package manager, a script). The installer command gets the file as its last argument and
 * BULWARK_VERSION / BULWARK_FILE in its environment; rollback runs it with the previous
 * version's file.
 */
import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "@bulwark/tuf";
import { CLIENT_ERRORS, ClientError } from "../errors.js";
import type { JournalVersion } from "../journal.js";
import type { InstallStrategy } from "./strategy.js";

/** Default time an installer may take. */
export const INSTALLER_TIMEOUT_MS = 10 * 60_000;

/** The `command` install strategy: an installer command is given each verified release file. */
export class CommandStrategy implements InstallStrategy {
  /** `command`. */
  readonly kind = "command";
  private readonly stateFile: string;

  /**
   * @param command the installer and its arguments; the release file is appended.
   * @param stateDir where the strategy records the version it installed last.
   * @param timeoutMs how long the installer may run before it is killed.
   */
  constructor(
    private readonly command: readonly string[],
    stateDir: string,
    private readonly timeoutMs = INSTALLER_TIMEOUT_MS,
  ) {
    this.stateFile = path.join(stateDir, "command-installed");
  }

  /** Does nothing: the installer does everything in {@link activate}. */
  async prepare(): Promise<void> {
    // The installer does everything in activate().
  }

  /**
   * Runs the installer on `file` (unless `to` is the version it installed last) and records `to`.
   * @throws {ClientError} `CLIENT_NOTHING_TO_ROLL_BACK_TO` without a version or file;
   *   `CLIENT_INSTALL_FAILED` when the installer cannot start, fails or times out.
   */
  async activate(to: JournalVersion | undefined, file: string | undefined): Promise<void> {
    if (to === undefined || file === undefined) {
      throw new ClientError(
        CLIENT_ERRORS.NOTHING_TO_ROLL_BACK_TO,
        "the command strategy needs a release file to install",
      );
    }
    if ((await this.active()) === to.version) return;
    const [cmd, ...args] = this.command;
    if (cmd === undefined) throw new ClientError(CLIENT_ERRORS.INSTALL_FAILED, "empty installer command");
    await new Promise<void>((resolve, reject) => {
      const child = spawn(cmd, [...args, file], {
        stdio: "ignore",
        env: { ...process.env, BULWARK_VERSION: to.version, BULWARK_FILE: file },
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), this.timeoutMs);
      child.on("error", (error) => {
        clearTimeout(timer);
        reject(new ClientError(CLIENT_ERRORS.INSTALL_FAILED, `the installer could not start: ${error.message}`));
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new ClientError(CLIENT_ERRORS.INSTALL_FAILED, `the installer exited with ${code ?? signal}`));
      });
    });
    await fs.mkdir(path.dirname(this.stateFile), { recursive: true });
    await writeFileAtomic(this.stateFile, Buffer.from(to.version));
  }

  /** The version the installer ran for last, as recorded. */
  async active(): Promise<string | undefined> {
    return (await fs.readFile(this.stateFile, "utf8").catch(() => undefined))?.trim() || undefined;
  }

  /** Does nothing: nothing of a version is kept apart from its release file. */
  async discard(): Promise<void> {
    // Nothing of a version is kept apart from its release file.
  }

  /** The release file itself (what a health check is given). */
  location(_version: string, file: string | undefined): string {
    return file ?? "";
  }
}
