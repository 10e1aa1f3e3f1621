import { createReadStream } from "node:fs";
import { BulwarkError, DownloadHttpError, DownloadLengthMismatchError, StorageError } from "../errors.js";
import type { Fetcher, FetchOptions } from "./fetcher.js";

/**
 * A {@link Fetcher} over a local folder: the URL is a file path. A file that does not exist
 * answers like HTTP 404; more than `maxLength` bytes fail as they would over HTTP.
 */
export class FileFetcher implements Fetcher {
  async *fetch(file: string, options: FetchOptions): AsyncIterable<Uint8Array> {
    let total = 0;
    try {
      const stream = createReadStream(file, {
        start: options.offset ?? 0,
        highWaterMark: 1 << 20,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      for await (const chunk of stream) {
        total += (chunk as Buffer).length;
        if (total > options.maxLength) {
          throw new DownloadLengthMismatchError(`${file} is longer than the ${options.maxLength} bytes allowed`);
        }
        yield chunk as Buffer;
      }
    } catch (error) {
      if (error instanceof BulwarkError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") {
        throw new DownloadHttpError(`${file} does not exist`, 404);
      }
      throw new StorageError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
    }
  }
}
