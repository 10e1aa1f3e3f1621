/**
 * A read-only {@link LogStore} over HTTP(S): the log's resources under a URL prefix, as a
 * static server, a CDN or a mirror serves them. Nothing it returns is trusted (the reader
 * verifies every byte); what it guards against is endless data and slow servers: each
 * resource kind has a size limit enforced while streaming, and the fetcher has timeouts.
 */
import { DownloadHttpError, type Fetcher, HttpFetcher, readAll } from "@bulwark/tuf";
import { HASH_SIZE } from "../rfc6962.js";
import type { LogStore } from "../store.js";
import { TILE_WIDTH } from "../tile-path.js";
import { MAX_ENTRY_SIZE } from "../tiles.js";

/** Named size limits of the resources of a tiled log. */
export const HTTP_STORE_LIMITS = {
  /** A checkpoint: the body and at most 100 signature lines fit in far less. */
  checkpointBytes: 64 * 1024,
  /** A full hash tile: 256 hashes of 32 bytes. */
  tileBytes: TILE_WIDTH * HASH_SIZE,
  /** A full entry bundle: 256 entries of at most 65,535 bytes, each with a 2-byte length. */
  entryBundleBytes: TILE_WIDTH * (2 + MAX_ENTRY_SIZE),
  /** Anything else. */
  otherBytes: 64 * 1024,
} as const;

/** The limit for one key. */
function limitFor(key: string): number {
  if (key.startsWith("tile/entries/")) return HTTP_STORE_LIMITS.entryBundleBytes;
  if (key.startsWith("tile/")) return HTTP_STORE_LIMITS.tileBytes;
  if (key === "checkpoint") return HTTP_STORE_LIMITS.checkpointBytes;
  return HTTP_STORE_LIMITS.otherBytes;
}

/** A log served over HTTP at `baseUrl` (its tlog-tiles monitoring prefix). */
export class HttpLogStore implements LogStore {
  readonly baseUrl: string;
  readonly #fetcher: Fetcher;
  readonly #signal: AbortSignal | undefined;

  /**
   * @param fetcher defaults to {@link HttpFetcher} with its timeouts and slow-retrieval checks.
   */
  constructor(baseUrl: string, options: { fetcher?: Fetcher; signal?: AbortSignal } = {}) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`;
    this.#fetcher = options.fetcher ?? new HttpFetcher({ userAgent: "bulwark-tlog" });
    this.#signal = options.signal;
  }

  /**
   * The bytes at `key`, or undefined for a 404 or 403 answer.
   * @throws {DownloadError} for other HTTP errors, network errors, timeouts and bodies over
   *   the limit of the resource kind.
   */
  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const bytes = await readAll(this.#fetcher, new URL(key, this.baseUrl).href, {
        maxLength: limitFor(key),
        ...(this.#signal ? { signal: this.#signal } : {}),
      });
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      if (error instanceof DownloadHttpError && (error.status === 404 || error.status === 403)) return undefined;
      throw error;
    }
  }
}
