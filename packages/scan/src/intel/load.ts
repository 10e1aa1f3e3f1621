/**
 * Loading an intel directory: every hash list (`.txt`, `.csv`), STIX 2.1 bundle, MISP
 * event or feed file and OSV record (`.json`, also inside `.zip` files such as osv.dev's
 * `all.zip`) under it, each recognised by its content. Other files are not read.
 * A `.json` file that is none of these is an error: intel the scan cannot read must not
 * quietly match nothing.
 */
import { dirname, join } from "node:path";
import { ScanFormatError, ScanLimitError } from "../errors.js";
import type { Finding } from "../finding.js";
import type { Advisories } from "../sbom/index.js";
import { addOsvDocument } from "../sbom/load.js";
import { AdvisoryIndex, isOsvRecord } from "../sbom/osv.js";
import { forEachJsonEntry } from "../sbom/zip.js";
import { listFiles, readBounded } from "./files.js";
import { readCsvHashList, readPlainHashList } from "./hash-list.js";
import type { Indicator, IntelKind } from "./indicator.js";
import { parseBoundedJson } from "./json.js";
import { DEFAULT_INTEL_LIMITS, type IntelLimits } from "./limits.js";
import { type FileHashes, IndicatorIndex, type NetworkIndicators } from "./match.js";
import { isMispEvent, isMispManifest, readMispDocument } from "./misp.js";
import { isStixBundle, readStixBundle } from "./stix.js";

/** One intel file read. */
export interface IntelSource {
  readonly file: string;
  readonly kind: IntelKind;
  /** Indicators (or, for OSV, advisories) it gave. */
  readonly indicators: number;
  /** Entries it holds that the scan cannot match on (revoked, expired, other pattern languages...). */
  readonly skipped: number;
}

/** Loaded threat intelligence, matched per file. */
export interface Intel {
  readonly sources: readonly IntelSource[];
  /** Which extra hash algorithms the intel needs besides sha256 (so the pipeline hashes only what's needed). */
  readonly algorithms: ReadonlySet<"sha1" | "md5">;
  /** `intel.file-hash` findings (critical) for a file whose hash is listed. */
  matchFile(file: string, hashes: FileHashes): Finding[];
  /** `intel.url`, `intel.domain`, `intel.ip` findings (high) for listed network indicators found in a file. */
  matchNetwork(file: string, found: NetworkIndicators): Finding[];
  /** OSV records found among the intel files, for the SBOM layer. */
  readonly advisories: Advisories;
}

/** Options of {@link loadIntel}. */
export interface LoadIntelOptions {
  /** The instant STIX `valid_until` is compared with; now by default. */
  readonly now?: Date;
  readonly limits?: Partial<IntelLimits>;
}

/**
 * Reads every intel file in `dir` (subdirectories included, dot-files skipped).
 *
 * @throws {UsageError} `SCAN_NO_DIRECTORY` when `dir` is not a directory.
 * @throws {ScanFormatError} `SCAN_BAD_HASH_LIST`, `SCAN_BAD_STIX`, `SCAN_BAD_MISP`, `SCAN_BAD_OSV`, `SCAN_BAD_INTEL` naming the file.
 * @throws {ScanLimitError} `SCAN_LIMIT_*` past a limit (file count, file size, objects, indicators, JSON depth).
 */
export async function loadIntel(dir: string, options: LoadIntelOptions = {}): Promise<Intel> {
  const limits = { ...DEFAULT_INTEL_LIMITS, ...options.limits };
  const now = options.now ?? new Date();
  const files = await listFiles(dir, limits.maxFiles, "intel");
  // A MISP feed's hashes.csv indexes attribute values, not files: it sits beside manifest.json.
  const feedDirs = new Set<string>();
  const index = new IndicatorIndex();
  const advisories = new AdvisoryIndex();
  const sources: IntelSource[] = [];
  let total = 0;
  const addAll = (indicators: readonly Indicator[]): void => {
    total += indicators.length;
    if (total > limits.maxIndicators) {
      throw new ScanLimitError(
        "SCAN_LIMIT_INTEL_INDICATORS",
        `${dir} holds more than ${limits.maxIndicators} indicators`,
        limits.maxIndicators,
      );
    }
    for (const i of indicators) index.add(i);
  };
  const readDocument = (doc: unknown, file: string): void => {
    if (isStixBundle(doc)) {
      const read = readStixBundle(doc, file, now, limits);
      addAll(read.indicators);
      sources.push({ file, kind: "stix", indicators: read.indicators.length, skipped: read.skipped });
    } else if (isMispEvent(doc)) {
      const read = readMispDocument(doc, file, limits);
      addAll(read.indicators);
      sources.push({ file, kind: "misp", indicators: read.indicators.length, skipped: read.skipped });
    } else if (isMispManifest(doc)) {
      feedDirs.add(dirname(file));
    } else if (isOsvRecord(doc) || (Array.isArray(doc) && doc.length > 0 && doc.every(isOsvRecord))) {
      const added = addOsvDocument(advisories, doc, file, limits);
      sources.push({ file, kind: "osv", indicators: added, skipped: 0 });
    } else {
      throw new ScanFormatError(
        "SCAN_BAD_INTEL",
        `${file} is not a STIX 2.1 bundle, a MISP event or feed file, or an OSV record`,
        { file },
      );
    }
  };
  const parse = (bytes: Uint8Array, file: string): unknown =>
    parseBoundedJson(bytes, file, "SCAN_BAD_INTEL", limits.maxJsonDepth);
  for (const file of files) {
    const lower = file.toLowerCase();
    if (lower.endsWith(".json")) {
      readDocument(parse(await readBounded(dir, file, limits.maxFileBytes), file), file);
    } else if (lower.endsWith(".zip")) {
      // An osv.dev all.zip (or any zip of intel JSON), read one entry at a time.
      await forEachJsonEntry(join(dir, file), file, limits, (entry, bytes) => readDocument(parse(bytes, entry), entry));
    }
  }
  const listFilesOnly = files.filter((f) => /\.(txt|csv)$/i.test(f));
  for (const file of listFilesOnly) {
    if (file.toLowerCase().endsWith("hashes.csv") && feedDirs.has(dirname(file))) continue;
    const bytes = await readBounded(dir, file, limits.maxFileBytes);
    const indicators = file.toLowerCase().endsWith(".csv")
      ? readCsvHashList(bytes, file, limits)
      : readPlainHashList(bytes, file, limits);
    addAll(indicators);
    sources.push({ file, kind: "hash-list", indicators: indicators.length, skipped: 0 });
  }
  sources.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return {
    sources,
    algorithms: index.algorithms,
    matchFile: (file, hashes) => index.matchFile(file, hashes),
    matchNetwork: (file, found) => index.matchNetwork(file, found),
    advisories,
  };
}
