/**
 * The audit of a Squirrel.Windows (or Velopack) `RELEASES` file (read by releases-file.ts):
 * one line per package, `SHA1 file size`. Squirrel checks a download's SHA-1 and size
 * against this same unsigned file and verifies no signature, so whoever controls the
 * server (or, over http, the network) chooses what is installed.
 */
import {
  noExpiry,
  noIndependentBuilds,
  noRollbackProtection,
  noTransparencyLog,
  otherHostFindings,
  plainHttpFindings,
} from "./common.js";
import { type AttackVerdict, type FeedAudit, type Finding, finding } from "./finding.js";
import { parseReleases, type ReleasesEntry } from "./releases-file.js";

export { looksLikeReleases, parseReleases, RELEASES_LIMITS, type ReleasesEntry } from "./releases-file.js";

function evidenceOf(e: ReleasesEntry): string {
  return `line ${e.line}: ${e.text.trim()}`;
}

function stagingFindings(entries: readonly ReleasesEntry[], stray: ReturnType<typeof parseReleases>["strayStaging"]) {
  const out: Finding[] = [];
  for (const e of entries.filter((x) => x.stagingPercentage !== undefined).slice(0, 5)) {
    const pct = e.stagingPercentage as number;
    out.push(
      finding(
        "squirrel.staged-rollout",
        "info",
        `${e.name} is staged to ${pct}% of users: each client decides from a random ID it keeps locally; the unsigned percentage is the server's word`,
        evidenceOf(e),
        "",
        e.name,
      ),
    );
  }
  for (const s of stray.slice(0, 3)) {
    out.push(
      finding(
        "squirrel.staged-rollout",
        "info",
        `a staged-rollout percentage (${s.percentage}%) stands on a line of its own: Squirrel applies a percentage only to the package line it ends, so this one stages nothing`,
        `line ${s.line}: ${s.text}`,
        "",
        `line ${s.line}`,
      ),
    );
  }
  return out;
}

/** Audits a Squirrel.Windows RELEASES file fetched from `location`. */
export function auditSquirrel(bytes: Uint8Array, location: string): FeedAudit {
  const file = parseReleases(bytes);
  const { entries } = file;
  const full = entries.filter((e) => !e.delta);
  const deltas = entries.filter((e) => e.delta);
  const newest = full.at(-1) ?? entries.at(-1);
  const first = entries[0];
  const evidence = first === undefined ? "RELEASES lists no package" : evidenceOf(first);
  const urls = entries.map((e) => ({ url: e.url ?? e.file, where: evidenceOf(e) }));
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
    noRollbackProtection(
      "versions are file names in an unsigned file, and Squirrel.Windows installs the newest full package RELEASES lists even when it is older than the installed version",
      newest === undefined ? "RELEASES lists no package" : `${evidenceOf(newest)} (the version is in the file name)`,
      "How would the app notice being handed an older, known-vulnerable release?",
    ),
    ...plainHttpFindings(
      [{ url: location, where: `RELEASES itself: ${location}` }, ...urls],
      "critical",
      "replace the packages",
    ),
    ...otherHostFindings(location, urls),
    ...stagingFindings(entries, file.strayStaging),
    noTransparencyLog("RELEASES"),
    noIndependentBuilds(
      `RELEASES: nothing records who built ${newest?.name ?? "the packages"}`,
      "nothing at all (packages are not signed)",
      "possible",
    ),
  ];
  const staged = entries.filter((e) => e.stagingPercentage !== undefined);
  const facts: Array<[string, string]> = [
    ["packages", `${full.length} full, ${deltas.length} delta`],
    ["newest", newest?.name ?? "(none)"],
    ["hashes", "SHA-1"],
    ["signature", "none"],
  ];
  if (staged.length > 0)
    facts.push(["staged rollout", staged.map((e) => `${e.name} ${e.stagingPercentage}%`).join(", ")]);
  if (file.comments > 0) facts.push(["comment lines", String(file.comments)]);
  const attacks: AttackVerdict[] = [
    {
      attack: "arbitrary-install",
      verdict: "possible",
      detail: "the server writes the SHA-1 the package is checked against",
    },
    {
      attack: "rollback",
      verdict: "possible",
      detail:
        "versions are file names in an unsigned file; Squirrel installs an older full package when RELEASES lists no newer one",
    },
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
