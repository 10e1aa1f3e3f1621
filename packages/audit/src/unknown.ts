/**
 * A feed of no type the audit knows: reported as "unknown feed", with what can be learned
 * without understanding it (transport, digests and signature-like fields present).
 */
import { plainHttpFindings, transportOf } from "./common.js";
import { baseName } from "./detect.js";
import { allUnknown, type FeedAudit, type Finding, finding } from "./finding.js";
import { UNRECOGNISED } from "./rubric.js";

const DIGESTS: ReadonlyArray<[string, RegExp]> = [
  ["sha512 (hex)", /\b[0-9a-fA-F]{128}\b/],
  ["sha512 (base64)", /[A-Za-z0-9+/]{86}==/],
  ["sha256 (hex)", /\b[0-9a-fA-F]{64}\b/],
  ["sha1 or shorter (hex)", /\b[0-9a-fA-F]{40}\b/],
];

/** The URLs in a document (at most 1000), for the transport check. */
function urlsIn(sample: string): Array<{ url: string; where: string }> {
  const out: Array<{ url: string; where: string }> = [];
  for (const m of sample.matchAll(/\bhttps?:\/\/[^\s"'<>]{1,2048}/gi)) {
    out.push({ url: m[0], where: `in the document: ${m[0]}` });
    if (out.length >= 1000) break;
  }
  return out;
}

/** What kind of text `sample` looks like. */
function kindOf(sample: string): string {
  const t = sample.trimStart();
  if (t.startsWith("{") || t.startsWith("[")) return "JSON";
  if (t.startsWith("<")) return /<html[\s>]/i.test(t.slice(0, 2048)) ? "HTML" : "XML";
  if (/^[\w-]+:\s/m.test(t.slice(0, 2048))) return "YAML-like";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: binary detection
  return /[\u0000-\u0008]/.test(t.slice(0, 2048)) ? "binary" : "text";
}

/** Audits a document of no known feed type. */
export function auditUnknown(bytes: Uint8Array, location: string): FeedAudit {
  const sample = Buffer.from(bytes.subarray(0, 256 * 1024)).toString("utf8");
  const digests = DIGESTS.filter(([, re]) => re.test(sample)).map(([name]) => name);
  const signatures = /\b(?:signature|edSignature|dsaSignature|sig)\b/i.test(sample);
  const kind = kindOf(sample);
  const findings: Finding[] = [
    finding(
      UNRECOGNISED,
      "high",
      `not a feed type the audit knows (${kind}, ${bytes.length} bytes): nothing shows how clients check what they install`,
      `${baseName(location)}: not TUF metadata, electron-updater YAML, a Sparkle appcast or a Squirrel RELEASES file`,
      "Which update framework reads this feed, and how does it verify what it installs (a signature with a key the app ships with)?",
    ),
    ...plainHttpFindings(
      [{ url: location, where: `the feed itself: ${location}` }, ...urlsIn(sample)],
      "high",
      "change what it points to",
    ),
  ];
  if (digests.length > 0) {
    findings.push(
      finding(
        "unknown.digests",
        "info",
        `the feed carries digests (${digests.join(", ")})`,
        "digest-shaped strings in the document",
      ),
    );
  }
  if (signatures) {
    findings.push(
      finding(
        "unknown.signature-fields",
        "info",
        "the feed mentions signatures; their scheme is unknown to the audit",
        "a field named like a signature",
      ),
    );
  }
  const facts: Array<[string, string]> = [
    ["content", `${kind}, ${bytes.length} bytes`],
    ["transport", transportOf(location)],
    ["digests", digests.join(", ") || "none seen"],
    ["signature fields", signatures ? "present" : "none seen"],
  ];
  return { type: "unknown", facts, findings, attacks: allUnknown("the feed's format is unknown") };
}
