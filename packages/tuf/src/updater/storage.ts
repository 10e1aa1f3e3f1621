import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { StorageError, UnsafeNameError } from "../errors.js";

/**
 * Writes `data` to `file` atomically: a temporary file in the same directory, fsync,
 * rename over the target, fsync of the directory. Readers see the old or the new bytes,
 * never a mix, even after a crash. A caller that writes many files in one folder may pass
 * `syncDirectory: false` and fsync the folder once at the end.
 * @throws {StorageError}
 */
export async function writeFileAtomic(
  file: string,
  data: Uint8Array,
  options: { readonly syncDirectory?: boolean } = {},
): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await fs.open(tmp, "wx", 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
    if (options.syncDirectory !== false) await syncDirectory(dir);
  } catch (cause) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw new StorageError(`cannot write ${file}: ${(cause as Error).message}`, { cause });
  }
}

/** fsyncs a directory so a rename in it survives a crash (best effort). */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, "r");
    await handle.sync();
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}

/** Reads a file, or returns undefined when it does not exist. */
export async function readFileIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new StorageError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Percent-encodes a role name or target path into one path segment, as python-tuf does
 * (`urllib.parse.quote(name, safe="")`): `/`, `%`, NUL and everything outside
 * `A-Za-z0-9_.-~` are encoded, so no name can leave its directory.
 * @throws {UnsafeNameError} for a name that is not well-formed Unicode.
 */
export function encodeName(name: string): string {
  if (!name.isWellFormed()) throw new UnsafeNameError(`the name ${JSON.stringify(name)} is not well-formed Unicode`);
  return encodeURIComponent(name).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The file name under which a target is stored: its encoded path, with `.`, `..` and
 * the empty name refused, so a target is always a file inside the target directory.
 * @throws {UnsafeNameError}
 */
export function targetFileName(targetPath: string): string {
  const encoded = encodeName(targetPath);
  if (encoded === "" || encoded === "." || encoded === "..") {
    throw new UnsafeNameError(`the target path ${JSON.stringify(targetPath)} cannot be stored as a file`);
  }
  return encoded;
}
