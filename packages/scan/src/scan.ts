/**
 * The scan pipeline: walk the release (and the previous one) one file at a time and keep an
 * inventory of each (see inspect.ts); while a new file's bytes are in memory, run the
 * per-file layers on it (code signatures, threat intelligence, YARA); then compare the
 * inventories (release diff), build the SBOM and match it against advisories, and reach a
 * verdict (verdict.ts).
 */
import { createHash } from "node:crypto";
import { createReadStream, promises as fs } from "node:fs";
import path from "node:path";
import { StorageError } from "@bulwark/tuf";
import type { ScanLimits } from "./archive/index.js";
import { compareBinaries } from "./binary/index.js";
import { diffReleases } from "./diff/release-diff.js";
import { type Finding, SCAN_SCHEMA } from "./finding.js";
import { inspectFile } from "./inspect.js";
import { type Intel, loadIntel } from "./intel/index.js";
import type { FileRecord, Inventory } from "./inventory.js";
import { countFindings, type LayersRun, type ReleaseSummary, type ScanReport, sortFindings } from "./report.js";
import { type Component, cycloneDx } from "./sbom/index.js";
import { threeCxShape, verdictOf } from "./verdict.js";
import { walkRelease } from "./walk.js";
import { loadYaraRules, type YaraRules } from "./yara/index.js";

/** How far a scan has got, for a progress bar. */
export interface ScanProgress {
  readonly phase: "previous" | "release";
  readonly files: number;
  readonly bytes: number;
}

/** Options of {@link scanRelease}. */
export interface ScanOptions {
  /** The previous release (file or folder), for the release diff (layer 1). */
  readonly previous?: string;
  /** A folder of threat intelligence (layer 3) and OSV advisories (layer 5). */
  readonly intel?: string;
  /** A folder of YARA rules (layer 4). */
  readonly rules?: string;
  /** Build the release's CycloneDX SBOM ({@link ScanResult.sbom}). */
  readonly sbom?: boolean;
  /** Bounds on what the scan reads; named defaults otherwise. */
  readonly limits?: ScanLimits;
  readonly onProgress?: (progress: ScanProgress) => void;
}

/** What {@link scanRelease} returns: the report, and the SBOM when asked for. */
export interface ScanResult {
  readonly report: ScanReport;
  /** The CycloneDX 1.6 document, with {@link ScanOptions.sbom}. */
  readonly sbom?: object;
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

/** The layers that look at each new file's bytes. */
interface FileLayers {
  readonly intel?: Intel;
  readonly yara?: YaraRules;
}

async function perFileFindings(layers: FileLayers, record: FileRecord, bytes: Buffer): Promise<Finding[]> {
  const findings: Finding[] = [];
  if (layers.intel !== undefined) {
    const hashes = {
      sha256: record.sha256,
      ...(record.sha1 ? { sha1: record.sha1 } : {}),
      ...(record.md5 ? { md5: record.md5 } : {}),
    };
    findings.push(
      ...layers.intel.matchFile(record.path, hashes),
      ...layers.intel.matchNetwork(record.path, record.network),
    );
  }
  if (layers.yara !== undefined) findings.push(...(await layers.yara.scan(record.path, bytes)));
  return findings;
}

/** One release walked: its inventory, the findings about its files, and its summary. */
async function inspectRelease(
  target: string,
  name: string,
  phase: ScanProgress["phase"],
  layers: FileLayers | undefined,
  options: ScanOptions,
  stop: AbortSignal,
): Promise<{ inventory: Inventory; findings: Finding[]; summary: ReleaseSummary }> {
  const files = new Map<string, FileRecord>();
  const findings: Finding[] = [];
  const algorithms = layers?.intel?.algorithms ?? new Set<"sha1" | "md5">();
  let bytes = 0;
  const stat = await fs.stat(target).catch((cause: unknown) => {
    throw cannotRead(target, cause);
  });
  const walkOptions = {
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    // A single-file release is named after the new release's file on both sides of the diff.
    singleFileName: path.basename(name),
  };
  for await (const item of walkRelease(target, walkOptions)) {
    // The other release failed: the scan has failed, stop reading (the walk closes its files).
    if (stop.aborted) break;
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
    const inspected = await inspectFile(item, algorithms);
    files.set(item.path, inspected.record);
    findings.push(...inspected.findings);
    if (layers !== undefined) findings.push(...(await perFileFindings(layers, inspected.record, item.bytes)));
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

/** What the release contains, for the SBOM: npm modules, and native libraries with a version. */
function componentsOf(inventory: Inventory): Component[] {
  const components: Component[] = [];
  for (const record of inventory.files.values()) {
    if (record.npm !== undefined) {
      components.push({
        type: "npm",
        name: record.npm.name,
        version: record.npm.version,
        file: record.path,
        sha256: record.sha256,
      });
    } else if (record.binary !== undefined && !record.binary.executable) {
      const name = record.binary.name ?? record.path.slice(record.path.lastIndexOf("/") + 1);
      components.push({
        type: "library",
        name,
        version: record.binary.version,
        file: record.path,
        sha256: record.sha256,
      });
    }
  }
  return components;
}

/** The binary layer's comparison of a binary whose bytes changed, when both sides parsed. */
function compareChanged(previous: FileRecord, next: FileRecord): Finding[] {
  return previous.binary !== undefined && next.binary !== undefined
    ? compareBinaries(previous.binary, next.binary, next.path)
    : [];
}

/**
 * Scans the release at `target` (an archive, a folder or a single file), against
 * `options.previous` when given, with the layers the options configure.
 * @throws {ScanFormatError} for a release (or an intel or rules file) that cannot be read as
 *   what it is; {@link ScanLimitError} past a bound; {@link StorageError} when a file cannot be read.
 */
export async function scanRelease(target: string, options: ScanOptions = {}): Promise<ScanResult> {
  const started = performance.now();
  const intel = options.intel === undefined ? undefined : await loadIntel(options.intel);
  const yara = options.rules === undefined ? undefined : await loadYaraRules(options.rules);
  const layers: FileLayers = { ...(intel ? { intel } : {}), ...(yara ? { yara } : {}) };
  // Both releases are walked at once: one's decompression and reads overlap the other's
  // hashing and string search (memory: one file of each in memory at a time).
  const stop = new AbortController();
  const stopOnFailure = <T>(walk: Promise<T>): Promise<T> =>
    walk.catch((error: unknown) => {
      stop.abort();
      throw error;
    });
  const [next, old] = await Promise.all([
    stopOnFailure(inspectRelease(target, target, "release", layers, options, stop.signal)),
    options.previous === undefined
      ? undefined
      : stopOnFailure(inspectRelease(options.previous, target, "previous", undefined, options, stop.signal)),
  ]);
  const findings = [...next.findings];
  let previous: ReleaseSummary | undefined;
  if (old !== undefined) {
    previous = old.summary;
    findings.push(
      ...diffReleases(old.inventory, next.inventory, {
        compareChanged,
        nativeKind: (r) => (r.binary === undefined ? undefined : { executable: r.binary.executable }),
      }),
    );
  }
  const components = componentsOf(next.inventory);
  if (intel !== undefined) findings.push(...intel.advisories.match(components));
  const shape = threeCxShape(findings);
  if (shape !== undefined) findings.push(shape);
  const sorted = sortFindings(findings);
  const layersRun: LayersRun = {
    diff: previous !== undefined,
    signature: true,
    ...(intel === undefined
      ? {}
      : { intel: { sources: intel.sources.length, indicators: intel.sources.reduce((n, s) => n + s.indicators, 0) } }),
    ...(yara === undefined ? {} : { yara: { rules: yara.count } }),
    sbom: { components: components.length, ...(intel === undefined ? {} : { advisories: intel.advisories.count }) },
  };
  const report: ScanReport = {
    schema: SCAN_SCHEMA,
    verdict: verdictOf(sorted),
    release: next.summary,
    ...(previous === undefined ? {} : { previous }),
    layers: layersRun,
    counts: countFindings(sorted),
    findings: sorted,
    durationMs: Math.round(performance.now() - started),
  };
  if (options.sbom !== true) return { report };
  const subject = { name: path.basename(target), sha256: next.summary.sha256 ?? "" };
  return { report, sbom: cycloneDx(components, subject) };
}
