import { readFileSync } from "node:fs";
import path from "node:path";
import {
  AUDIT_SCHEMA,
  AuditInputError,
  auditFeed,
  compareReports,
  comparisonText,
  FETCH_LIMITS,
  FeedFetchError,
  GRADES,
  type Grade,
  parseReport,
  reportMarkdown,
  reportText,
  worse,
} from "@bulwark/audit";
import { type Context, defineCommand } from "../command.js";
import { CliError, exitCodeFor, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";

/** The audit's errors keep their code and message, and their hint reaches the user (STYLE 4). */
async function withHints<T>(run: () => Promise<T> | T): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if ((error instanceof FeedFetchError || error instanceof AuditInputError) && error.hint !== undefined) {
      throw new CliError(error.code, error.message, exitCodeFor(error), error.hint, { cause: error });
    }
    throw error;
  }
}

function toolVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** Writes a JSON document or Markdown to stdout when `--format` asks for it and `--json` does not. */
function emit(ctx: Context, text: string): void {
  if (!ctx.out.json) ctx.out.streams.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

function readReport(ctx: Context, file: string) {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path.resolve(ctx.cwd, file));
  } catch (error) {
    throw usage(`cannot read ${file}: ${(error as Error).message}`);
  }
  return withHints(() => parseReport(bytes, file));
}

export default defineCommand({
  name: "audit",
  summary: "score a vendor's update feed: what can an attacker who controls that server do?",
  description: `Reads a third-party update feed without installing anything, recognises its type and
reports findings (severity, the exact evidence, what to ask the vendor), a grade from A to F,
and what an attacker who controls the update server could do: arbitrary install, rollback,
freeze, mix-and-match, endless data, a targeted release, and a trojan from the vendor's
build machine (the 3CX case).

FEED is an http(s) URL or a local path:
  TUF or Bulwark repository   a …/metadata/ URL or folder, a repository folder, or a root.json
  electron-updater            latest.yml, latest-mac.yml, latest-linux.yml
  Sparkle appcast             RSS with the sparkle namespace (appcast.xml)
  Squirrel.Windows            RELEASES (Velopack: RELEASES-{channel})
  anything else               reported as an unknown feed
URLs are read with bounds: ${FETCH_LIMITS.maxBytes / 1024 / 1024} MiB per document, ${FETCH_LIMITS.connectTimeoutMs / 1000} s to connect, --timeout in all;
redirects only to the same host (another host is an error naming it). XML DTDs are refused,
never expanded; YAML aliases are bounded. Grades and the JSON schema (${AUDIT_SCHEMA}): docs/audit.md.

--compare A.json B.json shows what changed between two saved audits of the same vendor.

Exit codes: 0 audited, whatever the grade (a feed that does not parse is graded F); 1 the feed
could not be fetched, the grade is below --min-grade, or (--compare) the grade got worse;
2 bad arguments.

Examples:
  bulwark audit https://downloads.example.com/app/latest.yml --vendor-name "Example Corp"
  bulwark audit https://updates.example.com/metadata/ --format json > example-2025-06.json
  bulwark audit --compare example-2025-05.json example-2025-06.json`,
  positionals: [
    {
      name: "FEED",
      description: "the feed's URL or path (with --compare: two audit JSON files)",
      variadic: true,
    },
  ],
  options: [
    {
      name: "format",
      type: "string",
      valueName: "FORMAT",
      description: "table, json or markdown",
      default: "table",
    },
    { name: "vendor-name", type: "string", valueName: "NAME", description: "the vendor's name, for the report" },
    {
      name: "root",
      type: "string",
      valueName: "ROOT",
      description: "a trusted root.json to start a TUF repository's root chain from (default: the served root)",
    },
    { name: "compare", type: "boolean", description: "compare two audit JSON files: A (before) and B (after)" },
    {
      name: "timeout",
      type: "string",
      valueName: "SECONDS",
      description: "longest time for one document, redirects and body included",
      default: String(FETCH_LIMITS.totalTimeoutMs / 1000),
    },
    {
      name: "min-grade",
      type: "string",
      valueName: "GRADE",
      description: "exit 1 when the grade is worse than this (A-F)",
    },
  ],
  async run({ positionals, options }, ctx) {
    const { format } = options;
    if (!["table", "json", "markdown"].includes(format)) throw usage(`--format ${format}: use table, json or markdown`);
    const inputs = positionals.FEED;
    if (options.compare) {
      const [before, after, ...more] = inputs;
      if (before === undefined || after === undefined || more.length > 0)
        throw usage("--compare takes two audit JSON files: bulwark audit --compare A.json B.json");
      const comparison = compareReports(await readReport(ctx, before), await readReport(ctx, after));
      if (format === "json") emit(ctx, JSON.stringify(comparison, null, 2));
      else ctx.out.line(comparisonText(comparison, { color: ctx.out.color }));
      return { data: comparison, exitCode: comparison.grade === "worse" ? EXIT.FAILURE : EXIT.OK };
    }
    const [input, ...more] = inputs;
    if (input === undefined || more.length > 0) throw usage("give one feed URL or path (or --compare A.json B.json)");
    const seconds = Number(options.timeout);
    if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600)
      throw usage("--timeout must be a number of seconds, up to 3600");
    const minGrade = options.minGrade?.toUpperCase();
    if (minGrade !== undefined && !(GRADES as readonly string[]).includes(minGrade))
      throw usage("--min-grade must be A, B, C, D or F");
    const totalTimeoutMs = Math.round(seconds * 1000);
    const limits = {
      ...FETCH_LIMITS,
      totalTimeoutMs,
      connectTimeoutMs: Math.min(FETCH_LIMITS.connectTimeoutMs, totalTimeoutMs),
    };
    ctx.out.note(`auditing ${input} …`);
    const report = await withHints(() =>
      auditFeed(input, {
        cwd: ctx.cwd,
        now: ctx.now(),
        limits,
        toolVersion: toolVersion(),
        vendor: options.vendorName,
        rootFile: options.root,
        signal: ctx.signal,
      }),
    );
    if (format === "json") emit(ctx, JSON.stringify(report, null, 2));
    else if (format === "markdown") emit(ctx, reportMarkdown(report));
    else ctx.out.line(reportText(report, { color: ctx.out.color }));
    const failed = minGrade !== undefined && worse(report.grade, minGrade as Grade);
    return { data: report, exitCode: failed ? EXIT.FAILURE : EXIT.OK };
  },
});
