/**
 * Copying one staged release file to its public name at publish: streamed, its hash
 * re-checked on the way (the bytes must still be the ones hashed at `release add`), with a
 * progress bar, into a temporary file that is fsynced and renamed into place.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, promises as fs } from "node:fs";
import path from "node:path";
import { StorageError, syncDirectory } from "@bulwark/tuf";
import type { Context } from "../command.js";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { Progress } from "../ui/progress.js";

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
 * @throws {CliError} `STAGED_FILE_MISSING`, `STAGED_FILE_CHANGED`; {@link StorageError}.
 */
export async function publishTarget(stagedDir: string, t: TargetCopy, ctx: Context): Promise<void> {
  const existing = await fs.stat(t.dest).catch(() => undefined);
  if (existing?.isFile() && existing.size === t.length) return;
  const blob = path.join(stagedDir, t.sha256);
  const stat = await fs.stat(blob).catch(() => undefined);
  if (stat === undefined) {
    throw new CliError(
      "STAGED_FILE_MISSING",
      `the release file for ${t.path} was removed from ${stagedDir} before publishing`,
      EXIT.FAILURE,
      "add it again with `bulwark release add`",
    );
  }
  await fs.mkdir(path.dirname(t.dest), { recursive: true });
  const tmp = `${t.dest}.${randomBytes(6).toString("hex")}.tmp`;
  const hash = createHash("sha256");
  const progress = new Progress(
    ctx.out.streams.stderr,
    `copying ${path.basename(t.path)}`,
    stat.size,
    !ctx.out.json && !ctx.out.quiet,
  );
  let length = 0;
  const out = await fs.open(tmp, "wx", 0o644);
  try {
    for await (const chunk of createReadStream(blob, { highWaterMark: 1 << 20 })) {
      const buf = chunk as Buffer;
      hash.update(buf);
      length += buf.length;
      await out.write(buf);
      progress.tick(buf.length);
    }
    await out.sync();
  } catch (cause) {
    await out.close();
    await fs.rm(tmp, { force: true });
    throw new StorageError(`cannot copy ${t.path} to ${t.dest}: ${(cause as Error).message}`, { cause });
  } finally {
    progress.finish();
  }
  await out.close();
  // The bytes must still be the ones hashed when they were added.
  if (length !== t.length || hash.digest("hex") !== t.sha256) {
    await fs.rm(tmp, { force: true });
    throw new CliError(
      "STAGED_FILE_CHANGED",
      `the staged release file for ${t.path} changed since it was added`,
      EXIT.FAILURE,
      "add it again with `bulwark release add`",
    );
  }
  await fs.rename(tmp, t.dest);
  await syncDirectory(path.dirname(t.dest));
}
