import { promises as fs } from "node:fs";
import path from "node:path";
import { UsageError } from "../errors.js";
import { writeFileAtomic } from "../updater/storage.js";
import type { RepositoryFile } from "./repository.js";

/**
 * Writes a static repository tree under `dir`, atomically per file and safe for readers:
 * every file except `metadata/timestamp.json` first, timestamp last, so a client never
 * sees a timestamp that points at files not yet written. Versioned files that already
 * exist with the same bytes are skipped.
 * @throws {UsageError} for a path that would leave `dir`.
 */
export async function writeRepositoryFiles(dir: string, files: readonly RepositoryFile[]): Promise<number> {
  const root = path.resolve(dir);
  const ordered = [...files].sort(
    (a, b) => Number(a.path === "metadata/timestamp.json") - Number(b.path === "metadata/timestamp.json"),
  );
  let written = 0;
  const made = new Set<string>();
  for (const file of ordered) {
    const dest = path.resolve(root, file.path);
    if (!dest.startsWith(root + path.sep)) throw new UsageError(`${file.path} would be written outside ${dir}`);
    const parent = path.dirname(dest);
    if (!made.has(parent)) {
      await fs.mkdir(parent, { recursive: true });
      made.add(parent);
    }
    const existing = await fs.readFile(dest).catch(() => undefined);
    if (existing !== undefined && Buffer.compare(existing, file.data) === 0) continue;
    await writeFileAtomic(dest, file.data);
    written++;
  }
  return written;
}
