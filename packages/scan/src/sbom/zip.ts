/**
 * Reading the JSON entries of a zip (such as an OSV per-ecosystem `all.zip`) one at a
 * time, through yauzl: memory is bounded by the largest entry, each entry by a size limit
 * enforced while inflating, and the entry count by a limit.
 */
import { openPromise } from "yauzl";
import { ScanFormatError, ScanLimitError } from "../errors.js";
import type { IntelLimits } from "../intel/limits.js";

/**
 * Calls `onEntry` with the bytes of every `.json` entry of the zip at `path`.
 *
 * @throws {ScanFormatError} `SCAN_BAD_ZIP` when the zip is malformed.
 * @throws {ScanLimitError} `SCAN_LIMIT_FILES` / `SCAN_LIMIT_FILE_SIZE` past the limits.
 */
export async function forEachJsonEntry(
  path: string,
  name: string,
  limits: IntelLimits,
  onEntry: (entryName: string, bytes: Uint8Array) => void,
): Promise<void> {
  let zip: Awaited<ReturnType<typeof openPromise>>;
  try {
    zip = await openPromise(path, { lazyEntries: true, autoClose: false, strictFileNames: true });
  } catch (cause) {
    throw new ScanFormatError("SCAN_BAD_ZIP", `${name} is not a readable zip: ${(cause as Error).message}`, {
      cause,
      file: name,
    });
  }
  try {
    if (zip.entryCount > limits.maxFiles) {
      throw new ScanLimitError(
        "SCAN_LIMIT_FILES",
        `${name} has ${zip.entryCount} entries, more than ${limits.maxFiles}`,
        limits.maxFiles,
      );
    }
    for await (const entry of zip.eachEntry()) {
      if (!entry.fileName.endsWith(".json")) continue;
      const entryName = `${name}!/${entry.fileName}`;
      if (entry.uncompressedSize > limits.maxFileBytes) {
        throw new ScanLimitError(
          "SCAN_LIMIT_FILE_SIZE",
          `${entryName} is ${entry.uncompressedSize} bytes, more than ${limits.maxFileBytes}`,
          limits.maxFileBytes,
        );
      }
      const chunks: Buffer[] = [];
      let size = 0;
      // yauzl also checks that the inflated size equals the declared one (validateEntrySizes).
      for await (const chunk of await zip.openReadStreamPromise(entry)) {
        size += (chunk as Buffer).length;
        if (size > limits.maxFileBytes) {
          throw new ScanLimitError(
            "SCAN_LIMIT_FILE_SIZE",
            `${entryName} inflates past ${limits.maxFileBytes} bytes`,
            limits.maxFileBytes,
          );
        }
        chunks.push(chunk as Buffer);
      }
      onEntry(entryName, Buffer.concat(chunks, size));
    }
  } catch (cause) {
    if (cause instanceof ScanLimitError || cause instanceof ScanFormatError) throw cause;
    throw new ScanFormatError("SCAN_BAD_ZIP", `${name} is not a readable zip: ${(cause as Error).message}`, {
      cause,
      file: name,
    });
  } finally {
    zip.close();
  }
}
