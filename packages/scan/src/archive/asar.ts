/**
 * An Electron asar archive read without extracting: the header is a Chromium pickle holding
 * a JSON table of contents (`{"files": {name: node}}`, a node being a folder `{files}`, a
 * link `{link}` or a file `{size, offset, executable?, unpacked?}`), and file data follows
 * the header at the offsets the table gives. Files marked `unpacked` live beside the archive
 * in `app.asar.unpacked/` and are reported as such, with no data here.
 */
import { type ArchiveEntry, type Budget, parseEntryPath, type RandomAccessReader } from "@bulwark/client";
import { ScanFormatError, ScanLimitError } from "../errors.js";
import { MAX_ASAR_HEADER_BYTES } from "./limits.js";

/** One asar entry: an archive entry, and whether its bytes live outside the archive. */
export interface AsarEntry extends ArchiveEntry {
  readonly unpacked: boolean;
}

const READ_CHUNK = 1024 * 1024;

function bad(message: string): ScanFormatError {
  return new ScanFormatError("SCAN_BAD_ASAR", message);
}

/** True when `head` (at least 17 bytes) starts like an asar header pickle. */
export function hasAsarMagic(head: Uint8Array): boolean {
  if (head.length < 17) return false;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const headerSize = view.getUint32(4, true);
  return (
    view.getUint32(0, true) === 4 &&
    view.getUint32(8, true) === headerSize - 4 &&
    view.getUint32(12, true) <= headerSize - 8 &&
    head[16] === 0x7b // "{"
  );
}

async function readExact(reader: RandomAccessReader, position: number, length: number, what: string): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await reader.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw bad(`the asar archive is truncated in ${what}`);
    done += bytesRead;
  }
  return buffer;
}

interface Header {
  readonly table: unknown;
  readonly dataStart: number;
}

async function readHeader(reader: RandomAccessReader, size: number): Promise<Header> {
  if (size < 16) throw bad("the asar archive is too short for its header");
  const head = await readExact(reader, 0, 16, "its header");
  if (!hasAsarMagic(Buffer.concat([head, Buffer.from("{")]))) throw bad("the asar header pickle is malformed");
  const headerSize = head.readUInt32LE(4);
  const jsonLength = head.readUInt32LE(12);
  if (jsonLength > MAX_ASAR_HEADER_BYTES) {
    throw new ScanLimitError(
      "SCAN_LIMIT_ASAR_HEADER",
      `the asar header is ${jsonLength} bytes, over ${MAX_ASAR_HEADER_BYTES}`,
      MAX_ASAR_HEADER_BYTES,
    );
  }
  const dataStart = 8 + headerSize;
  if (16 + jsonLength > dataStart || dataStart > size) throw bad("the asar header runs past the end of the archive");
  const json = await readExact(reader, 16, jsonLength, "its header");
  let table: unknown;
  try {
    table = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(json));
  } catch (cause) {
    throw new ScanFormatError("SCAN_BAD_ASAR", "the asar header is not UTF-8 JSON", { cause });
  }
  return { table, dataStart };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A file node's size and offset, checked against the archive's size. */
function fileRange(node: Record<string, unknown>, name: string, dataBytes: number): { size: number; offset: number } {
  const { size, offset } = node;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw bad(`the asar entry ${JSON.stringify(name)} has a bad size`);
  }
  if (node.unpacked === true) return { size, offset: 0 };
  if (typeof offset !== "string" || !/^[0-9]{1,15}$/.test(offset)) {
    throw bad(`the asar entry ${JSON.stringify(name)} has a bad offset`);
  }
  const start = Number(offset);
  if (start + size > dataBytes) throw bad(`the asar entry ${JSON.stringify(name)} lies past the end of the archive`);
  return { size, offset: start };
}

/**
 * The entries of the asar archive read through `reader` (`size` bytes), folders first-come.
 * Names are checked like any archive path; the caller counts entries and bytes against `budget`.
 * @throws {ScanFormatError} `SCAN_BAD_ASAR`; {@link ScanLimitError} past a bound.
 */
export async function* readAsarEntries(
  reader: RandomAccessReader,
  size: number,
  budget: Budget,
): AsyncGenerator<AsarEntry> {
  const { table, dataStart } = await readHeader(reader, size);
  if (!isRecord(table) || !isRecord(table.files)) throw bad("the asar header has no files table");
  const dataBytes = size - dataStart;
  // Iterative, so a deeply nested table cannot exhaust the stack.
  const pending: Array<{ prefix: string; files: Record<string, unknown> }> = [{ prefix: "", files: table.files }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for (const [name, node] of Object.entries(next.files)) {
      const path = `${next.prefix}${name}`;
      if (name.includes("/")) throw bad(`the asar entry ${JSON.stringify(path)} has a "/" in its name`);
      // Checked here as well as by the caller: a hostile name must not reach the prefix of the next level.
      parseEntryPath(path, budget.limits.maxPathLength);
      if (!isRecord(node)) throw bad(`the asar entry ${JSON.stringify(path)} is not an object`);
      if (isRecord(node.files)) {
        pending.push({ prefix: `${path}/`, files: node.files });
        continue;
      }
      if (typeof node.link === "string") {
        yield { ...base(path, "symlink", 0, false), linkTarget: node.link, unpacked: false, data: noData };
        continue;
      }
      const range = fileRange(node, path, dataBytes);
      const unpacked = node.unpacked === true;
      const start = dataStart + range.offset;
      const data = async function* (): AsyncGenerator<Buffer> {
        if (unpacked) return;
        for (let done = 0; done < range.size; ) {
          const length = Math.min(READ_CHUNK, range.size - done);
          yield await readExact(reader, start + done, length, `the data of ${JSON.stringify(path)}`);
          done += length;
        }
      };
      yield { ...base(path, "file", unpacked ? 0 : range.size, node.executable === true), unpacked, data };
    }
  }
}

function base(path: string, type: "file" | "symlink", size: number, executable: boolean) {
  return { path, type, size, executable, mtime: undefined, linkTarget: undefined };
}

async function* noData(): AsyncGenerator<Buffer> {}
