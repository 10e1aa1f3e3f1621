import type { Repository } from "@bulwark/tuf";
import type { PublisherOptions } from "../options.js";
import { RepoDir } from "../store/repo-dir.js";

/**
 * Opens the repository in `dir`, takes its lock, loads it (published state plus staged
 * changes) and runs `fn`; the lock is released however `fn` ends.
 * @throws {PublisherError} `NOT_A_REPOSITORY`, `BAD_CONFIG`, `LOCKED`, `NOT_PUBLISHED`.
 */
export async function withRepository<T>(
  dir: string,
  options: PublisherOptions,
  fn: (repoDir: RepoDir, repo: Repository) => Promise<T>,
): Promise<T> {
  const repoDir = await RepoDir.open(dir, options);
  return repoDir.locked(async () => fn(repoDir, await repoDir.load()));
}

/** An instant as `custom.bulwark` and reports write it: `YYYY-MM-DDTHH:MM:SSZ`. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
