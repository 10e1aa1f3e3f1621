/**
 * A CycloneDX 1.6 JSON SBOM of what a release contains. The output is deterministic: the
 * serial number is derived from the content (a name-based UUID over the subject's digest
 * and the components), so the same release gives the same bytes; a timestamp is added
 * only when asked for.
 */
import { createHash } from "node:crypto";
import { type Component, purlOf } from "./component.js";

/** The CycloneDX specification version written. */
export const CYCLONEDX_SPEC_VERSION = "1.6";

/** The release an SBOM describes. */
export interface SbomSubject {
  readonly name: string;
  readonly version?: string | undefined;
  /** SHA-256 of the release file, lowercase hex. */
  readonly sha256: string;
}

/** Options of {@link cycloneDx}. */
export interface CycloneDxOptions {
  /** Written as `metadata.timestamp` when given. */
  readonly timestamp?: Date;
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A CycloneDX 1.6 JSON document (as a plain object; `JSON.stringify` it to write). */
export function cycloneDx(
  components: readonly Component[],
  subject: SbomSubject,
  options: CycloneDxOptions = {},
): { [key: string]: Json } {
  const sorted = [...components].sort((a, b) => compare(purlOf(a), purlOf(b)) || compare(a.file, b.file));
  const used = new Map<string, number>();
  const entries = sorted.map((c): { [key: string]: Json } => {
    const purl = purlOf(c);
    const n = (used.get(purl) ?? 0) + 1;
    used.set(purl, n);
    const entry: { [key: string]: Json } = {
      type: "library",
      "bom-ref": n === 1 ? purl : `${purl}#${n}`,
      name: c.name,
    };
    if (c.type === "npm" && c.name.startsWith("@") && c.name.includes("/")) {
      entry.group = c.name.slice(0, c.name.indexOf("/"));
      entry.name = c.name.slice(c.name.indexOf("/") + 1);
    }
    if (c.version !== undefined) entry.version = c.version;
    if (c.sha256 !== undefined) entry.hashes = [{ alg: "SHA-256", content: c.sha256 }];
    entry.purl = purl;
    entry.properties = [{ name: "bulwark:file", value: c.file }];
    return entry;
  });
  const release: { [key: string]: Json } = { type: "application", "bom-ref": "release", name: subject.name };
  if (subject.version !== undefined) release.version = subject.version;
  release.hashes = [{ alg: "SHA-256", content: subject.sha256 }];
  const metadata: { [key: string]: Json } = {};
  if (options.timestamp !== undefined) metadata.timestamp = options.timestamp.toISOString();
  metadata.tools = { components: [{ type: "application", name: "bulwark scan" }] };
  metadata.component = release;
  return {
    bomFormat: "CycloneDX",
    specVersion: CYCLONEDX_SPEC_VERSION,
    serialNumber: `urn:uuid:${contentUuid(subject, entries)}`,
    version: 1,
    metadata,
    components: entries,
    dependencies: [{ ref: "release", dependsOn: entries.map((e) => e["bom-ref"] as string) }],
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An RFC 9562 version-8 UUID from a SHA-256 of the BOM's content. */
function contentUuid(subject: SbomSubject, entries: readonly Json[]): string {
  const digest = createHash("sha256")
    .update(JSON.stringify([subject.name, subject.version ?? null, subject.sha256, entries]))
    .digest();
  digest[6] = ((digest[6] as number) & 0x0f) | 0x80; // version 8
  digest[8] = ((digest[8] as number) & 0x3f) | 0x80; // RFC 9562 variant
  const hex = digest.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
