/**
 * The vendor's TUF repository as the monitor reads it: a tuf `Updater` started from a
 * trusted root, fetching over HTTP(S) with the tuf package's limits and timeouts, keeping
 * what it verified in a folder (so rollbacks of the repository's metadata are caught too).
 */
import { promises as fs } from "node:fs";
import { type Fetcher, Updater } from "@bulwark/tuf";
import type { TargetLookup } from "../monitor.js";

/** Where the monitor reads the vendor's repository. */
export interface TufRepositoryOptions {
  /** The URL of the repository's public tree (holding `metadata/`). */
  readonly url: string;
  /** The trusted root metadata to start from. */
  readonly trustedRoot: Uint8Array;
  /** A folder for the metadata the updater verifies and keeps. */
  readonly metadataDir: string;
  readonly fetcher?: Fetcher;
}

/**
 * The vendor's TUF repository as a {@link TargetLookup}: an `Updater` of the tuf package.
 * Metadata is refreshed on the first lookup; a lookup walks delegations as a client does.
 */
export async function tufRepository(options: TufRepositoryOptions): Promise<TargetLookup> {
  await fs.mkdir(options.metadataDir, { recursive: true });
  const base = options.url.endsWith("/") ? options.url : `${options.url}/`;
  return new Updater({
    metadataDir: options.metadataDir,
    metadataBaseUrl: new URL("metadata/", base).href,
    bootstrap: options.trustedRoot,
    ...(options.fetcher ? { fetcher: options.fetcher } : {}),
  });
}
