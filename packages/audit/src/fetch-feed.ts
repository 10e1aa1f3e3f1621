/**
 * Reads a feed document from an http(s) URL or a local file, bounded in size and time: the
 * server being audited is untrusted, and an audit must never hang or fill memory. Every
 * byte comes through the one {@link HttpFetcher} of @bulwark/tuf (or its file twin),
 * configured with the audit's bounds: redirects are followed only to the same host and
 * never from https to http; a redirect elsewhere is a clear error naming the target, so the
 * auditor decides whether that host is the vendor's. Transport errors are translated into
 * {@link FeedFetchError}s here, once.
 */
import {
  DownloadError,
  DownloadHttpError,
  DownloadLengthMismatchError,
  DownloadRedirectError,
  FileFetcher,
  HttpFetcher,
  NetworkError,
  readAll,
  SlowRetrievalError,
  StorageError,
} from "@bulwark/tuf";
import { FETCH_ERRORS, FeedFetchError } from "./errors.js";

/** Bounds of one fetch, each a named default. */
export interface FetchLimits {
  /** Bytes of one document (a feed, or one metadata file). */
  readonly maxBytes: number;
  /** Time to connect and get response headers. */
  readonly connectTimeoutMs: number;
  /** Time for the whole fetch, redirects and body included. */
  readonly totalTimeoutMs: number;
  /** Redirects followed (same host only). */
  readonly maxRedirects: number;
}

/** Defaults of {@link FetchLimits}: 8 MiB, 10 s to connect, 30 s in all, 5 redirects. */
export const FETCH_LIMITS: FetchLimits = {
  maxBytes: 8 * 1024 * 1024,
  connectTimeoutMs: 10_000,
  totalTimeoutMs: 30_000,
  maxRedirects: 5,
};

/** A fetched document. */
export interface Fetched {
  /** The final URL (after same-host redirects), or the file path. */
  readonly location: string;
  readonly bytes: Buffer;
  /** URLs redirected through, in order (empty for a file or a direct answer). */
  readonly redirects: readonly string[];
}

/** True for an http(s) URL argument. */
export function isUrl(text: string): boolean {
  return /^https?:\/\//i.test(text);
}

/** The HTTP fetcher of an audit: the server's word is bounded only by the overall time limit, never by a rate. */
export function auditFetcher(limits: FetchLimits = FETCH_LIMITS): HttpFetcher {
  return new HttpFetcher({
    connectTimeoutMs: Math.min(limits.connectTimeoutMs, limits.totalTimeoutMs),
    idleTimeoutMs: limits.totalTimeoutMs,
    minBytesPerSecond: 0,
    totalTimeoutMs: limits.totalTimeoutMs,
    redirects: { max: limits.maxRedirects, sameHostOnly: true },
    userAgent: "bulwark-audit",
    headers: { accept: "*/*" },
  });
}

/**
 * Fetches `url` within `limits`.
 * @throws {FeedFetchError} unreachable, not found, other HTTP status, too large, too slow, or a refused redirect.
 */
export async function fetchUrl(
  url: string,
  limits: FetchLimits = FETCH_LIMITS,
  signal?: AbortSignal,
): Promise<Fetched> {
  const asked = parseHttpUrl(url);
  let location = asked.href;
  const redirects: string[] = [];
  try {
    const bytes = await readAll(auditFetcher(limits), asked.href, {
      maxLength: limits.maxBytes,
      ...(signal ? { signal } : {}),
      onRedirect: (from, to) => {
        redirects.push(from);
        location = to;
      },
    });
    return { location, bytes, redirects };
  } catch (error) {
    throw feedFetchError(error, location, limits);
  }
}

/**
 * Reads a local file, at most `maxBytes`.
 * @throws {FeedFetchError} `AUDIT_NOT_FOUND` or `AUDIT_TOO_LARGE`.
 */
export async function readLocal(file: string, limits: FetchLimits = FETCH_LIMITS): Promise<Fetched> {
  try {
    const bytes = await readAll(new FileFetcher(), file, { maxLength: limits.maxBytes });
    return { location: file, bytes, redirects: [] };
  } catch (error) {
    throw feedFetchError(error, file, limits);
  }
}

function parseHttpUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FeedFetchError(FETCH_ERRORS.SCHEME, `not a valid URL: ${text}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new FeedFetchError(FETCH_ERRORS.SCHEME, `only http and https URLs are fetched, not ${url.protocol}`);
  }
  return url;
}

/**
 * The audit's error for a failed read of `where`: the one translation from the transport's
 * errors (@bulwark/tuf) to the audit's codes, messages and hints.
 */
export function feedFetchError(error: unknown, where: string, limits: FetchLimits): unknown {
  if (error instanceof FeedFetchError) return error;
  if (error instanceof DownloadRedirectError) return redirectError(error, limits);
  if (error instanceof DownloadLengthMismatchError) {
    return new FeedFetchError(
      FETCH_ERRORS.TOO_LARGE,
      `${where} is more than the ${limits.maxBytes} bytes an audit reads (endless-data attack, or not a feed)`,
      { hint: "an update feed is a few kilobytes; check that this is the feed URL", cause: error },
    );
  }
  if (error instanceof DownloadHttpError) {
    const notFound = error.status === 404 || error.status === 410;
    return new FeedFetchError(notFound ? FETCH_ERRORS.NOT_FOUND : FETCH_ERRORS.HTTP_STATUS, error.message, {
      ...(notFound && isUrl(where)
        ? { hint: "check the URL: it is the feed the vendor's app is configured with" }
        : {}),
      status: error.status,
      cause: error,
    });
  }
  if (error instanceof SlowRetrievalError) {
    return new FeedFetchError(FETCH_ERRORS.TIMEOUT, error.message, { cause: error });
  }
  if (error instanceof NetworkError || error instanceof DownloadError) {
    return new FeedFetchError(FETCH_ERRORS.UNREACHABLE, error.message, {
      hint: "check the URL and the network; the audit never retries",
      cause: error,
    });
  }
  if (error instanceof StorageError) {
    return new FeedFetchError(FETCH_ERRORS.NOT_FOUND, error.message, { cause: error });
  }
  return error;
}

function redirectError(error: DownloadRedirectError, limits: FetchLimits): FeedFetchError {
  const { from, to } = error;
  const refused = (message: string, hint?: string) =>
    new FeedFetchError(FETCH_ERRORS.REDIRECT, message, { hint, cause: error });
  switch (error.reason) {
    case "too-many":
      return refused(`${from} redirects more than ${limits.maxRedirects} times`);
    case "invalid":
      return refused(`${from} redirects to an invalid URL`);
    case "scheme":
      return refused(`${from} redirects to a ${new URL(to).protocol} URL: not followed`);
    case "insecure":
      return refused(
        `${from} redirects from https to plain http (${to}): not followed`,
        "a redirect to http lets anyone on the network answer instead of the vendor: ask the vendor to fix it",
      );
    case "other-host": {
      const host = new URL(to).host;
      return refused(
        `${from} redirects to another host, ${host}: not followed (the feed's bytes would come from a server other than the one audited)`,
        `if ${host} is the vendor's too, audit it directly: bulwark audit ${to}`,
      );
    }
  }
}
