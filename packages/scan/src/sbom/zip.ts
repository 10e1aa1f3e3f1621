/**
 * Reading the JSON entries of a zip (such as an OSV per-ecosystem `all.zip`) one at a
 * time, through yauzl: memory is bounded by the largest entry, each entry by a size limit
 * enforced while inflating (and checked against its declared size), the entry count by a limit.
 */
import { readFile, stat } from "node:fs/promises";
import { inflateRawSync } from "node:zlib";
import { fromBufferPromise, openPromise } from "yauzl";
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
    const options = { lazyEntries: true, autoClose: false, strictFileNames: true };
    // A zip within the per-file limit is read whole (thousands of small reads from disk cost
    // more than the memory); a larger one is read with random access, one entry at a time.
    const { size } = await stat(path);
    zip =
      size <= limits.maxFileBytes
        ? await fromBufferPromise(await readFile(path), options)
        : await openPromise(path, options);
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
      if (entry.isEncrypted()) {
        throw new ScanFormatError("SCAN_BAD_ZIP", `${entryName} is encrypted`, { file: name });
      }
      if (entry.uncompressedSize > limits.maxFileBytes || entry.compressedSize > limits.maxFileBytes) {
        throw new ScanLimitError(
          "SCAN_LIMIT_FILE_SIZE",
          `${entryName} is ${entry.uncompressedSize} bytes, more than ${limits.maxFileBytes}`,
          limits.maxFileBytes,
        );
      }
      // Raw bytes, inflated here in one synchronous call: thousands of small records inflated
      // on the thread pool spend their time waiting, and maxOutputLength stops a bomb early.
      const chunks: Buffer[] = [];
      for await (const chunk of await zip.openReadStreamPromise(entry, { decompress: false }))
        chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks);
      let bytes: Buffer;
      if (entry.compressionMethod === 0) bytes = raw;
      else if (entry.compressionMethod === 8) {
        try {
          bytes = inflateRawSync(raw, { maxOutputLength: limits.maxFileBytes });
        } catch (cause) {
          if ((cause as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
            throw new ScanLimitError(
              "SCAN_LIMIT_FILE_SIZE",
              `${entryName} inflates past ${limits.maxFileBytes} bytes`,
              limits.maxFileBytes,
            );
          }
          throw cause;
        }
      } else {
        throw new ScanFormatError("SCAN_BAD_ZIP", `${entryName} uses compression method ${entry.compressionMethod}`, {
          file: name,
        });
      }
      if (bytes.length !== entry.uncompressedSize) {
        throw new ScanFormatError(
          "SCAN_BAD_ZIP",
          `${entryName} inflates to ${bytes.length} bytes, not the ${entry.uncompressedSize} its header says`,
          { file: name },
        );
      }
      onEntry(entryName, bytes);
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
