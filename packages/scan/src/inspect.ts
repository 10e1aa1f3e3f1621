/**
 * One file of a release, inspected while its bytes are in memory: hashes, entropy, network
 * indicators, the npm module it declares, and for a native binary what the binary readers
 * and the signature check (layer 2) find. What is kept is a {@link FileRecord}; the bytes go.
 */
import { createHash } from "node:crypto";
import { type BinaryInfo, entropy, readBinary, sniffBinary } from "./binary/index.js";
import { extractNetworkIndicators } from "./diff/network.js";
import { isPackageJson, parsePackageJson } from "./diff/npm.js";
import { ScanFormatError, ScanLimitError } from "./errors.js";
import type { Finding } from "./finding.js";
import type { FileRecord } from "./inventory.js";
import type { ReleaseFile } from "./walk.js";

/** A file's record, and the findings of reading it (signature structure, an unreadable binary). */
export interface Inspected {
  readonly record: FileRecord;
  readonly findings: Finding[];
}

/** Parses a native binary and checks its signature; an unparseable one is a finding, not the end of the scan. */
async function inspectBinary(file: ReleaseFile): Promise<{ binary?: BinaryInfo; findings: Finding[] }> {
  if (sniffBinary(file.bytes) === undefined) return { findings: [] };
  try {
    const { info, findings } = readBinary(file.bytes, file.path);
    return { binary: info, findings };
  } catch (error) {
    // A format the readers do not parse yet is not a finding about the file.
    if (error instanceof ScanFormatError && error.code === "SCAN_BAD_BINARY") return { findings: [] };
    if (!(error instanceof ScanFormatError || error instanceof ScanLimitError)) throw error;
    return {
      findings: [
        {
          id: "format.binary.unreadable",
          severity: "high",
          layer: "format",
          file: file.path,
          why: "a file that starts like a native binary but cannot be parsed as one: malformed, truncated or built to confuse readers",
          evidence: { code: error.code, message: error.message },
        },
      ],
    };
  }
}

/**
 * Inspects one file; `algorithms` are the hashes besides sha256 that threat intelligence needs.
 * @throws only what is not about the file's bytes (a programming error); hostile bytes are findings.
 */
export async function inspectFile(file: ReleaseFile, algorithms: ReadonlySet<"sha1" | "md5">): Promise<Inspected> {
  const digest = (algorithm: string) => createHash(algorithm).update(file.bytes).digest("hex");
  const npm = isPackageJson(file.path) ? parsePackageJson(file.bytes) : undefined;
  const { binary, findings } = await inspectBinary(file);
  const record: FileRecord = {
    path: file.path,
    size: file.bytes.length,
    sha256: digest("sha256"),
    ...(algorithms.has("sha1") ? { sha1: digest("sha1") } : {}),
    ...(algorithms.has("md5") ? { md5: digest("md5") } : {}),
    modeExecutable: file.executable,
    entropy: entropy(file.bytes),
    ...(file.archive === undefined ? {} : { archive: file.archive }),
    // An archive's own bytes are compressed or hold files walked on their own: their strings say nothing.
    network: file.archive === undefined ? extractNetworkIndicators(file.bytes) : { urls: [], domains: [], ips: [] },
    ...(npm === undefined ? {} : { npm }),
    ...(binary === undefined ? {} : { binary }),
  };
  return { record, findings };
}
