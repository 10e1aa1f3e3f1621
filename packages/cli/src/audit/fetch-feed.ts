/**
 * Reads a feed document from an http(s) URL or a local file, bounded in size and time: the
 * server being audited is untrusted, and an audit must never hang or fill memory. Redirects
 * are followed only to the same host and never from https to http; a redirect elsewhere is
 * a clear error naming the target, so the auditor decides whether that host is the vendor's.
 */
import { promises as fs } from "node:fs";
import http from "node:http";
import https from "node:https";
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

/**
 * Fetches `url` within `limits`.
 * @throws {FeedFetchError} unreachable, not found, other HTTP status, too large, too slow, or a refused redirect.
 */
export async function fetchUrl(
  url: string,
  limits: FetchLimits = FETCH_LIMITS,
  signal?: AbortSignal,
): Promise<Fetched> {
  let current = parseHttpUrl(url);
  const first = current;
  const redirects: string[] = [];
  const deadline = Date.now() + limits.totalTimeoutMs;
  for (;;) {
    const res = await request(current, limits, deadline, signal);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location !== undefined) {
      res.destroy();
      const next = redirectTarget(current, res.headers.location, first);
      redirects.push(current.href);
      if (redirects.length > limits.maxRedirects) {
        throw new FeedFetchError(FETCH_ERRORS.REDIRECT, `${url} redirects more than ${limits.maxRedirects} times`);
      }
      current = next;
      continue;
    }
    if (status !== 200) {
      res.destroy();
      const notFound = status === 404 || status === 410;
      throw new FeedFetchError(
        notFound ? FETCH_ERRORS.NOT_FOUND : FETCH_ERRORS.HTTP_STATUS,
        `${current.href} answered HTTP ${status}`,
        notFound ? "check the URL: it is the feed the vendor's app is configured with" : undefined,
        status,
      );
    }
    const bytes = await readBody(res, current.href, limits, deadline);
    return { location: current.href, bytes, redirects };
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

/** Where a redirect leads, if it may be followed. */
function redirectTarget(from: URL, location: string, first: URL): URL {
  let to: URL;
  try {
    to = new URL(location, from);
  } catch {
    throw new FeedFetchError(FETCH_ERRORS.REDIRECT, `${from.href} redirects to an invalid URL`);
  }
  if (to.protocol !== "https:" && to.protocol !== "http:") {
    throw new FeedFetchError(FETCH_ERRORS.REDIRECT, `${from.href} redirects to a ${to.protocol} URL: not followed`);
  }
  if (from.protocol === "https:" && to.protocol === "http:") {
    throw new FeedFetchError(
      FETCH_ERRORS.REDIRECT,
      `${from.href} redirects from https to plain http (${to.href}): not followed`,
      "a redirect to http lets anyone on the network answer instead of the vendor: ask the vendor to fix it",
    );
  }
  if (to.hostname.toLowerCase() !== first.hostname.toLowerCase()) {
    throw new FeedFetchError(
      FETCH_ERRORS.REDIRECT,
      `${from.href} redirects to another host, ${to.host}: not followed (the feed's bytes would come from a server other than the one audited)`,
      `if ${to.host} is the vendor's too, audit it directly: bulwark audit ${to.href}`,
    );
  }
  return to;
}

function request(url: URL, limits: FetchLimits, deadline: number, signal?: AbortSignal): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const wait = Math.max(0, Math.min(limits.connectTimeoutMs, deadline - Date.now()));
    const req = (url.protocol === "https:" ? https : http).get(
      url,
      { agent: false, headers: { "user-agent": "bulwark-audit", accept: "*/*" }, ...(signal ? { signal } : {}) },
      (res) => {
        clearTimeout(timer);
        resolve(res);
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new FeedFetchError(FETCH_ERRORS.TIMEOUT, `${url.href} did not answer within ${wait} ms`));
    }, wait);
    timer.unref();
    req.on("error", (error) => {
      clearTimeout(timer);
      reject(
        error instanceof FeedFetchError
          ? error
          : new FeedFetchError(
              FETCH_ERRORS.UNREACHABLE,
              `cannot reach ${url.href}: ${error.message}`,
              "check the URL and the network; the audit never retries",
              undefined,
              { cause: error },
            ),
      );
    });
  });
}

async function readBody(res: http.IncomingMessage, url: string, limits: FetchLimits, deadline: number) {
  const declared = Number(res.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    res.destroy();
    throw tooLarge(url, limits, `announces ${declared} bytes`);
  }
  let failure: FeedFetchError | undefined;
  const timer = setTimeout(
    () => {
      failure = new FeedFetchError(
        FETCH_ERRORS.TIMEOUT,
        `${url} did not send its whole body within ${limits.totalTimeoutMs} ms (slow retrieval)`,
      );
      res.destroy(failure);
    },
    Math.max(0, deadline - Date.now()),
  );
  timer.unref();
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limits.maxBytes) throw tooLarge(url, limits, "sent more");
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof FeedFetchError) throw error;
    throw (
      failure ??
      new FeedFetchError(
        FETCH_ERRORS.UNREACHABLE,
        `reading ${url} failed: ${(error as Error).message}`,
        undefined,
        200,
        {
          cause: error,
        },
      )
    );
  } finally {
    clearTimeout(timer);
    if (!res.complete) res.destroy();
  }
  if (failure !== undefined) throw failure;
  return Buffer.concat(chunks, total);
}

function tooLarge(where: string, limits: FetchLimits, what: string): FeedFetchError {
  return new FeedFetchError(
    FETCH_ERRORS.TOO_LARGE,
    `${where} ${what} than the ${limits.maxBytes} bytes an audit reads (endless-data attack, or not a feed)`,
    "an update feed is a few kilobytes; check that this is the feed URL",
  );
}

/**
 * Reads a local file, at most `maxBytes`.
 * @throws {FeedFetchError} `AUDIT_NOT_FOUND` or `AUDIT_TOO_LARGE`.
 */
export async function readLocal(file: string, limits: FetchLimits = FETCH_LIMITS): Promise<Fetched> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, "r");
  } catch (cause) {
    throw new FeedFetchError(
      FETCH_ERRORS.NOT_FOUND,
      `cannot read ${file}: ${(cause as Error).message}`,
      undefined,
      undefined,
      {
        cause,
      },
    );
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new FeedFetchError(FETCH_ERRORS.NOT_FOUND, `${file} is not a regular file`);
    if (stat.size > limits.maxBytes) throw tooLarge(file, limits, "is larger");
    // One byte more than announced: a file that grows while read is still bounded.
    const buffer = Buffer.alloc(stat.size + 1);
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, total, buffer.length - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > stat.size) throw new FeedFetchError(FETCH_ERRORS.TOO_LARGE, `${file} grew while it was read`);
    }
    return { location: file, bytes: buffer.subarray(0, total), redirects: [] };
  } finally {
    await handle.close();
  }
}
