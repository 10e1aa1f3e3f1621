/**
 * The one streaming copy of release files: into a new temporary file, hashing (SHA-256) on
 * the way, reporting progress, fsynced. Used to stage a file at `release add` and to copy
 * it to its public name at publish.
 */
import { createHash } from "node:crypto";
import { createReadStream, promises as fs } from "node:fs";
import type { ProgressEvent } from "../options.js";
import { stopIfAborted } from "./interrupt.js";

/**
 * Copies `src` to `tmp` (which must not exist) and returns the length and SHA-256 of the
 * bytes copied, reporting progress under `label`. On any error `tmp` is removed and the
 * error is rethrown as it is; `signal` stops the copy between chunks (`INTERRUPTED`, see
 * interrupt.ts, naming `what` was interrupted).
 */
export async function copyHashed(
  src: string,
  tmp: string,
  label: string,
  onProgress: ((event: ProgressEvent) => void) | undefined,
  abort?: { readonly signal: AbortSignal | undefined; readonly what: string },
): Promise<{ length: number; sha256: string }> {
  const size = (await fs.stat(src)).size;
  onProgress?.({ phase: "start", label, total: size });
  const hash = createHash("sha256");
  let length = 0;
  const out = await fs.open(tmp, "wx", 0o644);
  try {
    for await (const chunk of createReadStream(src, { highWaterMark: 1 << 20 })) {
      stopIfAborted(abort?.signal, abort?.what ?? "copying");
      const buf = chunk as Buffer;
      hash.update(buf);
      length += buf.length;
      await out.write(buf);
      onProgress?.({ phase: "advance", label, bytes: buf.length });
    }
    await out.sync();
    await out.close();
  } catch (error) {
    await out.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw error;
  } finally {
    onProgress?.({ phase: "end", label });
  }
  return { length, sha256: hash.digest("hex") };
}
