import { promises as fs, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type LogLocation, openLogLocation } from "@bulwark/publisher";
import {
  formatMonitorState,
  type LogPolicy,
  logPolicyOf,
  MONITOR_DEFAULTS,
  type MonitorReport,
  type MonitorState,
  monitorLog,
  parseMonitorState,
  policyEndpoints,
  tufRepository,
} from "@bulwark/tlog";
import { Metadata, type Root, readFileIfExists, writeFileAtomic } from "@bulwark/tuf";
import { type Context, defineCommand } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";

async function readRoot(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await fs.readFile(file));
  } catch (cause) {
    throw new CliError(
      "MISSING_ROOT",
      `cannot read the trusted root ${file}`,
      EXIT.USAGE,
      "pass the repository's root.json (version 1 or a later one you trust)",
      { cause },
    );
  }
}

/** The log policy of the trusted root, when it has one. */
function rootLogPolicy(bytes: Uint8Array, file: string): LogPolicy | undefined {
  let root: Metadata<Root>;
  try {
    root = Metadata.fromBytes(bytes, "root");
  } catch (cause) {
    throw new CliError("BAD_ROOT", `${file} is not TUF root metadata`, EXIT.USAGE, undefined, { cause });
  }
  return logPolicyOf(root.signed);
}

async function readState(file: string | undefined): Promise<MonitorState | undefined> {
  if (file === undefined) return undefined;
  const bytes = await readFileIfExists(file);
  return bytes === undefined ? undefined : parseMonitorState(bytes.toString("utf8"));
}

function print(report: MonitorReport, out: Context["out"]): void {
  out.table(
    ["checkpoint of", "size", "root", "cosigned by"],
    report.views.map((v) => [v.source, v.size, v.rootHash, v.cosigners.join(", ") || "-"]),
  );
  out.line("");
  if (report.checked !== undefined) {
    out.line(
      `entries read from ${report.checked.source}, the largest tree a copy of the log serves: ${report.checked.size}`,
    );
  }
  out.line(
    `entries checked against the repository: ${report.entries.checked} (from ${report.entries.from} to ${report.entries.to})`,
  );
  for (const c of report.changes) {
    const what = c.change === "revoke" ? `revoked${c.reason ? ` (${c.reason})` : ""}` : `rollout set to ${c.percent}%`;
    out.line(`logged change, entry ${c.index}: ${c.name} ${c.version} (${c.path}) ${what}`);
  }
  for (const w of report.warnings) out.line(`${out.paint(33, "warning:")} ${w}`);
  if (report.ok) {
    out.line(out.ok("ok: no split view, every logged release is in the repository"));
    return;
  }
  out.line(out.bad(`${report.problems.length} problem${report.problems.length === 1 ? "" : "s"}:`));
  for (const p of report.problems) out.line(`  ${out.bad(p.kind)}  ${p.message}`);
}

/** A progress line on a terminal while entries are checked (redrawn at most every 100 ms). */
function progress(ctx: Context): (checked: bigint, total: bigint) => void {
  const stderr = ctx.out.streams.stderr;
  if (!stderr.isTTY || ctx.out.json || ctx.out.quiet) return () => undefined;
  let last = 0;
  return (checked, total) => {
    if (Date.now() - last < 100) return;
    last = Date.now();
    stderr.write(`\rchecking log entries against the repository: ${checked} of ${total}`);
  };
}

/** `bulwark log monitor`: split views and releases the repository does not list. */
export default defineCommand({
  name: "log monitor",
  summary: "check a release log for split views and for logged releases the repository does not list",
  description: `Reads the log (and each mirror: --log is repeatable), the latest checkpoint each witness
of --witnesses cosigned, and the checkpoint of the previous run (--state), verifies them all
with the log's key, and checks that they are consistent: two checkpoints of one size with
different roots, or a consistency proof that fails, is a split view (a fork). Then reads each
new log entry and looks its target up in the vendor's TUF repository (--repo, verified from
--root as a client would): a logged artifact the repository does not list, or lists with
another digest, is reported. Run it on a schedule; exit 1 means someone must look.

Cosignatures on every checkpoint are verified with the witness keys of the root's log
policy (and --witnesses); the witnesses with a URL are asked for their latest checkpoint.
Entries are checked up to the largest tree any witness cosigned that a copy of the log
serves, also on a first run with no state. Problems (exit 1): split-view, inconsistent,
rollback; unpublished-checkpoint (a witness cosigned a tree no copy of the log serves, after
--unpublished-grace: a privately extended log, the log key was used elsewhere);
unlisted-release; relabelled-release (one file logged under two versions); unrevoked-release
(the log has a revocation the repository no longer carries: it was hidden with the online
keys); bad-entry; log-unreadable; repository-unreadable. Every logged revocation and
rollout change read is listed, so a kill switch used by someone else is seen too.

The report (--json) holds the signed checkpoints that disagree, as evidence. --state keeps
the last verified checkpoint, how far entries were checked and the unlisted ones, and the
repository metadata beside it (FILE.tuf/); a run with a split view does not move it.

Exit codes: 0 no problem, 1 a problem (or the check could not run), 2 usage.

Example:
  bulwark log monitor --log https://updates.example.com/log/ --log-vkey "$VKEY" \\
    --repo https://updates.example.com/ --root root.json --state monitor.json`,
  positionals: [],
  options: [
    {
      name: "log",
      type: "string",
      multiple: true,
      valueName: "URL|DIR",
      description: "the log, then its mirrors: a URL, a log folder or a copy of public/ (repeatable; required)",
    },
    {
      name: "log-vkey",
      type: "string",
      valueName: "VKEY",
      description: "the log's verifier key (default: the first log folder's log.json)",
    },
    { name: "origin", type: "string", valueName: "ORIGIN", description: "the log's origin (default: the key's name)" },
    {
      name: "repo",
      type: "string",
      valueName: "URL",
      description: "the vendor's repository: the URL serving metadata/ (required)",
    },
    { name: "root", type: "string", valueName: "FILE", description: "the repository's trusted root.json (required)" },
    {
      name: "state",
      type: "string",
      valueName: "FILE",
      description: "what the previous run saw; updated after the run",
    },
    {
      name: "witnesses",
      type: "string",
      valueName: "FILE",
      description: "a witness policy: the latest checkpoint of each witness with a URL is compared too",
    },
    {
      name: "unpublished-grace",
      type: "string",
      valueName: "SECONDS",
      description: `how long a witness checkpoint may go unserved before it is a problem (default ${MONITOR_DEFAULTS.unpublishedGraceSeconds})`,
    },
  ],
  async run({ options }, ctx) {
    const logs = options.log;
    const repo = options.repo;
    const rootFile = options.root;
    if (logs.length === 0) throw usage("--log URL|DIR is required");
    if (repo === undefined || rootFile === undefined) throw usage("--repo URL and --root FILE are required");
    const grace = options.unpublishedGrace;
    if (grace !== undefined && !/^\d{1,9}$/.test(grace)) {
      throw usage(`--unpublished-grace must be a whole number of seconds, got ${grace}`);
    }
    const stateFile = options.state === undefined ? undefined : path.resolve(ctx.cwd, options.state);
    const vkey = options.logVkey;
    const origin = options.origin;
    const locations: LogLocation[] = [];
    for (const [i, where] of logs.entries()) {
      const first = locations[0];
      locations.push(
        await openLogLocation(where, ctx.cwd, {
          vkey: vkey ?? first?.verifier.vkey,
          origin: origin ?? first?.origin,
          policyFile: i === 0 ? options.witnesses : undefined,
          signal: ctx.signal,
        }),
      );
    }
    const primary = locations[0] as LogLocation;
    const state = await readState(stateFile);
    const trustedRoot = await readRoot(path.resolve(ctx.cwd, rootFile));
    const policy = rootLogPolicy(trustedRoot, rootFile);
    const temp = stateFile === undefined ? mkdtempSync(path.join(tmpdir(), "bulwark-monitor-")) : undefined;
    try {
      const repository = await tufRepository({
        url: repo,
        trustedRoot,
        metadataDir: temp ?? `${stateFile}.tuf`,
      });
      const report = await monitorLog({
        origin: primary.origin,
        logVerifier: primary.verifier,
        logs: locations.map((l) => ({ name: l.name, store: l.store })),
        repository,
        ...(primary.policy ? { witnesses: policyEndpoints(primary.policy.quorum) } : {}),
        ...(policy ? { policy } : {}),
        ...(state ? { state } : {}),
        ...(grace === undefined ? {} : { unpublishedGraceSeconds: Number(grace) }),
        onProgress: progress(ctx),
      });
      if (ctx.out.streams.stderr.isTTY && !ctx.out.json && !ctx.out.quiet) ctx.out.streams.stderr.write("\r\u001b[K");
      if (stateFile !== undefined && report.state !== undefined && report.state !== state) {
        await writeFileAtomic(stateFile, Buffer.from(formatMonitorState(report.state)));
      }
      print(report, ctx.out);
      const { state: _, ...data } = report;
      return { data, exitCode: report.ok ? EXIT.OK : EXIT.FAILURE };
    } finally {
      if (temp !== undefined) rmSync(temp, { recursive: true, force: true });
    }
  },
});
