import http from "node:http";
import https from "node:https";
import {
  DownloadError,
  DownloadHttpError,
  DownloadLengthMismatchError,
  DownloadRedirectError,
  NetworkError,
  type RedirectRefusal,
  SlowRetrievalError,
} from "../errors.js";
import type { Fetcher, FetchOptions } from "./fetcher.js";

/** Which HTTP redirects the {@link HttpFetcher} follows. A redirect from https to http never is. */
export interface RedirectPolicy {
  /** Redirects followed in one fetch; one more is a {@link DownloadRedirectError}. 0: a 3xx answer is a {@link DownloadHttpError}. */
  readonly max: number;
  /** Follow only redirects to the host name of the URL asked for. Default true. */
  readonly sameHostOnly?: boolean;
}

/** Limits of the {@link HttpFetcher}, each a named default. */
export interface HttpFetcherOptions {
  /** Time to connect and get response headers. Default 15 s. */
  readonly connectTimeoutMs?: number;
  /** Longest silence between two chunks of the body. Default 15 s. */
  readonly idleTimeoutMs?: number;
  /**
   * Slow-retrieval protection, judged over a sliding window: every `rateWindowMs` of the body
   * must bring at least `minBytesPerSecond × rateWindowMs / 1000` bytes, or the download is
   * dropped. A burst at the start buys nothing later (an average since the start would let
   * a server send 500 KB at once and then one byte every 10 s for hours). Default 4 KiB/s
   * over any 10 s; 0 turns it off.
   */
  readonly minBytesPerSecond?: number;
  /** The window {@link minBytesPerSecond} is judged over; also the grace before the first judgement. Default 10 s. */
  readonly rateWindowMs?: number;
  /**
   * The deadline of each file, derived from the most it may be (its signed length, or the
   * client's bound for metadata whose length is not signed):
   * `deadlineBaseMs + maxLength / deadlineBytesPerSecond` seconds. Even a server that stays
   * just above the sliding-window rate cannot hold a file longer. Defaults: 60 s plus the
   * time to fetch `maxLength` at 16 KiB/s (a 100 MiB artifact: under 2 hours; a 512 KiB
   * root: 92 s); `deadlineBytesPerSecond: 0` turns it off.
   */
  readonly deadlineBaseMs?: number;
  readonly deadlineBytesPerSecond?: number;
  /** Sent as User-Agent. */
  readonly userAgent?: string;
  /** Extra headers, for example authorisation for a private mirror. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Redirects to follow. Default none (`max: 0`): a TUF repository is fetched from where it
   * is configured, and a 3xx answer is a {@link DownloadHttpError} as before.
   */
  readonly redirects?: RedirectPolicy;
  /**
   * Longest time for one fetch whatever its size, redirects and body included; past it the
   * fetch fails with a {@link SlowRetrievalError}. Default: none beyond the per-file deadline.
   */
  readonly totalTimeoutMs?: number;
}

/**
 * The limits of {@link HttpFetcherOptions} an app or an endpoint's configuration sets: the
 * slow-retrieval guard (a rate over a sliding window), the per-file deadline and the timeouts.
 */
export type DownloadLimits = Pick<
  HttpFetcherOptions,
  | "connectTimeoutMs"
  | "idleTimeoutMs"
  | "minBytesPerSecond"
  | "rateWindowMs"
  | "deadlineBaseMs"
  | "deadlineBytesPerSecond"
>;

/** Defaults of {@link HttpFetcherOptions}. */
export const HTTP_FETCHER_DEFAULTS = {
  connectTimeoutMs: 15_000,
  idleTimeoutMs: 15_000,
  minBytesPerSecond: 4096,
  rateWindowMs: 10_000,
  deadlineBaseMs: 60_000,
  deadlineBytesPerSecond: 16_384,
  userAgent: "bulwark-tuf",
  redirects: { max: 0, sameHostOnly: true },
  totalTimeoutMs: Number.POSITIVE_INFINITY,
} as const;

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

const keepAliveHttp = new http.Agent({ keepAlive: true, maxSockets: 8 });
const keepAliveHttps = new https.Agent({ keepAlive: true, maxSockets: 8 });

/** A {@link Fetcher} over HTTP(S) with node:http, with timeouts and slow-retrieval protection. */
export class HttpFetcher implements Fetcher {
  private readonly opts: Required<Omit<HttpFetcherOptions, "headers">> & { headers: Record<string, string> };

  constructor(options: HttpFetcherOptions = {}) {
    this.opts = { ...HTTP_FETCHER_DEFAULTS, ...options, headers: { ...options.headers } };
  }

  /**
   * How long one fetch of at most `maxLength` bytes may take: the per-file deadline, capped
   * by `totalTimeoutMs`. Infinite when both are off.
   */
  deadlineMs(maxLength: number): number {
    const { deadlineBaseMs, deadlineBytesPerSecond, totalTimeoutMs } = this.opts;
    const perFile =
      deadlineBytesPerSecond > 0 && Number.isFinite(maxLength)
        ? deadlineBaseMs + Math.ceil((maxLength * 1000) / deadlineBytesPerSecond)
        : Number.POSITIVE_INFINITY;
    return Math.min(perFile, totalTimeoutMs);
  }

  async *fetch(asked: string, options: FetchOptions): AsyncIterable<Uint8Array> {
    const allowedMs = this.deadlineMs(options.maxLength);
    const deadline = Date.now() + allowedMs;
    const { res, url } = await this.follow(asked, options, deadline);
    const status = res.statusCode ?? 0;
    options.onResponse?.(status, res.headers);
    if (status !== 200 && status !== 206) {
      // destroy, not resume: an error page may be endless too.
      res.destroy();
      throw new DownloadHttpError(`${url} answered HTTP ${status}`, status);
    }
    const offset = options.offset ?? 0;
    // Bytes to drop: a server that ignores Range answers 200 with the whole file.
    let skip = 0;
    if (offset > 0 && status === 206) {
      const range = /^bytes (\d+)-/.exec(String(res.headers["content-range"] ?? ""));
      if (range === null || Number(range[1]) !== offset) {
        res.destroy();
        throw new DownloadError("DOWNLOAD_BAD_RANGE", `${url} answered a range other than the one asked for`);
      }
    } else if (offset > 0) {
      skip = offset;
    }
    const declared = Number(res.headers["content-length"]);
    if (Number.isFinite(declared) && declared - skip > options.maxLength) {
      res.destroy();
      throw new DownloadLengthMismatchError(
        `${url} announces ${declared} bytes, more than the ${options.maxLength} allowed (endless-data attack?)`,
      );
    }
    const window = new RateWindow(this.opts.rateWindowMs, Date.now());
    let yielded = 0;
    let failure: Error | undefined;
    const stop = (error: Error) => {
      failure = error;
      res.destroy(error);
    };
    res.setTimeout(this.opts.idleTimeoutMs, () =>
      stop(new SlowRetrievalError(`${url} sent nothing for ${this.opts.idleTimeoutMs} ms (slow retrieval)`)),
    );
    const { minBytesPerSecond, rateWindowMs } = this.opts;
    const rateCheck =
      minBytesPerSecond > 0
        ? setInterval(
            () => {
              const rate = window.bytesPerSecond(Date.now());
              if (rate !== undefined && rate < minBytesPerSecond) {
                stop(
                  new SlowRetrievalError(
                    `${url} sent ${Math.floor(rate)} bytes/s over the last ${rateWindowMs / 1000} s, under the ${minBytesPerSecond} bytes/s allowed (slow retrieval)`,
                  ),
                );
              }
            },
            Math.min(250, rateWindowMs / 4),
          )
        : undefined;
    rateCheck?.unref();
    const overall = Number.isFinite(deadline)
      ? setTimeout(
          () =>
            stop(
              new SlowRetrievalError(
                `${url} did not send its whole body within ${allowedMs < 10_000 ? `${allowedMs} ms` : `${Math.round(allowedMs / 1000)} s`}, the deadline for a file of at most ${options.maxLength} bytes (slow retrieval)`,
              ),
            ),
          Math.max(0, deadline - Date.now()),
        )
      : undefined;
    overall?.unref();
    try {
      for await (let chunk of res as AsyncIterable<Buffer>) {
        window.add(Date.now(), chunk.length);
        if (skip > 0) {
          const drop = Math.min(skip, chunk.length);
          skip -= drop;
          chunk = chunk.subarray(drop);
          if (chunk.length === 0) continue;
        }
        yielded += chunk.length;
        if (yielded > options.maxLength) {
          throw new DownloadLengthMismatchError(
            `${url} sent more than the ${options.maxLength} bytes allowed (endless-data attack?)`,
          );
        }
        yield chunk;
      }
    } catch (error) {
      if (error instanceof DownloadLengthMismatchError) throw error;
      throw failure ?? new NetworkError(`reading ${url} failed: ${(error as Error).message}`, { cause: error });
    } finally {
      if (rateCheck !== undefined) clearInterval(rateCheck);
      clearTimeout(overall);
      if (!res.complete) res.destroy();
    }
    if (failure !== undefined) throw failure;
    if (!res.complete) throw new NetworkError(`${url}: the connection closed before the body was complete`);
  }

  /** Requests `asked`, following the redirects {@link HttpFetcherOptions.redirects} allows. */
  private async follow(
    asked: string,
    options: FetchOptions,
    deadline: number,
  ): Promise<{ res: http.IncomingMessage; url: string }> {
    const policy = this.opts.redirects;
    let url = asked;
    for (let followed = 0; ; followed++) {
      const res = await this.request(url, options, deadline);
      const location = res.headers.location;
      if (policy.max <= 0 || !REDIRECT_STATUSES.has(res.statusCode ?? 0) || location === undefined) {
        return { res, url };
      }
      res.destroy();
      const to = redirectTarget(url, location, asked, policy.sameHostOnly ?? true);
      if (followed >= policy.max) {
        throw new DownloadRedirectError(`${asked} redirects more than ${policy.max} times`, {
          from: url,
          to,
          reason: "too-many",
        });
      }
      options.onRedirect?.(url, to);
      url = to;
    }
  }

  private request(url: string, options: FetchOptions, deadline: number): Promise<http.IncomingMessage> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (cause) {
      return Promise.reject(new NetworkError(`not a valid URL: ${url}`, { cause }));
    }
    const isHttps = parsed.protocol === "https:";
    if (!isHttps && parsed.protocol !== "http:") {
      return Promise.reject(new NetworkError(`unsupported URL scheme ${parsed.protocol} in ${url}`));
    }
    const headers: Record<string, string> = {
      "user-agent": this.opts.userAgent,
      ...this.opts.headers,
      ...options.headers,
    };
    if (options.offset !== undefined && options.offset > 0) headers.range = `bytes=${options.offset}-`;
    return new Promise((resolve, reject) => {
      const req = (isHttps ? https : http).get(
        parsed,
        {
          headers,
          agent: isHttps ? keepAliveHttps : keepAliveHttp,
          ...(options.signal ? { signal: options.signal } : {}),
        },
        (res) => {
          clearTimeout(timer);
          resolve(res);
        },
      );
      const wait = Math.max(0, Math.min(this.opts.connectTimeoutMs, deadline - Date.now()));
      const timer = setTimeout(() => {
        req.destroy(new SlowRetrievalError(`${url} did not answer within ${wait} ms`));
      }, wait);
      timer.unref();
      req.on("error", (error) => {
        clearTimeout(timer);
        reject(
          error instanceof SlowRetrievalError
            ? error
            : new NetworkError(`cannot reach ${url}: ${error.message}`, { cause: error }),
        );
      });
    });
  }
}

/**
 * Where a redirect from `from` leads, when the policy allows following it.
 * @throws {DownloadRedirectError} naming the target: not a URL, not http(s), https to http, or another host.
 */
export function redirectTarget(from: string, location: string, asked: string, sameHostOnly: boolean): string {
  const refuse = (reason: RedirectRefusal, to: string, why: string) =>
    new DownloadRedirectError(`${from} redirects to ${to}: not followed (${why})`, { from, to, reason });
  let to: URL;
  try {
    to = new URL(location, from);
  } catch {
    throw refuse("invalid", location, "not a valid URL");
  }
  if (to.protocol !== "https:" && to.protocol !== "http:") throw refuse("scheme", to.href, `a ${to.protocol} URL`);
  if (new URL(from).protocol === "https:" && to.protocol === "http:") {
    throw refuse("insecure", to.href, "from https to plain http");
  }
  if (sameHostOnly && to.hostname.toLowerCase() !== new URL(asked).hostname.toLowerCase()) {
    throw refuse("other-host", to.href, `another host, ${to.host}`);
  }
  return to.href;
}

/**
 * Bytes received per slice of a sliding window (tenths of it), so the rate over the last
 * window is known at any moment without keeping a record of every chunk.
 */
class RateWindow {
  private static readonly SLICES = 10;
  private readonly sliceMs: number;
  private readonly counts = new Float64Array(RateWindow.SLICES);
  /** Index of the newest slice since the start (not wrapped). */
  private newest = 0;

  constructor(
    private readonly windowMs: number,
    private readonly startedAt: number,
  ) {
    this.sliceMs = windowMs / RateWindow.SLICES;
  }

  add(now: number, bytes: number): void {
    this.advance(now);
    const i = this.newest % RateWindow.SLICES;
    this.counts.set([(this.counts.at(i) ?? 0) + bytes], i);
  }

  /**
   * Bytes per second over the last window (the previous nine slices and the current, partial
   * one); undefined until a whole window has passed since the start.
   */
  bytesPerSecond(now: number): number | undefined {
    this.advance(now);
    const elapsed = now - this.startedAt;
    if (elapsed < this.windowMs) return undefined;
    const spanMs = (RateWindow.SLICES - 1) * this.sliceMs + (elapsed - this.newest * this.sliceMs);
    let sum = 0;
    for (const c of this.counts) sum += c;
    return (sum * 1000) / spanMs;
  }

  private advance(now: number): void {
    const slice = Math.floor((now - this.startedAt) / this.sliceMs);
    if (slice <= this.newest) return;
    const steps = Math.min(slice - this.newest, RateWindow.SLICES);
    for (let i = 1; i <= steps; i++) this.counts[(this.newest + i) % RateWindow.SLICES] = 0;
    this.newest = slice;
  }
}
