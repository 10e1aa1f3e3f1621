/**
 * What `bulwark scan` and `bulwark repo publish --scan` share: the layer options, running a
 * scan with progress on stderr, printing the report, and the exit code of a verdict.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { GatedRelease, ReleaseGate } from "@bulwark/publisher";
import { renderJson, renderSarif, renderText, type ScanReport, type ScanVerdict, scanRelease } from "@bulwark/scan";
import { writeFileAtomic } from "@bulwark/tuf";
import type { Context, OptionSpec } from "./command.js";
import { EXIT } from "./exit-codes.js";
import { Counter } from "./ui/progress.js";

/** Output formats of a scan report. */
export const SCAN_FORMATS = ["text", "json", "sarif"] as const;
export type ScanFormat = (typeof SCAN_FORMATS)[number];

/** The layer options both commands take. */
export const scanOptions = [
  {
    name: "intel",
    type: "string",
    valueName: "DIR",
    description: "threat intelligence to match (layer 3): hash lists, STIX 2.1, MISP JSON, OSV records",
  },
  { name: "rules", type: "string", valueName: "DIR", description: "YARA rules (.yar, .yara) to run (layer 4)" },
] as const satisfies readonly OptionSpec[];

/** The exit code of a verdict: 0 clean, 12 review, 13 block. */
export function scanExitCode(verdict: ScanVerdict): number {
  return verdict === "block" ? EXIT.SCAN_BLOCK : verdict === "review" ? EXIT.SCAN_REVIEW : EXIT.OK;
}

function toolVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** What {@link runScan} scans with, as the command line gave it. */
export interface ScanRequest {
  readonly previous?: string | undefined;
  readonly intel?: string | undefined;
  readonly rules?: string | undefined;
  readonly sbom?: string | undefined;
  /** Print the report in this format; nothing printed when undefined. */
  readonly format?: ScanFormat | undefined;
  /** How the progress line names the release and the previous one (default: their paths). */
  readonly labels?: { readonly release: string; readonly previous?: string | undefined };
}

/** Scans `target` with progress on stderr, prints the report, and returns it. */
export async function runScan(ctx: Context, target: string, request: ScanRequest): Promise<ScanReport> {
  const resolve = (p: string) => path.resolve(ctx.cwd, p);
  const counter = new Counter(ctx.out.streams.stderr, !ctx.out.json && !ctx.out.quiet);
  let result: Awaited<ReturnType<typeof scanRelease>>;
  try {
    result = await scanRelease(resolve(target), {
      ...(request.previous === undefined ? {} : { previous: resolve(request.previous) }),
      ...(request.intel === undefined ? {} : { intel: resolve(request.intel) }),
      ...(request.rules === undefined ? {} : { rules: resolve(request.rules) }),
      sbom: request.sbom !== undefined,
      onProgress: (p) =>
        counter.update(
          `scanning ${p.phase === "release" ? (request.labels?.release ?? target) : (request.labels?.previous ?? request.previous)}`,
          p.files,
          p.bytes,
        ),
    });
  } finally {
    counter.finish();
  }
  const { report, sbom } = result;
  if (request.sbom !== undefined && sbom !== undefined) {
    await writeFileAtomic(resolve(request.sbom), Buffer.from(`${JSON.stringify(sbom, null, 2)}\n`));
    ctx.out.note(`wrote the CycloneDX SBOM of ${report.layers.sbom?.components ?? 0} components to ${request.sbom}`);
  }
  const write = (text: string) => {
    if (!ctx.out.json) ctx.out.streams.stdout.write(text);
  };
  if (request.format === "json") write(renderJson(report));
  else if (request.format === "sarif") write(renderSarif(report, { name: "bulwark-scan", version: toolVersion() }));
  else if (request.format === "text") write(renderText(report));
  return report;
}

/**
 * The release gate of `repo publish --scan`: each staged release file is scanned against the
 * release before it; a `block` verdict refuses it. The verdict, the finding counts and the
 * ids of what blocked are what the repository's gate log records.
 */
export function scanGate(ctx: Context, request: Pick<ScanRequest, "intel" | "rules">): ReleaseGate {
  return async (releases: readonly GatedRelease[]) => {
    const decisions = [];
    for (const release of releases) {
      ctx.out.note(
        `scanning ${release.target}${release.previous === undefined ? " (no previous release to diff against)" : ` against ${release.previous.target}`}`,
      );
      const report = await runScan(ctx, release.file, {
        ...request,
        previous: release.previous?.file,
        labels: { release: release.target, previous: release.previous?.target },
      });
      const text = renderText({ ...report, release: { ...report.release, path: release.target } });
      if (report.verdict !== "clean") ctx.out.note(text.trimEnd());
      decisions.push({
        target: release.target,
        allow: report.verdict !== "block",
        record: {
          scan: {
            schema: report.schema,
            verdict: report.verdict,
            counts: { ...report.counts },
            blocking: report.findings.filter((f) => f.severity === "critical").map((f) => `${f.id} ${f.file}`),
          },
        },
      });
    }
    return decisions;
  };
}
