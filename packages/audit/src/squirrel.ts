/**
 * The audit of a Squirrel.Windows `RELEASES` file: one line per package, `SHA1 filename
 * size`. Squirrel checks a download's SHA-1 and size against this same unsigned file and
 * verifies no signature, so whoever controls the server (or, over http, the network)
 * chooses what is installed.
 */
import { noExpiry, noIndependentBuilds, plainHttpFindings } from "./common.js";
import { decodeUtf8, FEED_ERRORS, FeedFormatError } from "./errors.js";
import { type AttackVerdict, type FeedAudit, finding } from "./finding.js";

/** Lines read at most (a real RELEASES file has a few dozen). */
export const MAX_RELEASES_LINES = 100_000;

const LINE = /^([0-9a-fA-F]{40})\s+(\S+)\s+(\d+)$/;

/** One package line. */
export interface SquirrelEntry {
  readonly sha1: string;
  readonly file: string;
  readonly size: number;
  readonly line: number;
}

/**
 * Reads the package lines of a RELEASES file.
 * @throws {FeedFormatError} `AUDIT_BAD_ENCODING`, or `AUDIT_TOO_LARGE` past {@link MAX_RELEASES_LINES} lines,
 * or a line that is not `SHA1 filename size`.
 */
export function parseReleases(bytes: Uint8Array): SquirrelEntry[] {
  const lines = decodeUtf8(bytes)
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/);
  if (lines.length > MAX_RELEASES_LINES)
    throw new FeedFormatError(FEED_ERRORS.TOO_LARGE, `more than ${MAX_RELEASES_LINES} lines`);
  const entries: SquirrelEntry[] = [];
  for (const [i, raw] of lines.entries()) {
    const text = raw.trim();
    if (text === "") continue;
    const m = LINE.exec(text);
    if (m === null) throw new FeedFormatError(FEED_ERRORS.RELEASES, "RELEASES: expected `SHA1 filename size`", i + 1);
    entries.push({ sha1: (m[1] as string).toLowerCase(), file: m[2] as string, size: Number(m[3]), line: i + 1 });
  }
  if (entries.length === 0) throw new FeedFormatError(FEED_ERRORS.RELEASES, "RELEASES: no package lines");
  return entries;
}

/** True when `text` looks like a RELEASES file (its first non-empty line is a package line). */
export function looksLikeReleases(text: string): boolean {
  const first = text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .find((l) => l.trim() !== "");
  return first !== undefined && LINE.test(first.trim());
}

/** Audits a Squirrel.Windows RELEASES file fetched from `location`. */
export function auditSquirrel(bytes: Uint8Array, location: string): FeedAudit {
  const entries = parseReleases(bytes);
  const full = entries.filter((e) => /-full\.nupkg$/i.test(e.file));
  const deltas = entries.filter((e) => /-delta\.nupkg$/i.test(e.file));
  const newest = full.at(-1) ?? entries.at(-1);
  const first = entries[0] as SquirrelEntry;
  const evidence = `line ${first.line}: ${first.sha1.toUpperCase()} ${first.file} ${first.size}`;
  const findings = [
    finding(
      "squirrel.no-signature",
      "critical",
      "neither RELEASES nor the packages it lists are signed: Squirrel installs any package whose SHA-1 matches this same unsigned file",
      evidence,
      "Can the app move to an updater that verifies a signature with a key it ships with (and is the Authenticode signature of the installed exe checked at all)?",
    ),
    finding(
      "squirrel.sha1",
      "medium",
      "packages are identified by SHA-1 only, whose collisions are practical",
      evidence,
      "Why SHA-1? Even with a signature, a SHA-1 digest would let a chosen-prefix collision swap a package.",
    ),
    noExpiry("RELEASES"),
    ...plainHttpFindings(
      [
        { url: location, where: `RELEASES itself: ${location}` },
        ...entries.map((e) => ({ url: e.file, where: `line ${e.line}: ${e.file}` })),
      ],
      "critical",
      "replace the packages",
    ),
    noIndependentBuilds(
      `RELEASES: nothing records who built ${newest?.file ?? "the packages"}`,
      "nothing at all (packages are not signed)",
    ),
  ];
  const facts: Array<[string, string]> = [
    ["packages", `${full.length} full, ${deltas.length} delta`],
    ["newest", newest?.file ?? "(none)"],
    ["hashes", "SHA-1"],
    ["signature", "none"],
  ];
  const attacks: AttackVerdict[] = [
    {
      attack: "arbitrary-install",
      verdict: "possible",
      detail: "the server writes the SHA-1 the package is checked against",
    },
    { attack: "rollback", verdict: "possible", detail: "versions are file names in an unsigned file" },
    { attack: "freeze", verdict: "possible", detail: "RELEASES never expires" },
    { attack: "mix-and-match", verdict: "possible", detail: "nothing binds the lines together" },
    { attack: "endless-data", verdict: "possible", detail: "the size is the server's word" },
    {
      attack: "targeted-release",
      verdict: "possible",
      detail: "the server can answer each client differently; nothing makes releases public",
    },
    { attack: "build-machine", verdict: "possible", detail: "whatever the build machine produces is installed" },
  ];
  return { type: "squirrel-windows", facts, findings, attacks };
}
