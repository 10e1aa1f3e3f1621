/**
 * Copying one staged release file to its public name at publish: streamed, its hash
 * re-checked on the way (the bytes must still be the ones hashed at `release add`), with
 * progress reported, into a temporary file that is fsynced and renamed into place.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { StorageError, syncDirectory } from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import type { ProgressEvent } from "../options.js";
import { copyHashed } from "./copy-hashed.js";
import { isInterrupt } from "./interrupt.js";

/** A staged release file and where it goes. */
export interface TargetCopy {
  readonly path: string;
  readonly sha256: string;
  readonly length: number;
  /** The public file to write. */
  readonly dest: string;
}

/**
 * Copies `stagedDir/<sha256>` to `t.dest` (nothing to do when a file of that length is
 * already there: public names are hash-prefixed or immutable).
 * @throws {PublisherError} `STAGED_FILE_MISSING`, `STAGED_FILE_CHANGED`, `INTERRUPTED`
 *   (`signal`, between chunks: the temporary file is removed); {@link StorageError}.
 */
export async function publishTarget(
  stagedDir: string,
  t: TargetCopy,
  onProgress: ((event: ProgressEvent) => void) | undefined,
  signal?: AbortSignal,
): Promise<void> {
  const existing = await fs.stat(t.dest).catch(() => undefined);
  if (existing?.isFile() && existing.size === t.length) return;
  const blob = path.join(stagedDir, t.sha256);
  if ((await fs.stat(blob).catch(() => undefined)) === undefined) {
    throw new PublisherError(
      PUBLISHER_ERRORS.STAGED_FILE_MISSING,
      `the release file for ${t.path} was removed from ${stagedDir} before publishing`,
      { hint: "add it again with `bulwark release add`" },
    );
  }
  await fs.mkdir(path.dirname(t.dest), { recursive: true });
  const tmp = `${t.dest}.${randomBytes(6).toString("hex")}.tmp`;
  let copied: { length: number; sha256: string };
  try {
    copied = await copyHashed(blob, tmp, `copying ${path.basename(t.path)}`, onProgress, {
      signal,
      what: "publishing",
    });
  } catch (cause) {
    if (isInterrupt(cause)) throw cause;
    throw new StorageError(`cannot copy ${t.path} to ${t.dest}: ${(cause as Error).message}`, { cause });
  }
  // The bytes must still be the ones hashed when they were added.
  if (copied.length !== t.length || copied.sha256 !== t.sha256) {
    await fs.rm(tmp, { force: true });
    throw new PublisherError(
      PUBLISHER_ERRORS.STAGED_FILE_CHANGED,
      `the staged release file for ${t.path} changed since it was added`,
      { hint: "add it again with `bulwark release add`" },
    );
  }
  await fs.rename(tmp, t.dest);
  await syncDirectory(path.dirname(t.dest));
}
