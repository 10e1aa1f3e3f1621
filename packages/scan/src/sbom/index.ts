/**
 * The SBOM layer: a CycloneDX SBOM of what a release contains, and its components matched
 * against an offline OSV advisory export.
 */
import type { Finding } from "../finding.js";
import type { Component } from "./component.js";
import { type LoadOsvOptions, loadOsvIndex } from "./load.js";

export { type Component, purlOf } from "./component.js";
export { cvss3BaseScore, severityOfScore } from "./cvss.js";
export { CYCLONEDX_SPEC_VERSION, type CycloneDxOptions, cycloneDx, type SbomSubject } from "./cyclonedx.js";
export type { LoadOsvOptions } from "./load.js";
export { affectedBySemverRange, type OsvAdvisory, type OsvAffected, type OsvEvent, parseOsvRecord } from "./osv.js";

/** Advisories loaded from an OSV export. */
export interface Advisories {
  /** How many advisories (withdrawn ones left out). */
  readonly count: number;
  /** A `sbom.vulnerable-component` finding for each component an advisory affects. */
  match(components: readonly Component[]): Finding[];
}

/**
 * Reads an offline OSV export (a directory of OSV JSON files and/or osv.dev `all.zip`
 * exports, or one such zip).
 *
 * @throws {ScanFormatError} `SCAN_BAD_OSV` / `SCAN_BAD_ZIP` naming the file.
 * @throws {ScanLimitError} `SCAN_LIMIT_*` past a limit.
 */
export async function loadOsv(dir: string, options: LoadOsvOptions = {}): Promise<Advisories> {
  return loadOsvIndex(dir, options);
}

/** The finding id of the SBOM layer, with what it means and what to do (a SARIF rule's help). */
export const SBOM_FINDINGS: ReadonlyMap<string, string> = new Map([
  [
    "sbom.vulnerable-component",
    "A package or library the release bundles is affected by a published advisory (OSV). Update it to the fixed version named in the evidence, or record why the vulnerable code is not reachable.",
  ],
]);
