/**
 * Where a repository inspection reads a repository's static tree: its metadata/ and
 * targets/ folders, served under http(s) URLs or on a local disk, through one
 * {@link Fetcher}.
 */
import path from "node:path";
import type { Fetcher } from "../updater/fetcher.js";
import { FileFetcher } from "../updater/file-fetcher.js";
import { HttpFetcher } from "../updater/http-fetcher.js";
import { encodeName } from "../updater/storage.js";

/** A repository's static tree, as an inspection reads it. */
export interface RepositorySource {
  /** How reports name the repository (a URL or a folder). */
  readonly label: string;
  /** True for a folder on this machine (reading every target file is cheap). */
  readonly local: boolean;
  readonly fetcher: Fetcher;
  /** Where the metadata file `file` (a name such as `2.root.json`) is. */
  metadataUrl(file: string): string;
  /** Where the target file whose path has these segments is. */
  targetUrl(segments: readonly string[]): string;
}

function withSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

/**
 * The static tree served over http(s): metadata under `metadataUrl`, targets under
 * `targetsUrl` (default: `../targets/` beside the metadata).
 */
export function httpRepository(options: {
  readonly metadataUrl: string;
  readonly targetsUrl?: string;
  readonly fetcher?: Fetcher;
  readonly label?: string;
}): RepositorySource {
  const metadata = withSlash(options.metadataUrl);
  const targets = withSlash(options.targetsUrl ?? new URL("../targets/", metadata).href);
  return {
    label: options.label ?? metadata,
    local: false,
    fetcher: options.fetcher ?? new HttpFetcher(),
    metadataUrl: (file) => `${metadata}${file}`,
    targetUrl: (segments) => `${targets}${segments.map(encodeName).join("/")}`,
  };
}

/**
 * The static tree in local folders: metadata in `metadataDir` (files under their encoded
 * names), targets under their own paths in `targetsDir` (default: `../targets` beside it).
 */
export function folderRepository(options: {
  readonly metadataDir: string;
  readonly targetsDir?: string;
  readonly label?: string;
}): RepositorySource {
  const { metadataDir } = options;
  const targetsDir = options.targetsDir ?? path.join(metadataDir, "..", "targets");
  return {
    label: options.label ?? metadataDir,
    local: true,
    fetcher: new FileFetcher(),
    metadataUrl: (file) => path.join(metadataDir, file),
    targetUrl: (segments) => path.join(targetsDir, ...segments),
  };
}
