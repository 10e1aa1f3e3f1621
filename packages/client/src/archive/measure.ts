/**
 * Measuring a release archive without unpacking it: the vendor's side of the signed
 * unpacked size. The archive is walked with the same readers and the same path rules the
 * extraction uses, nothing is written, and the numbers are the ones the extraction's
 * bounds count, so an endpoint can stop at exactly what was measured.
 */

import { parseEntryPath } from "./entry-path.js";
import { ArchiveError } from "./errors.js";
import { detectArchiveFormat, withEntries } from "./extract.js";
import { Budget, type ExtractOptions, resolveLimits, type UnpackedSize } from "./limits.js";
import type { ArchiveFormat } from "./staging.js";

/** What {@link measureArchive} found: the format, and the unpacked size to sign. */
export interface ArchiveMeasure extends UnpackedSize {
  readonly format: ArchiveFormat;
}

/**
 * Walks the archive `file` (tar, tar.gz or zip, from its magic bytes) as an extraction
 * would, writing nothing: `bytes` is its file content, `entries` what `maxEntries` counts
 * (every entry, plus each parent directory the extraction would create for it). Returns
 * undefined for a file that is not an archive. The walk is bounded by `options` (the
 * extraction defaults when absent), so measuring a bomb stops where unpacking it would.
 * @throws {ArchiveError} for an archive an extraction would refuse (an unsafe path, a
 *   bound exceeded, a malformed entry); {@link StorageError} when it cannot be read.
 */
export async function measureArchive(file: string, options: ExtractOptions = {}): Promise<ArchiveMeasure | undefined> {
  let format: ArchiveFormat;
  try {
    format = await detectArchiveFormat(file);
  } catch (error) {
    if (error instanceof ArchiveError && error.code === "ARCHIVE_UNSUPPORTED") return undefined;
    throw error;
  }
  const limits = resolveLimits(options);
  const budget = new Budget(limits);
  const directories = new Set<string>();
  await withEntries(format, file, budget, async (entries) => {
    for await (const entry of entries) {
      budget.addEntry(entry.path);
      const segments = parseEntryPath(entry.path, limits.maxPathLength);
      // A parent the archive has not named yet is created, and counted, as the extraction does.
      for (let depth = 1; depth < segments.length; depth++) {
        const parent = segments.slice(0, depth).join("/");
        if (directories.has(parent)) continue;
        directories.add(parent);
        budget.addEntry(entry.path);
      }
      if (entry.type === "directory") directories.add(segments.join("/"));
      if (entry.type !== "file") continue;
      budget.reserve(entry.path, entry.size);
      for await (const chunk of entry.data()) budget.addContent(entry.path, chunk.length);
    }
  });
  return { format, bytes: budget.contentBytes, entries: budget.entries };
}
