/**
 * A repository lock: one `bulwark` process at a time may change a repository. The lock is
 * a file created exclusively, holding the owner's pid; a lock whose process is gone is
 * stale and taken over.
 */
import { promises as fs } from "node:fs";
import { hostname } from "node:os";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";

/** True when process `pid` exists on this machine. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the lock at `file`. Returns the release function.
 * @throws {PublisherError} `LOCKED` while another live process holds it.
 */
export async function acquireLock(file: string): Promise<() => Promise<void>> {
  const body = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await fs.open(file, "wx", 0o644);
      await handle.writeFile(body);
      await handle.close();
      return async () => {
        await fs.rm(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = await fs.readFile(file, "utf8").catch(() => "");
      let owner: { pid?: number; host?: string; since?: string } = {};
      try {
        owner = JSON.parse(holder) as typeof owner;
      } catch {
        // unreadable: treated as held
      }
      const stale = owner.host === hostname() && typeof owner.pid === "number" && !alive(owner.pid);
      if (stale && attempt === 0) {
        await fs.rm(file, { force: true });
        continue;
      }
      throw new PublisherError(
        PUBLISHER_ERRORS.LOCKED,
        `the repository is locked by process ${owner.pid ?? "?"} on ${owner.host ?? "?"} since ${owner.since ?? "?"}`,
        { hint: `wait for it to finish; if no bulwark process is running, remove ${file}` },
      );
    }
  }
  throw new PublisherError(PUBLISHER_ERRORS.LOCKED, "the repository lock could not be taken");
}
