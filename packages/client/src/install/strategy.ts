import type { JournalVersion } from "../journal.js";
import type { Release } from "../release.js";

/**
 * How a verified release file becomes the running version. `prepare` puts its files in
 * place without making them current; `activate` switches atomically; both are idempotent,
 * so a crashed install can be finished or undone from the journal.
 */
export interface InstallStrategy {
  /** The strategy's name, for events and configuration (`directory`, `command`). */
  readonly kind: string;
  /** Puts `version`'s files in place (not current yet) from the verified `file`. */
  prepare(release: Release, file: string): Promise<void>;
  /** Makes `to` the current version (undefined: no version), atomically. */
  activate(to: JournalVersion | undefined, file: string | undefined): Promise<void>;
  /** The version that is current on disk, by inspection. */
  active(): Promise<string | undefined>;
  /** Removes a version's files (a failed or superseded one). Never the active one. */
  discard(version: string): Promise<void>;
  /** Where a version lives, for health checks. */
  location(version: string, file: string | undefined): string;
}
