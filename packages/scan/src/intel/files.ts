/**
 * Listing and reading the files of an intel, rules or advisory directory, bounded: a file
 * count and a per-file size, symbolic links not followed (a link loop or a link out of the
 * directory is not read), dot-files skipped.
 */
import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "@bulwark/tuf";
import { ScanLimitError } from "../errors.js";

/**
 * The regular files under `dir`, as `/`-separated paths relative to it, sorted.
 *
 * @throws {UsageError} `SCAN_NO_DIRECTORY` when `dir` is not a directory.
 * @throws {ScanLimitError} `SCAN_LIMIT_FILES` past `maxFiles`.
 */
export async function listFiles(dir: string, maxFiles: number, what: string): Promise<string[]> {
  const top = await lstat(dir).catch(() => undefined);
  if (top === undefined || !top.isDirectory()) {
    throw new UsageError(`${dir} is not a directory`, {
      code: "SCAN_NO_DIRECTORY",
      hint: `Pass the directory that holds the ${what}.`,
    });
  }
  const out: string[] = [];
  const pending = [""];
  while (pending.length > 0) {
    const rel = pending.pop() as string;
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const path = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) pending.push(path);
      else if (e.isFile()) {
        out.push(path);
        if (out.length > maxFiles) {
          throw new ScanLimitError("SCAN_LIMIT_FILES", `${dir} holds more than ${maxFiles} ${what} files`, maxFiles);
        }
      }
    }
  }
  return out.sort();
}

/**
 * Reads one file of at most `maxBytes`.
 *
 * @throws {ScanLimitError} `SCAN_LIMIT_FILE_SIZE` when larger.
 */
export async function readBounded(dir: string, rel: string, maxBytes: number): Promise<Uint8Array> {
  const path = join(dir, rel);
  const { size } = await lstat(path);
  if (size > maxBytes) {
    throw new ScanLimitError("SCAN_LIMIT_FILE_SIZE", `${rel} is ${size} bytes, more than ${maxBytes}`, maxBytes);
  }
  const bytes = await readFile(path);
  // The file may have grown between lstat and read.
  if (bytes.length > maxBytes) {
    throw new ScanLimitError("SCAN_LIMIT_FILE_SIZE", `${rel} is more than ${maxBytes} bytes`, maxBytes);
  }
  return bytes;
}
