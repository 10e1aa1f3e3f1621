/**
 * What each finding id means and what to do about it: the help text of a SARIF rule and the
 * entry of docs/scan.md's finding table. The layers keep their own catalogues (binary, intel,
 * SBOM, YARA); this module holds the pipeline's own ids (release diff, formats, verdict) and
 * looks any id up in all of them.
 */
import { BINARY_FINDINGS } from "./binary/index.js";
import { INTEL_FINDINGS } from "./intel/index.js";
import { SBOM_FINDINGS } from "./sbom/index.js";
import { YARA_FINDING_HELP } from "./yara/index.js";

/** The pipeline's own finding ids: the release diff (but the binary comparison), formats, the verdict. */
export const CORE_FINDINGS: ReadonlyMap<string, string> = new Map([
  [
    "verdict.3cx-shape",
    "A component was rebuilt without a version change and, in the same release, gained a run-time code loader or ships beside a signed file carrying data its signature does not cover: the 3CX attack. Do not publish or install; compare the component with its last good build and find who changed the build.",
  ],
  ["diff.file.added", "A file the previous release did not have. Expected in most releases; read the list."],
  ["diff.file.removed", "A file of the previous release is gone. Expected in most releases; read the list."],
  ["diff.file.changed", "The file's bytes changed since the previous release. Expected for what the release changes."],
  [
    "diff.executable.added",
    "A native executable that did not ship before. Check that the release notes explain it and that it is signed like the others.",
  ],
  ["diff.library.added", "A native library that did not ship before. Check where it comes from (a new dependency?)."],
  ["diff.npm.module-added", "An npm module the previous release did not have."],
  ["diff.npm.module-removed", "An npm module of the previous release is gone."],
  ["diff.npm.version-changed", "An npm module changed version: expected for a dependency update."],
  [
    "diff.npm.changed-version-unchanged",
    "Files of an npm module changed while its package.json version did not: the module was rebuilt or edited in the build. Diff the files against the published module of that version.",
  ],
  [
    "diff.network.new-url",
    "A URL in the release's strings that appears nowhere in the previous release. Usually documentation or a new service; check that the host is yours or expected.",
  ],
  [
    "diff.network.new-domain",
    "A domain name in the release's strings that appears nowhere in the previous release. Check that it is yours or expected.",
  ],
  [
    "diff.network.new-ip",
    "An IP address in the release's strings that appears nowhere in the previous release. Hard-coded addresses in a native binary are rare: find out what connects there.",
  ],
  [
    "diff.entropy.jump",
    "A file that was not high-entropy became so (packed, compressed or encrypted content in place of code or text). Find out what it holds.",
  ],
  [
    "format.archive.unreadable",
    "An archive inside the release cannot be read, so nothing in it was scanned. A release that hides content from a scan is not clean: rebuild it, or find out what corrupts it.",
  ],
  [
    "format.binary.unreadable",
    "A file that starts like a native binary (PE, ELF, Mach-O) but does not parse: truncated, malformed, or built to confuse readers.",
  ],
  [
    "format.asar.unpacked",
    "An asar entry kept outside the archive, in app.asar.unpacked/; it is scanned where the release holds it.",
  ],
]);

/** The help text of finding `id`, or undefined for an id no layer documents. */
export function findingHelp(id: string): string | undefined {
  if (id.startsWith("yara.")) return YARA_FINDING_HELP;
  return CORE_FINDINGS.get(id) ?? BINARY_FINDINGS.get(id) ?? INTEL_FINDINGS.get(id) ?? SBOM_FINDINGS.get(id);
}
