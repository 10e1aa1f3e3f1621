/**
 * Verified, resumable downloads of release files. Bytes go to `<sha256>.part` in the
 * download folder; an interrupted download resumes with an HTTP Range request after the
 * bytes already there are hashed again (they are never trusted blindly). Nothing is moved
 * to its final name, and nothing else sees it, before the whole file matches the signed
 * length and hashes.
 */
import { createReadStream, promises as fs } from "node:fs";
import path from "node:path";
import {
  DownloadHttpError,
  DownloadLengthMismatchError,
  type Fetcher,
  HashVerifier,
  longerThanSigned,
  shorterThanSigned,
  syncDirectory,
  type TargetFile,
} from "@bulwark/tuf";

/** Progress of a download, for progress bars. */
export interface DownloadProgress {
  /** Bytes of the file on disk so far, resumed ones included. */
  readonly received: number;
  /** The signed length of the file. */
  readonly total: number;
  /** Bytes reused from an earlier, interrupted download. */
  readonly resumedFrom: number;
}

/** Options of one download. */
export interface DownloadOptions {
  /** Called after every chunk written. */
  readonly onProgress?: (p: DownloadProgress) => void;
  /** Aborts the download; the bytes so far are kept, and the next download resumes from them. */
  readonly signal?: AbortSignal;
}

/** The final path of a verified download of `target` in `dir`: `<sha256>-<file name>`. */
export function downloadedPath(dir: string, target: TargetFile): string {
  const base = target.path.slice(target.path.lastIndexOf("/") + 1).replace(/[^A-Za-z0-9._-]/g, "_");
  return path.join(dir, `${target.hashes.get("sha256") ?? "nohash"}-${base}`);
}

async function verifyFile(file: string, target: TargetFile): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (stat.size !== target.length) return false;
    const v = new HashVerifier(target.hashes, target.path);
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) v.update(chunk as Buffer);
    v.verify();
    return true;
  } catch {
    return false;
  }
}

/**
 * Downloads `target` from `url` into `dir`, resuming a partial download, and returns the
 * verified file's path. A file already there and matching is reused.
 * @throws {LengthOrHashMismatchError} when the finished bytes are not the signed ones
 * (the partial file is deleted, so the next try starts over).
 * @throws {DownloadError} what `fetcher` throws (the partial file is kept for resuming,
 * except after HTTP 416).
 */
export async function downloadVerified(
  fetcher: Fetcher,
  url: string,
  target: TargetFile,
  dir: string,
  options: DownloadOptions = {},
): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const final = downloadedPath(dir, target);
  if (await verifyFile(final, target)) return final;
  const part = `${final}.part`;
  const verifier = new HashVerifier(target.hashes, target.path);
  let offset = 0;
  try {
    const stat = await fs.stat(part);
    if (stat.size <= target.length) {
      // Re-hash what is already there: a partial file is untrusted until the end.
      for await (const chunk of createReadStream(part, { highWaterMark: 1 << 20 })) {
        verifier.update(chunk as Buffer);
        offset += (chunk as Buffer).length;
      }
    } else {
      await fs.rm(part, { force: true });
    }
  } catch {
    // no partial download
  }
  const resumedFrom = offset;
  const handle = await fs.open(part, offset > 0 ? "a" : "w", 0o644);
  let received = offset;
  try {
    if (received < target.length) {
      try {
        for await (const chunk of fetcher.fetch(url, {
          maxLength: target.length - offset,
          ...(offset > 0 ? { offset } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        })) {
          verifier.update(chunk);
          await handle.write(chunk);
          received += chunk.length;
          options.onProgress?.({ received, total: target.length, resumedFrom });
        }
      } catch (error) {
        // A server that cannot serve the range: start over next time.
        if (error instanceof DownloadHttpError && error.status === 416) await fs.rm(part, { force: true });
        if (error instanceof DownloadLengthMismatchError) {
          // The fetcher stops at the signed length: the same error as a file found too long.
          await fs.rm(part, { force: true });
          throw longerThanSigned(target.path, target.length);
        }
        throw error;
      }
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (received !== target.length) {
    await fs.rm(part, { force: true });
    throw received > target.length
      ? longerThanSigned(target.path, target.length)
      : shorterThanSigned(target.path, received, target.length);
  }
  try {
    verifier.verify();
  } catch (error) {
    await fs.rm(part, { force: true });
    throw error;
  }
  await fs.rename(part, final);
  await syncDirectory(dir);
  return final;
}
