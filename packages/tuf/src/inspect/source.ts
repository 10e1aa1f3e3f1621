/**
 * Where a repository inspection reads a repository's static tree: its metadata/ and
 * targets/ folders, served under http(s) URLs or on a local disk, through one
 * {@link Fetcher}.
 */
import path from "node:path";
import { UsageError } from "../errors.js";
import type { Fetcher, FetchOptions } from "../updater/fetcher.js";
import { FileFetcher } from "../updater/file-fetcher.js";
import { HttpFetcher } from "../updater/http-fetcher.js";
import { encodeName } from "../updater/storage.js";
import { Updater } from "../updater/updater.js";

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

/** The bases of the URLs an {@link Updater} over a source asks for; the source says where each file is. */
const METADATA_BASE = "repository-source:metadata/";
const TARGETS_BASE = "repository-source:targets/";

/** Reads the files an {@link Updater} asks for (its URLs made from the bases above) from `source`. */
class SourceFetcher implements Fetcher {
  constructor(private readonly source: RepositorySource) {}

  fetch(url: string, options: FetchOptions): AsyncIterable<Uint8Array> {
    return this.source.fetcher.fetch(this.locate(url), options);
  }

  private locate(url: string): string {
    if (url.startsWith(METADATA_BASE)) return this.source.metadataUrl(url.slice(METADATA_BASE.length));
    if (url.startsWith(TARGETS_BASE)) {
      // The updater percent-encodes each segment; the source encodes them as its medium needs.
      return this.source.targetUrl(url.slice(TARGETS_BASE.length).split("/").map(decodeURIComponent));
    }
    throw new UsageError(`${url} is not a file of ${this.source.label}`);
  }
}

/**
 * A client {@link Updater} over the same static tree an inspection reads, for checks that
 * must run exactly as a client runs them (release policies, log proofs).
 * @param options.metadataDir where the updater keeps the metadata it verified (a scratch folder).
 * @param options.trustedRoot the root the client ships with.
 * @param options.referenceTime the instant expiry is judged at.
 */
export function sourceUpdater(
  source: RepositorySource,
  options: { readonly metadataDir: string; readonly trustedRoot: Uint8Array; readonly referenceTime?: Date },
): Updater {
  return new Updater({
    metadataDir: options.metadataDir,
    metadataBaseUrl: METADATA_BASE,
    targetBaseUrl: TARGETS_BASE,
    bootstrap: options.trustedRoot,
    fetcher: new SourceFetcher(source),
    ...(options.referenceTime === undefined ? {} : { referenceTime: options.referenceTime }),
  });
}
