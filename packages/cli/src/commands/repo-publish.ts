import path from "node:path";
import { publish } from "@bulwark/publisher";
import { describeRemaining } from "@bulwark/tuf";
import { defineCommand } from "../command.js";
import { usage } from "../errors.js";
import { describeUnlogged } from "../format/policies.js";
import { publisherOptions } from "../publisher-options.js";
import { scanGate, scanOptions } from "../scan-options.js";

export default defineCommand({
  name: "repo publish",
  summary: "sign what changed and write the static tree DIR/public/",
  description: `Signs every role changed since the last publish (targets, delegated roles and bins,
then snapshot and timestamp), copies staged release files to public/targets/ under their
hash-prefixed names, and writes new versioned metadata before timestamp.json, so readers
never see a half-published state. A failure leaves the previous state serving and the
staged changes in place. Past hashedBinsThreshold targets, targets switch to hashed bins.
With nothing staged it says "nothing to publish" and writes nothing (no new timestamp:
that is \`bulwark repo refresh DIR --force\`). Temporary files left by a killed command
(*.tmp, staged/targets/.incoming-*) are removed first, and listed.

Ctrl+C (SIGINT) or SIGTERM stops it cleanly at the next safe point (between chunks of a
release file being copied, between files, waiting on witnesses, just before timestamp.json
is replaced): the files it had written are removed, public/ is as it was, the releases stay
staged, and it exits 130 (143 for SIGTERM); entries it had appended to the release log
stay there, as after a witness failure. Once it has begun replacing timestamp.json it
finishes, and says so. A second Ctrl+C stops the process at once; the next publish removes
what that leaves. Large release files show progress on a terminal (--progress elsewhere).

When the root names a transparency log (\`bulwark log policy set\`), every release file of
the publish is appended to the log folder bulwark.json names (one batch, under its lock),
the root's witnesses are asked to cosign, and each file's proof is published beside it as
<file>.tlog-proof. The publish that turns the log on (or changes its policy) also logs the
listed releases published before it (or whose proof no longer verifies against it) in the
same batch, and publishes their proofs (see \`bulwark log backfill\`). Fewer than K cosignatures fail the publish before anything is
written (exit 1): the previous state keeps serving; the entries stay in the log, and the
next publish logs the releases again.

With --scan, every staged release file is scanned first (\`bulwark scan\`, against the same
product's previous published release file for the same platform), with --intel and --rules
passed on. A file whose verdict is block is refused and nothing is published (exit 13),
unless --scan-override "REASON" is given. Each decision, the verdict, the finding counts and
any override reason are appended to DIR/release-gate.jsonl before anything is signed (with
--dry-run the scan runs and refuses as usual, and nothing is recorded).

Examples:
  bulwark repo publish ./updates --dry-run
  bulwark repo publish ./updates --scan --intel ./intel --rules ./yara
  bulwark repo publish ./updates --scan --scan-override "INC-4711: payload is our own licence blob"`,
  positionals: [{ name: "DIR", description: "the repository folder" }],
  options: [
    { name: "dry-run", type: "boolean", description: "sign in memory and print what would change; write nothing" },
    {
      name: "new-root",
      type: "boolean",
      description: "also publish a new root version with a fresh expiry (needs the root keys)",
    },
    { name: "scan", type: "boolean", description: "scan every staged release file first; refuse a block verdict" },
    ...scanOptions,
    {
      name: "scan-override",
      type: "string",
      valueName: "REASON",
      description: "publish even what the scan blocks; REASON is recorded in DIR/release-gate.jsonl",
    },
  ],
  async run({ positionals, options }, ctx) {
    const dirArg = positionals.DIR;
    if (!options.scan && (options.intel ?? options.rules ?? options.scanOverride) !== undefined) {
      throw usage("--intel, --rules and --scan-override go with --scan");
    }
    if (options.scanOverride !== undefined && options.scanOverride.trim() === "") {
      throw usage("--scan-override needs a reason, which is recorded");
    }
    const gate = options.scan
      ? {
          gate: scanGate(ctx, { intel: options.intel, rules: options.rules }),
          ...(options.scanOverride === undefined ? {} : { override: options.scanOverride }),
        }
      : undefined;
    const { hashedBins, rootNotice, interruptedAfterCommit, ...report } = await publish(dirArg, {
      ...publisherOptions(ctx),
      dryRun: options.dryRun,
      newRoot: options.newRoot,
      ...(gate === undefined ? {} : { gate }),
    });
    for (const d of report.gate ?? []) {
      if (!d.allow) ctx.out.warn(`${d.target}: the scan's verdict is block; published with the recorded override`);
    }
    for (const stray of report.removedStrays) ctx.out.note(`removed ${stray}, left by an interrupted command`);
    if (rootNotice !== undefined) {
      ctx.out.warn(
        `root version ${rootNotice.version} expires in ${describeRemaining(rootNotice.expiresInMs)}: plan a new root (--new-root)`,
      );
    }
    if (hashedBins !== undefined) {
      ctx.out.note(
        `targets lists more than ${hashedBins.threshold} targets: switching to ${hashedBins.bins} hashed bins`,
      );
    }
    if (report.nothingToPublish) {
      ctx.out.note("nothing to publish: no changes are staged; nothing was written");
      return { data: report };
    }
    ctx.out.table(
      ["file", "bytes"],
      report.files.map((f) => [f.path, String(f.bytes)]),
    );
    const log = report.log;
    if (log !== undefined && log.firstIndex === undefined) {
      ctx.out.note(`would log ${log.entries} release file(s) in ${log.origin}`);
    } else if (log !== undefined) {
      const last = BigInt(log.size ?? "0") - 1n;
      ctx.out.line(
        `Logged ${log.entries} release file(s) in ${log.origin} (entries ${log.firstIndex}..${last}), cosigned by ${log.cosignedBy?.join(", ")}.`,
      );
    }
    if (log !== undefined && log.backfilled.length > 0) {
      ctx.out.line(
        `${log.firstIndex === undefined ? "Would log" : "Logged"} ${log.backfilled.length} release file(s) published earlier without a valid proof, and published their proofs: ${describeUnlogged(log.backfilled)}.`,
      );
    }
    if (interruptedAfterCommit) {
      ctx.out.warn("interrupted after the new state was committed: publishing was finished, not stopped");
    }
    ctx.out.note(
      report.dryRun
        ? "dry run: nothing was written"
        : `published ${report.files.length} file(s) to ${path.join(path.resolve(ctx.cwd, dirArg), "public")}`,
    );
    return { data: interruptedAfterCommit ? { ...report, interruptedAfterCommit } : report };
  },
});
