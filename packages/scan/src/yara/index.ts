/**
 * The YARA layer, on YARA-X through `@litko/yara-x` (docs/adr/0014-yara-engine.md): every
 * `.yar`/`.yara` file of a rules directory is compiled on its own (its path is the rules'
 * namespace), with `include` disabled so a rules file cannot read other files; a match is a
 * finding whose severity is the rule's `meta: severity` (default high).
 */
import { UsageError } from "@bulwark/tuf";
import { ScanFormatError } from "../errors.js";
import { type Finding, SEVERITIES, type Severity } from "../finding.js";
import { listFiles, readBounded } from "../intel/files.js";
import { countRules, diagnosticLocation } from "./rules-source.js";

export { countRules } from "./rules-source.js";

/** YARA findings are `yara.<rule>`: one id per rule, with this help (the rule's description is in the evidence). */
export const YARA_FINDING_HELP =
  "A YARA rule given with --rules matched the file; the rule's description and the matched strings with their offsets are in the evidence. Read what the rule detects, then look at the bytes at those offsets.";

/** Compiled rules. */
export interface YaraRules {
  /** How many rules were compiled, across every file. */
  readonly count: number;
  /** The rules files, relative to the rules directory. */
  readonly files: readonly string[];
  /** A `yara.<rule>` finding per matching rule. */
  scan(file: string, bytes: Uint8Array): Promise<Finding[]>;
}

/** Bounds of the YARA layer. */
export interface YaraLimits {
  readonly maxFiles: number;
  /** Bytes of one rules file. */
  readonly maxRuleFileBytes: number;
  /** Matches the engine keeps per string of a rule (more are not searched for). */
  readonly maxMatchesPerPattern: number;
  /** Matched strings listed in one finding's evidence. */
  readonly maxEvidenceMatches: number;
  /** Characters of matched data shown per match. */
  readonly maxEvidenceData: number;
}

/** The defaults. */
export const DEFAULT_YARA_LIMITS: YaraLimits = {
  maxFiles: 10_000,
  maxRuleFileBytes: 16 * 1024 * 1024,
  maxMatchesPerPattern: 100,
  maxEvidenceMatches: 20,
  maxEvidenceData: 64,
};

type Engine = typeof import("@litko/yara-x");
type Compiled = import("@litko/yara-x").YaraX;

async function engine(): Promise<Engine> {
  try {
    return await import("@litko/yara-x");
  } catch (cause) {
    throw new UsageError(`the YARA engine (@litko/yara-x) cannot be loaded on ${process.platform}-${process.arch}`, {
      cause,
      code: "SCAN_YARA_UNAVAILABLE",
      hint: "YARA-X ships prebuilt for linux-x64 (glibc) and macOS; scan without --rules on other platforms.",
    });
  }
}

/**
 * Compiles every `.yar`/`.yara` file under `dir`.
 *
 * @throws {ScanFormatError} `SCAN_BAD_YARA` naming the file and line of a compile error.
 * @throws {UsageError} `SCAN_NO_DIRECTORY`, `SCAN_NO_RULES` (no rules files), `SCAN_YARA_UNAVAILABLE`.
 * @throws {ScanLimitError} `SCAN_LIMIT_FILES`, `SCAN_LIMIT_FILE_SIZE`.
 */
export async function loadYaraRules(dir: string, options: { limits?: Partial<YaraLimits> } = {}): Promise<YaraRules> {
  const limits = { ...DEFAULT_YARA_LIMITS, ...options.limits };
  const files = (await listFiles(dir, limits.maxFiles, "YARA rules")).filter((f) => /\.yara?$/i.test(f));
  if (files.length === 0) {
    throw new UsageError(`${dir} holds no .yar or .yara file`, {
      code: "SCAN_NO_RULES",
      hint: "Point --rules at a directory of YARA rules files.",
    });
  }
  const yara = await engine();
  const compiled: { file: string; rules: Compiled }[] = [];
  let count = 0;
  for (const file of files) {
    const source = utf8(await readBounded(dir, file, limits.maxRuleFileBytes), file);
    const compileOptions = { enableIncludes: false };
    const [error] = yara.validate(source, compileOptions).errors;
    if (error !== undefined) {
      const { line, text } = diagnosticLocation(error.message);
      throw new ScanFormatError("SCAN_BAD_YARA", `${file}${line === undefined ? "" : `:${line}`}: ${text}`, { file });
    }
    const rules = yara.compile(source, compileOptions);
    rules.setMaxMatchesPerPattern(limits.maxMatchesPerPattern);
    compiled.push({ file, rules });
    count += countRules(source);
  }
  return {
    count,
    files,
    async scan(file: string, bytes: Uint8Array): Promise<Finding[]> {
      const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const out: Finding[] = [];
      for (const { file: namespace, rules } of compiled) {
        // The synchronous scan: the binding's scanAsync ignores the per-pattern match limit.
        for (const match of rules.scan(buffer)) out.push(toFinding(file, namespace, match, buffer, limits));
      }
      return out;
    },
  };
}

const decoder = new TextDecoder("utf-8", { fatal: true });
function utf8(bytes: Uint8Array, file: string): string {
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw new ScanFormatError("SCAN_BAD_YARA", `${file}: not valid UTF-8`, { cause, file });
  }
}

type RuleMatch = import("@litko/yara-x").RuleMatch;

function metaValue(meta: object, key: string): unknown {
  return Object.hasOwn(meta, key) ? (meta as Record<string, unknown>)[key] : undefined;
}

function severityOf(meta: object): Severity {
  const v = metaValue(meta, "severity");
  const word = typeof v === "string" ? v.toLowerCase() : "";
  const severity = word === "moderate" ? "medium" : SEVERITIES.find((s) => s === word);
  return severity ?? "high";
}

/** Matched bytes as text a person can read: printable ASCII kept, other bytes as \xNN. */
function printable(data: Uint8Array, max: number): string {
  let out = "";
  for (const b of data) {
    out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
    if (out.length >= max) return `${out.slice(0, max)}…`;
  }
  return out;
}

function toFinding(file: string, namespace: string, m: RuleMatch, bytes: Buffer, limits: YaraLimits): Finding {
  const description = metaValue(m.meta, "description") ?? metaValue(m.meta, "desc");
  const matches = m.matches.slice(0, limits.maxEvidenceMatches).map((x) => {
    // The matched bytes from the scanned buffer: the binding's `data` is lossy UTF-8.
    const data = bytes.subarray(x.offset, x.offset + Math.min(x.length, limits.maxEvidenceData + 1));
    return `${x.identifier}@${x.offset}+${x.length}: ${printable(data, limits.maxEvidenceData)}`;
  });
  const evidence: Record<string, string | number | readonly string[]> = {
    rule: m.ruleIdentifier,
    namespace,
    tags: m.tags,
    matches,
    matchCount: m.matches.length,
  };
  if (typeof description === "string") evidence.description = description;
  const why = `YARA rule ${m.ruleIdentifier} (${namespace}) matched${
    typeof description === "string" ? `: ${description}` : ""
  }`;
  return { id: `yara.${m.ruleIdentifier}`, severity: severityOf(m.meta), layer: "yara", file, why, evidence };
}
