/**
 * Data availability for a witness: before it cosigns a checkpoint of size N that extends the
 * size M it cosigned last, the witness reads the log's public tiles (c2sp.org/tlog-tiles),
 * recomputes the root of the tree of size N and checks every new entry [M, N) against it.
 * A checkpoint whose entries nobody can fetch (a privately extended log: the attacker signs
 * a trojan entry with a stolen log key and serves it, with its proof, to one victim) is
 * refused, so nothing a witness cosigned stays invisible to monitors.
 *
 * Only the tiles of the tree's right edge (for the root) and the tiles and entry bundles that
 * hold the new entries are read; everything older was checked when it was new (and the
 * consistency proof the witness verified ties the old tree to the new one). Reads are
 * bounded: every resource by its size ({@link HTTP_STORE_LIMITS}), each request by the
 * fetcher's timeouts, and the whole check by {@link DATA_AVAILABILITY_DEFAULTS}.
 */
import { BulwarkError, HttpFetcher } from "@bulwark/tuf";
import type { Checkpoint } from "./checkpoint.js";
import { TLOG_ERRORS, TlogError } from "./errors.js";
import { HttpLogStore } from "./external/http-store.js";
import type { LogStore } from "./store.js";
import { TILE_WIDTH } from "./tile-path.js";
import { TiledTree } from "./tiled-tree.js";

/** Named limits of one data-availability check (one checkpoint). */
export const DATA_AVAILABILITY_DEFAULTS = {
  /** Time for the whole check, every tile and bundle included. */
  timeoutMs: 60_000,
  /**
   * Bytes read for one check. A first checkpoint (old size 0) reads the whole log: 128 MiB
   * holds the tiles and bundles of some 200,000 release entries.
   */
  maxBytes: 128 * 1024 * 1024,
  /** Time to connect and get response headers, per request. */
  connectTimeoutMs: 10_000,
  /** Longest silence inside one response body. */
  idleTimeoutMs: 10_000,
  /** Entry bundles read at once. */
  concurrency: 4,
} as const;

/** Limits of a data-availability check; each defaults to {@link DATA_AVAILABILITY_DEFAULTS}. */
export interface DataAvailabilityLimits {
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  readonly connectTimeoutMs?: number;
  readonly idleTimeoutMs?: number;
  readonly concurrency?: number;
}

/** Where a witness reads a log's public resources: its URL, or a store (a mirror, a test). */
export type PublicLogSource =
  | { readonly url: string; readonly store?: undefined }
  | { readonly url?: string; readonly store: LogStore };

function unavailable(message: string, cause?: unknown): TlogError {
  return new TlogError(TLOG_ERRORS.DATA_UNAVAILABLE, message, cause === undefined ? undefined : { cause });
}

/** A store that stops after a byte budget or when `signal` aborts, whatever the store below does. */
class BoundedStore implements LogStore {
  #bytes = 0;

  constructor(
    readonly inner: LogStore,
    readonly maxBytes: number,
    readonly signal: AbortSignal,
  ) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    if (this.signal.aborted) throw this.signal.reason;
    let stop: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      stop = () => reject(this.signal.reason);
      this.signal.addEventListener("abort", stop, { once: true });
    });
    try {
      const bytes = await Promise.race([this.inner.get(key), aborted]);
      this.#bytes += bytes?.length ?? 0;
      if (this.#bytes > this.maxBytes) throw unavailable(`the check read more than ${this.maxBytes} bytes`);
      return bytes;
    } finally {
      if (stop !== undefined) this.signal.removeEventListener("abort", stop);
      aborted.catch(() => undefined);
    }
  }
}

/**
 * Checks that the tree of `checkpoint` can be read from `source`: its tiles hash to the
 * checkpoint's root, and entries [from, size) are there and match their tiles.
 * @throws {TlogError} TLOG_DATA_UNAVAILABLE (its `cause` the error underneath) when a tile or
 *   bundle is missing, a fetch fails or is over a limit, the check runs out of time, or the
 *   tiles lead to another root.
 */
export async function checkDataAvailability(
  source: PublicLogSource,
  checkpoint: Checkpoint,
  from: bigint,
  limits: DataAvailabilityLimits = {},
): Promise<void> {
  const options = { ...DATA_AVAILABILITY_DEFAULTS, ...limits };
  const where = source.url ?? "the log's public store";
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(unavailable(`reading ${where} took over ${options.timeoutMs} ms`)),
    options.timeoutMs,
  );
  timer.unref();
  const inner =
    source.store ??
    new HttpLogStore(source.url, {
      fetcher: new HttpFetcher({
        userAgent: "bulwark-witness",
        connectTimeoutMs: options.connectTimeoutMs,
        idleTimeoutMs: options.idleTimeoutMs,
      }),
      signal: controller.signal,
    });
  const tree = new TiledTree(new BoundedStore(inner, options.maxBytes, controller.signal), checkpoint.size);
  try {
    await tree.verifyRoot(checkpoint.rootHash);
    const ranges: Array<[bigint, number]> = [];
    const w = BigInt(TILE_WIDTH);
    for (let i = from; i < checkpoint.size; ) {
      const end = (i / w + 1n) * w < checkpoint.size ? (i / w + 1n) * w : checkpoint.size;
      ranges.push([i, Number(end - i)]);
      i = end;
    }
    // A small pool: the first range reads (and caches) the parent tiles the others share.
    const first = ranges.shift();
    if (first !== undefined) await tree.entries(first[0], first[1]);
    const worker = async (): Promise<void> => {
      for (let r = ranges.shift(); r !== undefined; r = ranges.shift()) await tree.entries(r[0], r[1]);
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  } catch (error) {
    if (error instanceof TlogError && error.code === TLOG_ERRORS.DATA_UNAVAILABLE) throw error;
    if (!(error instanceof BulwarkError)) throw error;
    const why =
      error instanceof TlogError && error.code === TLOG_ERRORS.BAD_TILE
        ? `the tiles at ${where} do not lead to the checkpoint's root (${error.message})`
        : `the checkpoint's tree cannot be read from ${where} (${error.message})`;
    throw unavailable(`${why}: its entries are not public`, error);
  } finally {
    clearTimeout(timer);
  }
}
