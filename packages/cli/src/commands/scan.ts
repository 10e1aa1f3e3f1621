import { defineCommand } from "../command.js";
import { usage } from "../errors.js";
import { runScan, SCAN_FORMATS, type ScanFormat, scanExitCode, scanOptions } from "../scan-options.js";

export default defineCommand({
  name: "scan",
  summary: "scan a release before publishing or installing it: diff, signatures, intel, YARA, SBOM",
  description: `Looks inside a release (a tar, tar.gz or zip archive, an Electron app.asar, a folder, or a
single .exe, .dll, ELF or Mach-O file; archives inside it are opened too) and runs, on every
file, the layers that are configured:
  1 release diff      with --previous: files added, removed and changed; binaries whose bytes
                      changed while their version did not; new executables and imports; new
                      URLs, domains and IPs; entropy jumps
  2 code signatures   Authenticode structure and digest (PE), data the signature does not cover,
                      signed-before-unsigned-now, a changed signer; Mach-O code signatures
  3 threat intel      with --intel DIR: hash lists, STIX 2.1 bundles, MISP events, offline
  4 YARA              with --rules DIR: every .yar file, over every file
  5 SBOM              a CycloneDX SBOM (--sbom FILE), matched against OSV advisories in --intel DIR
The verdict is block (a critical finding, or the 3CX shape: a component rebuilt without a
version change that gains a code loader or ships beside a signed file carrying unsigned data),
review (a high or medium finding) or clean. Finding ids and the verdict rule: docs/scan.md.
Progress goes to stderr on a terminal; the report to stdout.

Exit codes: 0 clean; 12 review; 13 block; 1 the release could not be read (a malformed
archive, a bound exceeded: zip bombs stop at the bound); 2 bad arguments.

Examples:
  bulwark scan app-2.4.1.tar.gz --previous app-2.4.0.tar.gz
  bulwark scan MyApp-Setup.exe --previous MyApp-Setup-1.9.exe --intel ./intel --rules ./yara
  bulwark scan release.zip --previous last.zip --format sarif > scan.sarif
  bulwark scan dist/ --sbom sbom.cdx.json --format json`,
  positionals: [{ name: "NEW", description: "the release to scan: an archive, a folder or a single file" }],
  options: [
    {
      name: "previous",
      type: "string",
      valueName: "OLD",
      description: "the release before it, for the release diff (layer 1)",
    },
    ...scanOptions,
    {
      name: "format",
      type: "string",
      valueName: "FORMAT",
      description: `${SCAN_FORMATS.join(", ")} (json is versioned: its "schema" field)`,
      default: "text",
    },
    {
      name: "sbom",
      type: "string",
      valueName: "FILE",
      description: "also write a CycloneDX SBOM of the release to FILE",
    },
  ],
  async run({ positionals, options }, ctx) {
    const format = options.format as ScanFormat;
    if (!SCAN_FORMATS.includes(format)) throw usage(`--format ${options.format}: use ${SCAN_FORMATS.join(", ")}`);
    const report = await runScan(ctx, positionals.NEW, {
      previous: options.previous,
      intel: options.intel,
      rules: options.rules,
      sbom: options.sbom,
      format,
    });
    return { data: report, exitCode: scanExitCode(report.verdict) };
  },
});
