/** The staging folder: fetched bytes kept under their SHA-256, written atomically. */
import { createHash, randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { syncDirectory, writeFileAtomic } from "@bulwark/tuf";

/**
 * Keeps `bytes` as `<sha256>` in `dir` (temp file, fsync, rename).
 * @returns its size, SHA-256 and path.
 */
export async function writeStaged(
  dir: string,
  bytes: Uint8Array,
): Promise<{ size: number; sha256: string; file: string }> {
  await fs.mkdir(dir, { recursive: true });
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const file = path.join(dir, sha256);
  await writeFileAtomic(file, bytes);
  await syncDirectory(dir);
  return { size: bytes.length, sha256, file };
}

/** A fresh temporary name in `dir`, for a file being streamed in. */
export function partName(dir: string): string {
  return path.join(dir, `.${randomUUID()}.part`);
}
