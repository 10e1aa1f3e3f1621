import { DownloadError, DownloadLengthMismatchError, NetworkError } from "../errors.js";

/** Options of one fetch. */
export interface FetchOptions {
  /** The most bytes to accept: more is an endless-data attack. */
  readonly maxLength: number;
  readonly signal?: AbortSignal;
  /** Ask for bytes from this offset on (HTTP Range), for resumable downloads. */
  readonly offset?: number;
  /** Called before each redirect the fetcher follows (fetchers that follow none never call it). */
  readonly onRedirect?: (from: string, to: string) => void;
  /**
   * Extra request headers of this fetch only (conditional requests: `if-none-match`,
   * `if-modified-since`); fetchers that are not HTTP ignore them.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** Called with the status and headers of the final answer, before its body (HTTP fetchers only). */
  readonly onResponse?: (status: number, headers: Readonly<Record<string, string | string[] | undefined>>) => void;
}

/**
 * How the updater gets bytes. Implementations stream chunks and must never buffer more
 * than `maxLength`; {@link readAll} enforces the limit again. HTTP errors are
 * {@link DownloadHttpError}s (404 and 403 mean "no such file").
 */
export interface Fetcher {
  fetch(url: string, options: FetchOptions): AsyncIterable<Uint8Array>;
}

/**
 * Reads a whole download, enforcing `maxLength` while streaming.
 * @throws {DownloadLengthMismatchError} when more than `maxLength` bytes arrive.
 */
export async function readAll(fetcher: Fetcher, url: string, options: FetchOptions): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of fetcher.fetch(url, options)) {
      total += chunk.length;
      if (total > options.maxLength) {
        throw new DownloadLengthMismatchError(
          `${url} sent more than the ${options.maxLength} bytes allowed (endless-data attack?)`,
        );
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof DownloadError) throw error;
    throw new NetworkError(`downloading ${url} failed: ${(error as Error).message}`, { cause: error });
  }
  return Buffer.concat(chunks, total);
}
