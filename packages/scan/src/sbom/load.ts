/**
 * Loading an offline OSV export: a directory of OSV JSON files (a record, or an array of
 * records, per file) and zips of them (osv.dev's per-ecosystem `all.zip`), or one zip.
 */
import { stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { UsageError } from "@bulwark/tuf";
import { ScanFormatError, ScanLimitError } from "../errors.js";
import { listFiles, readBounded } from "../intel/files.js";
import { isRecord, parseBoundedJson } from "../intel/json.js";
import { DEFAULT_INTEL_LIMITS, type IntelLimits } from "../intel/limits.js";
import { AdvisoryIndex, isOsvRecord, isWithdrawn, parseOsvRecord } from "./osv.js";
import { forEachJsonEntry } from "./zip.js";

/**
 * Adds the OSV records of one JSON document to `index`.
 *
 * @throws {ScanFormatError} `SCAN_BAD_OSV` when the document is not OSV.
 */
export function addOsvDocument(index: AdvisoryIndex, doc: unknown, file: string, limits: IntelLimits): number {
  const records = Array.isArray(doc) ? doc : [doc];
  if (records.length > limits.maxObjectsPerFile) {
    throw new ScanLimitError(
      "SCAN_LIMIT_INTEL_OBJECTS",
      `${file} has more than ${limits.maxObjectsPerFile} OSV records`,
      limits.maxObjectsPerFile,
    );
  }
  let added = 0;
  for (const r of records) {
    if (!isOsvRecord(r)) {
      throw new ScanFormatError("SCAN_BAD_OSV", `${file} is not an OSV record (it needs id, modified and affected)`, {
        file,
      });
    }
    if (isRecord(r) && isWithdrawn(r)) continue;
    index.add(parseOsvRecord(r, file));
    added++;
    if (index.count > limits.maxIndicators) {
      throw new ScanLimitError(
        "SCAN_LIMIT_INTEL_INDICATORS",
        `more than ${limits.maxIndicators} advisories`,
        limits.maxIndicators,
      );
    }
  }
  return added;
}

/** Options of {@link loadOsv}. */
export interface LoadOsvOptions {
  readonly limits?: Partial<IntelLimits>;
}

/**
 * Reads an offline OSV export: a directory (its `.json` and `.zip` files, subdirectories
 * included) or a single `.zip`.
 *
 * @throws {UsageError} `SCAN_NO_DIRECTORY` when `path` is neither.
 * @throws {ScanFormatError} `SCAN_BAD_OSV` / `SCAN_BAD_ZIP` naming the file.
 * @throws {ScanLimitError} `SCAN_LIMIT_*` past a limit.
 */
export async function loadOsvIndex(path: string, options: LoadOsvOptions = {}): Promise<AdvisoryIndex> {
  const limits = { ...DEFAULT_INTEL_LIMITS, ...options.limits };
  const index = new AdvisoryIndex();
  const info = await stat(path).catch(() => undefined);
  if (info?.isFile() === true && path.endsWith(".zip")) {
    await forEachJsonEntry(path, basename(path), limits, (name, bytes) =>
      addOsvDocument(index, parseBoundedJson(bytes, name, "SCAN_BAD_OSV", limits.maxJsonDepth), name, limits),
    );
    return index;
  }
  if (info?.isDirectory() !== true) {
    throw new UsageError(`${path} is neither a directory nor a .zip`, {
      code: "SCAN_NO_DIRECTORY",
      hint: "Pass a directory of OSV JSON files or an osv.dev all.zip export.",
    });
  }
  for (const rel of await listFiles(path, limits.maxFiles, "OSV")) {
    if (rel.endsWith(".json")) {
      const bytes = await readBounded(path, rel, limits.maxFileBytes);
      addOsvDocument(index, parseBoundedJson(bytes, rel, "SCAN_BAD_OSV", limits.maxJsonDepth), rel, limits);
    } else if (rel.endsWith(".zip")) {
      await forEachJsonEntry(join(path, rel), rel, limits, (name, bytes) =>
        addOsvDocument(index, parseBoundedJson(bytes, name, "SCAN_BAD_OSV", limits.maxJsonDepth), name, limits),
      );
    }
  }
  return index;
}
