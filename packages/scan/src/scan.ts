/**
 * The scan pipeline: walk the release (and the previous one) one file at a time, keep an
 * inventory of each (hashes, entropy, network indicators, npm module, binary facts), run the
 * per-file layers on the new release's bytes while they are in memory (code signatures,
 * threat intelligence, YARA), then compare the inventories (release diff), match the SBOM
 * against advisories, and reach a verdict.
 */
import { createHash } from "node:crypto";
import { createReadStream, promises as fs } from "node:fs";
import { StorageError } from "@bulwark/tuf";
import type { ScanLimits } from "./archive/index.js";
import { shannonEntropy } from "./diff/entropy.js";
import { extractNetworkIndicators } from "./diff/network.js";
import { isPackageJson, parsePackageJson } from "./diff/npm.js";
import { diffReleases } from "./diff/release-diff.js";
import type { Finding } from "./finding.js";
import { SCAN_SCHEMA } from "./finding.js";
import type { FileRecord, Inventory } from "./inventory.js";
import { countFindings, type LayersRun, type ReleaseSummary, type ScanReport, sortFindings } from "./report.js";
import { threeCxShape, verdictOf } from "./verdict.js";
import { type ReleaseFile, walkRelease } from "./walk.js";

/** How far a scan has got, for a progress bar. */
export interface ScanProgress {
  readonly phase: "previous" | "release";
  readonly files: number;
  readonly bytes: number;
}

/** Options of {@link scanRelease}. */
export interface ScanOptions {
  /** The previous release (file or folder), for the release diff. */
  readonly previous?: string;
  /** Bounds on what the scan reads; named defaults otherwise. */
  readonly limits?: ScanLimits;
  readonly onProgress?: (progress: ScanProgress) => void;
}

/** A per-file layer: sees each file of the new release while its bytes are in memory. */
interface FileLayer {
  inspect(file: ReleaseFile, record: FileRecord): Promise<Finding[]> | Finding[];
}

function cannotRead(file: string, cause: unknown): StorageError {
  return new StorageError(`cannot read ${file}: ${(cause as Error).message}`, { cause });
}

/** sha256 of a file, streamed. */
async function hashFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  } catch (cause) {
    throw cannotRead(file, cause);
  }
  return hash.digest("hex");
}

/** What the scan keeps of one file. */
function recordOf(file: ReleaseFile, algorithms: ReadonlySet<"sha1" | "md5">): FileRecord {
  const digest = (algorithm: string) => createHash(algorithm).update(file.bytes).digest("hex");
  const npm = isPackageJson(file.path) ? parsePackageJson(file.bytes) : undefined;
  return {
    path: file.path,
    size: file.bytes.length,
    sha256: digest("sha256"),
    ...(algorithms.has("sha1") ? { sha1: digest("sha1") } : {}),
    ...(algorithms.has("md5") ? { md5: digest("md5") } : {}),
    modeExecutable: file.executable,
    entropy: shannonEntropy(file.bytes),
    ...(file.archive === undefined ? {} : { archive: file.archive }),
    // An archive's own bytes are compressed or hold files walked on their own: their strings say nothing.
    network: file.archive === undefined ? extractNetworkIndicators(file.bytes) : { urls: [], domains: [], ips: [] },
    ...(npm === undefined ? {} : { npm }),
  };
}

/** One release walked: its inventory, the per-file layers' findings, and its summary. */
async function inspectRelease(
  target: string,
  phase: ScanProgress["phase"],
  layers: readonly FileLayer[],
  options: ScanOptions,
  algorithms: ReadonlySet<"sha1" | "md5">,
): Promise<{ inventory: Inventory; findings: Finding[]; summary: ReleaseSummary }> {
  const files = new Map<string, FileRecord>();
  const findings: Finding[] = [];
  let bytes = 0;
  const stat = await fs.stat(target).catch((cause: unknown) => {
    throw cannotRead(target, cause);
  });
  for await (const item of walkRelease(target, {
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  })) {
    if (item.kind === "unreadable") {
      findings.push({
        id: "format.archive.unreadable",
        severity: "high",
        layer: "format",
        file: item.path,
        why: "an archive inside the release that cannot be read: nothing in it was scanned",
        evidence: { code: item.error.code, message: item.error.message },
      });
      continue;
    }
    if (item.kind === "unpacked") {
      findings.push({
        id: "format.asar.unpacked",
        severity: "info",
        layer: "format",
        file: item.path,
        why: "an asar entry kept outside the archive (app.asar.unpacked/): scanned where the release holds it",
        evidence: { size: item.size },
      });
      continue;
    }
    const record = recordOf(item, algorithms);
    files.set(item.path, record);
    for (const layer of layers) findings.push(...(await layer.inspect(item, record)));
    bytes += item.bytes.length;
    options.onProgress?.({ phase, files: files.size, bytes });
  }
  const summary: ReleaseSummary = {
    path: target,
    ...(stat.isFile() ? { sha256: await hashFile(target) } : {}),
    files: files.size,
    bytes,
  };
  return { inventory: { files }, findings, summary };
}

/**
 * Scans the release at `target` (an archive, a folder or a single file), against
 * `options.previous` when given.
 * @throws {ScanFormatError} for a release that cannot be read as what it is;
 *   {@link ScanLimitError} past a bound; {@link StorageError} when a file cannot be read.
 */
export async function scanRelease(target: string, options: ScanOptions = {}): Promise<ScanReport> {
  const started = performance.now();
  const algorithms = new Set<"sha1" | "md5">();
  const layers: FileLayer[] = [];
  const next = await inspectRelease(target, "release", layers, options, algorithms);
  const findings = [...next.findings];
  let previous: ReleaseSummary | undefined;
  if (options.previous !== undefined) {
    const old = await inspectRelease(options.previous, "previous", [], options, new Set());
    previous = old.summary;
    findings.push(...diffReleases(old.inventory, next.inventory));
  }
  const shape = threeCxShape(findings);
  if (shape !== undefined) findings.push(shape);
  const sorted = sortFindings(findings);
  const layersRun: LayersRun = { diff: previous !== undefined, signature: false };
  return {
    schema: SCAN_SCHEMA,
    verdict: verdictOf(sorted),
    release: next.summary,
    ...(previous === undefined ? {} : { previous }),
    layers: layersRun,
    counts: countFindings(sorted),
    findings: sorted,
    durationMs: Math.round(performance.now() - started),
  };
}
