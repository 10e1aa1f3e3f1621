/**
 * The verdict, from the findings:
 *
 * - `block` when any finding is critical, or the release has the 3CX shape (see
 *   {@link threeCxShape}), which is then added as a critical finding naming its pieces;
 * - `review` when any finding is high or medium;
 * - `clean` otherwise (low and info findings are reported, not acted on).
 */
import type { Finding, ScanVerdict } from "./finding.js";

/** Imports through which a binary loads code it does not link: what a trojanized library gains. */
const LOADER_IMPORT = /!(?:LoadLibrary(?:Ex)?[AW]?|GetProcAddress|LdrLoadDll)$|^sym:(?:dlopen|dlsym)$/i;

function strings(value: Finding["evidence"][string] | undefined): string[] {
  if (value === undefined) return [];
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** The dynamic-loader imports a finding says were added, if it is about new imports. */
function newLoaderImports(finding: Finding): string[] {
  if (finding.layer !== "diff" || !/import/.test(finding.id) || /removed/.test(finding.id)) return [];
  const values = Object.values(finding.evidence).flatMap((v) => strings(v));
  return values.filter((v) => LOADER_IMPORT.test(v));
}

function isSilentRebuild(finding: Finding): boolean {
  return /version-unchanged/.test(finding.id);
}

function label(finding: Finding): string {
  return `${finding.id} (${finding.file})`;
}

/**
 * The 3CX shape: a bundled component whose bytes changed while its version did not, that
 * also gained a dynamic-loader import (LoadLibrary/GetProcAddress, dlopen/dlsym), or ships
 * beside a signed file whose signature structure is broken (data appended inside the
 * certificate table, an unsigned overlay, a digest mismatch: any high or critical
 * signature finding). Returns the critical finding that names every piece, or undefined.
 */
export function threeCxShape(findings: readonly Finding[]): Finding | undefined {
  const rebuilt = findings.filter(isSilentRebuild);
  if (rebuilt.length === 0) return undefined;
  const loaders = [...new Set(findings.flatMap((f) => newLoaderImports(f).map((imp) => `${imp} in ${f.file}`)))].sort();
  const signatures = findings.filter(
    (f) => f.layer === "signature" && (f.severity === "critical" || f.severity === "high"),
  );
  if (loaders.length === 0 && signatures.length === 0) return undefined;
  const first = rebuilt[0] as Finding;
  return {
    id: "verdict.3cx-shape",
    severity: "critical",
    layer: "diff",
    file: first.file,
    why: "a component rebuilt without a version change, together with a new code loader or a signed file carrying unsigned data: the shape of the 3CX supply-chain attack",
    evidence: {
      changedWithoutVersionChange: rebuilt.map(label),
      newLoaderImports: loaders,
      signatureAnomalies: signatures.map(label),
    },
  };
}

/** The verdict of a list of findings that already includes any {@link threeCxShape} finding. */
export function verdictOf(findings: readonly Finding[]): ScanVerdict {
  if (findings.some((f) => f.severity === "critical")) return "block";
  if (findings.some((f) => f.severity === "high" || f.severity === "medium")) return "review";
  return "clean";
}
