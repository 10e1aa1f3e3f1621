import path from "node:path";
import { formatDuration, refreshRepository } from "@bulwark/publisher";
import { describeRemaining } from "@bulwark/tuf";
import { defineCommand } from "../command.js";
import { EXIT } from "../exit-codes.js";
import { publisherOptions } from "../publisher-options.js";

export default defineCommand({
  name: "repo refresh",
  summary: "re-sign timestamp, snapshot and targets roles before they expire (for cron and CI)",
  description: `Re-signs, with the online keys, every role whose remaining validity is below its
refreshBefore window in bulwark.json: timestamp (refreshBefore.timestamp), snapshot
(refreshBefore.snapshot), and targets, delegated roles and hashed bins (refreshBefore.targets).
A window longer than half of the role's expiry is shortened to half, so a role just signed
is never due again: running refresh twice in a row re-signs nothing the second time.
Re-signed roles get the next version; new files are written before timestamp.json.
Root is never re-signed here (its keys are offline); a root expiring within 30 days is
reported as a warning.

Refresh never publishes a release by surprise: with staged changes (\`release add\` and
friends) it refuses; publish them with \`bulwark repo publish\` first.

Exit codes: 0 nothing needed re-signing; 10 metadata was re-signed and published (with
--dry-run: a refresh is due, nothing was written); 1, 3, 4 as for every command.

Example (cron, every hour):
  bulwark repo refresh /srv/updates --quiet || [ $? -eq 10 ]`,
  positionals: [{ name: "DIR", description: "the repository folder" }],
  options: [
    { name: "dry-run", type: "boolean", description: "report what is due; sign and write nothing" },
    { name: "force", type: "boolean", description: "re-sign timestamp even when it is not due" },
  ],
  async run({ positionals, options }, ctx) {
    const r = await refreshRepository(positionals.DIR, {
      ...publisherOptions(ctx),
      dryRun: options.dryRun,
      force: options.force,
    });
    for (const w of r.shortened) {
      ctx.out.note(
        `refreshBefore for ${w.kind} is longer than half its ${formatDuration(w.expiry)} expiry: using ${formatDuration(w.used)}`,
      );
    }
    if (r.rootNotice !== undefined) {
      ctx.out.warn(
        `root version ${r.rootNotice.version} expires in ${describeRemaining(r.rootNotice.expiresInMs)}: sign a new root with the root keys`,
      );
    }
    const shown = r.roles.filter((c) => c.due || ["root", "timestamp", "snapshot", "targets"].includes(c.name));
    ctx.out.table(
      ["role", "version", "expires in", "action"],
      shown.map((c) => [
        c.name,
        String(c.version),
        describeRemaining(c.expiresIn * 1000),
        c.due ? (r.versions[c.name] !== undefined ? `re-signed as version ${r.versions[c.name]}` : "due") : "-",
      ]),
    );
    const targetsChecks = r.roles.slice(3);
    const delegated = targetsChecks.length - 1;
    if (delegated > 0) {
      const dueDelegated = targetsChecks.filter((c) => c.due && c.name !== "targets").length;
      ctx.out.note(`${delegated} delegated role(s) checked, ${dueDelegated} due`);
    }
    ctx.out.note(
      r.due.length === 0
        ? "nothing needed re-signing"
        : r.dryRun
          ? `dry run: ${r.due.length} role(s) due, nothing was written`
          : `re-signed and published ${r.due.length} role(s) to ${path.join(path.resolve(ctx.cwd, positionals.DIR), "public")}`,
    );
    const { dryRun, refreshed, due, versions, files, roles } = r;
    return {
      data: { dryRun, refreshed, due, versions, files, roles },
      exitCode: due.length === 0 ? EXIT.OK : EXIT.REFRESHED,
    };
  },
});
