/**
 * Every byte a source reads comes through the {@link HttpFetcher} of @bulwark/tuf: bounded
 * in size while streaming, with its slow-retrieval guard and per-file deadline. Feeds are
 * fetched with conditional requests (a 304 means nothing new, and nothing else is fetched);
 * artifacts are streamed to the staging folder, hashed as they arrive, and kept under their
 * SHA-256 (written to a temporary name, synced, then renamed).
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import {
  BulwarkError,
  DownloadHttpError,
  DownloadLengthMismatchError,
  type DownloadLimits,
  type Fetcher,
  HttpFetcher,
  readAll,
  syncDirectory,
} from "@bulwark/tuf";
import { SourceFetchError } from "./errors.js";
import type { FeedValidators } from "./memory.js";
import { partName } from "./staging.js";

/** Bounds of a source's fetches, each a named default. */
export interface SourceLimits {
  /** Bytes of a feed document. */
  readonly maxFeedBytes: number;
  /** Bytes of one artifact when the feed does not give its size (when it does, that size is the bound). */
  readonly maxArtifactBytes: number;
  /** Bytes of a detached signature or a blockmap. */
  readonly maxSideFileBytes: number;
  /** Redirects followed (feeds: same host only; artifacts: any https host, as vendors' CDNs do). */
  readonly maxRedirects: number;
}

/** Defaults of {@link SourceLimits}: 8 MiB feeds, 2 GiB artifacts, 16 MiB side files, 5 redirects. */
export const SOURCE_LIMITS: SourceLimits = {
  maxFeedBytes: 8 * 1024 * 1024,
  maxArtifactBytes: 2 * 1024 * 1024 * 1024,
  maxSideFileBytes: 16 * 1024 * 1024,
  maxRedirects: 5,
};

/** How a source's bytes are fetched. */
export interface FetchContext {
  readonly limits: SourceLimits;
  /** Feeds: redirects to the same host only. */
  readonly feedFetcher: Fetcher;
  /** Artifacts: redirects to other hosts too (the bytes are checked, not the host). */
  readonly artifactFetcher: Fetcher;
  /** TUF repositories: no redirects, as a TUF client fetches from where it is configured. */
  readonly tufFetcher: Fetcher;
  /** Where fetched artifacts are kept, by SHA-256. */
  readonly stagingDir: string;
}

/** A {@link FetchContext} over HTTP with the given limits. */
export function httpFetchContext(
  stagingDir: string,
  limits: Partial<SourceLimits> = {},
  downloadLimits: DownloadLimits = {},
): FetchContext {
  const bounds = { ...SOURCE_LIMITS, ...limits };
  const make = (max: number, sameHostOnly: boolean) =>
    new HttpFetcher({ ...downloadLimits, userAgent: "bulwark-gateway", redirects: { max, sameHostOnly } });
  return {
    limits: bounds,
    feedFetcher: make(bounds.maxRedirects, true),
    artifactFetcher: make(bounds.maxRedirects, false),
    tufFetcher: make(0, true),
    stagingDir,
  };
}

/** A feed fetched conditionally. */
export type FeedAnswer =
  | { readonly modified: false }
  | { readonly modified: true; readonly bytes: Buffer; readonly validators: FeedValidators };

/** The headers of a conditional request made with `validators`. */
export function conditionalHeaders(validators: FeedValidators | undefined): Record<string, string> {
  return {
    ...(validators?.etag === undefined ? {} : { "if-none-match": validators.etag }),
    ...(validators?.lastModified === undefined ? {} : { "if-modified-since": validators.lastModified }),
  };
}

function header(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined || v === "" || v.length > 1024 ? undefined : v;
}

/**
 * Fetches a feed, conditionally when `validators` are known.
 * @throws {SourceFetchError} unreachable, an HTTP error, too large or too slow.
 */
export async function fetchFeed(
  ctx: FetchContext,
  url: string,
  validators: FeedValidators | undefined,
): Promise<FeedAnswer> {
  const headers = conditionalHeaders(validators);
  let fresh: FeedValidators = {};
  try {
    const bytes = await readAll(ctx.feedFetcher, url, {
      maxLength: ctx.limits.maxFeedBytes,
      headers,
      onResponse: (_status, h) => {
        fresh = validatorsOf(h);
      },
    });
    return { modified: true, bytes, validators: fresh };
  } catch (error) {
    if (error instanceof DownloadHttpError && error.status === 304 && Object.keys(headers).length > 0) {
      return { modified: false };
    }
    throw fetchFailed(error, url);
  }
}

/**
 * Fetches a small file (a signature, a blockmap) whole; undefined when the server has none (404, 410).
 * @throws {SourceFetchError} for any other failure.
 */
export async function fetchSideFile(ctx: FetchContext, url: string): Promise<Buffer | undefined> {
  try {
    return await readAll(ctx.artifactFetcher, url, { maxLength: ctx.limits.maxSideFileBytes });
  } catch (error) {
    if (error instanceof DownloadHttpError && (error.status === 404 || error.status === 410)) return undefined;
    throw fetchFailed(error, url);
  }
}

/** An artifact in the staging folder, with its digests. */
export interface StagedFile {
  readonly size: number;
  /** Hex. */
  readonly sha256: string;
  /** Hex. */
  readonly sha1: string;
  /** Base64, as electron-updater writes it. */
  readonly sha512: string;
  readonly file: string;
}

/**
 * Streams `url` into the staging folder (at most `maxBytes`), hashing as it arrives, and
 * keeps it as `<sha256>`. A file already there under that name is the same bytes.
 * @throws {SourceFetchError} unreachable, an HTTP error, more than `maxBytes`, or too slow.
 */
export async function stageArtifact(ctx: FetchContext, url: string, maxBytes: number): Promise<StagedFile> {
  const staged = await stream(ctx, url, maxBytes, {});
  // Only a conditional request is answered 304.
  if (staged === undefined) throw new SourceFetchError(`${url} answered 304 to an unconditional request`);
  return staged;
}

/**
 * {@link stageArtifact}, conditionally: undefined when the server answers 304 Not Modified
 * to the `validators` of the last fetch.
 * @throws {SourceFetchError} as {@link stageArtifact}.
 */
export async function stageIfModified(
  ctx: FetchContext,
  url: string,
  maxBytes: number,
  validators: FeedValidators | undefined,
): Promise<(StagedFile & { readonly validators: FeedValidators }) | undefined> {
  return stream(ctx, url, maxBytes, conditionalHeaders(validators));
}

async function stream(
  ctx: FetchContext,
  url: string,
  maxBytes: number,
  headers: Record<string, string>,
): Promise<(StagedFile & { readonly validators: FeedValidators }) | undefined> {
  await fs.mkdir(ctx.stagingDir, { recursive: true });
  const part = partName(ctx.stagingDir);
  const hashes = { sha256: createHash("sha256"), sha1: createHash("sha1"), sha512: createHash("sha512") };
  let size = 0;
  let validators: FeedValidators = {};
  const handle = await fs.open(part, "w", 0o600);
  try {
    try {
      const chunks = ctx.artifactFetcher.fetch(url, {
        maxLength: maxBytes,
        headers,
        onResponse: (_status, h) => {
          validators = validatorsOf(h);
        },
      });
      for await (const chunk of chunks) {
        size += chunk.length;
        if (size > maxBytes)
          throw new DownloadLengthMismatchError(`${url} sent more than the ${maxBytes} bytes allowed`);
        for (const h of Object.values(hashes)) h.update(chunk);
        await handle.write(chunk);
      }
    } catch (error) {
      if (error instanceof DownloadHttpError && error.status === 304 && Object.keys(headers).length > 0) {
        await handle.close();
        await fs.rm(part, { force: true });
        return undefined;
      }
      throw fetchFailed(error, url);
    }
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.rm(part, { force: true });
    throw error;
  }
  await handle.close();
  const sha256 = hashes.sha256.digest("hex");
  const file = path.join(ctx.stagingDir, sha256);
  await fs.rename(part, file);
  await syncDirectory(ctx.stagingDir);
  return { size, sha256, sha1: hashes.sha1.digest("hex"), sha512: hashes.sha512.digest("base64"), file, validators };
}

function validatorsOf(h: Readonly<Record<string, string | string[] | undefined>>): FeedValidators {
  const etag = header(h.etag);
  const lastModified = header(h["last-modified"]);
  return { ...(etag === undefined ? {} : { etag }), ...(lastModified === undefined ? {} : { lastModified }) };
}

/** The one translation of the transport's errors into a {@link SourceFetchError}. */
export function fetchFailed(error: unknown, url: string): unknown {
  if (error instanceof SourceFetchError) return error;
  if (error instanceof BulwarkError) {
    return new SourceFetchError(`fetching ${url} failed: ${error.message}`, {
      cause: error,
      hint: "the source is polled again at its next time; if this persists, check the URL with the vendor",
    });
  }
  return error;
}
