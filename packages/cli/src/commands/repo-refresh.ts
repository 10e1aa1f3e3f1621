import { type Command, flag } from "../command.js";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { describeRemaining, formatDuration } from "../store/duration.js";
import { type RefreshKind, refreshWindow } from "../store/refresh-window.js";
import { RepoDir } from "../store/repo-dir.js";

/** One role as `repo refresh` saw it. */
interface RoleCheck {
  name: string;
  version: number;
  expires: string;
  /** Seconds of validity left when the refresh started. */
  expiresIn: number;
  due: boolean;
}

const command: Command = {
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
  async run(a, ctx) {
    const dirArg = a.positionals.DIR as string;
    const repoDir = await RepoDir.open(dirArg, ctx);
    const dryRun = flag(a, "dry-run");
    const config = repoDir.config;
    return repoDir.locked(async () => {
      const repo = await repoDir.load();
      const staged = await repoDir.stagedState();
      const pending = repo.pendingRoles();
      if (pending.length > 0 || staged.added.length > 0) {
        const what = [
          ...(staged.added.length > 0 ? [`${staged.added.length} target(s)`] : []),
          ...(pending.length > 0 ? [`changes to ${pending.join(", ")}`] : []),
        ].join(" and ");
        throw new CliError(
          "STAGED_CHANGES",
          `${dirArg} has staged changes that are not published yet (${what}); refresh does not publish them`,
          EXIT.FAILURE,
          `review them with \`bulwark repo status ${dirArg}\`, publish them with \`bulwark repo publish ${dirArg}\`, then refresh`,
        );
      }
      for (const kind of ["timestamp", "snapshot", "targets", "delegated"] as const) {
        const w = refreshWindow(config, kind);
        if (w.shortened) {
          ctx.out.note(
            `refreshBefore for ${kind} is longer than half its ${formatDuration(config.expiry[kind])} expiry: using ${formatDuration(w.ms / 1000)}`,
          );
        }
      }
      const now = ctx.now();
      const check = (name: string, kind: RefreshKind, signed: { version: number; expiresAt: number }): RoleCheck => ({
        name,
        version: signed.version,
        expires: new Date(signed.expiresAt).toISOString(),
        expiresIn: Math.floor((signed.expiresAt - now) / 1000),
        due: signed.expiresAt - now < refreshWindow(config, kind).ms,
      });

      const targetsChecks: RoleCheck[] = [];
      for (const name of repo.targetsRoleNames()) {
        const c = check(name, name === "targets" ? "targets" : "delegated", repo.targets(name).signed);
        targetsChecks.push(c);
        if (c.due) repo.touch(name);
      }
      const targetsDue = targetsChecks.some((c) => c.due);
      const snapshot = check("snapshot", "snapshot", repo.snapshot.signed);
      // Any re-signed targets role changes snapshot anyway.
      snapshot.due ||= targetsDue;
      if (snapshot.due) repo.resignSnapshot();
      const timestamp = check("timestamp", "timestamp", repo.timestamp.signed);
      timestamp.due ||= snapshot.due || flag(a, "force");
      const root = check("root", "root", repo.root.signed);
      if (root.due) {
        ctx.out.warn(
          `root version ${root.version} expires in ${describeRemaining(root.expiresIn * 1000)}: sign a new root with the root keys`,
        );
      }
      root.due = false;

      const checks = [root, timestamp, snapshot, ...targetsChecks];
      const due = checks.filter((c) => c.due).map((c) => c.name);
      let report: Awaited<ReturnType<RepoDir["publish"]>> | undefined;
      if (timestamp.due && !dryRun) report = await repoDir.publish(repo);

      // The new version of each re-signed role (timestamp.json carries no version in its name).
      const versions: Record<string, number> = {};
      if (report !== undefined) {
        for (const name of due) {
          const md = name === "timestamp" ? repo.timestamp : name === "snapshot" ? repo.snapshot : repo.targets(name);
          versions[name] = md.signed.version;
        }
      }
      const shown = checks.filter((c) => c.due || ["root", "timestamp", "snapshot", "targets"].includes(c.name));
      ctx.out.table(
        ["role", "version", "expires in", "action"],
        shown.map((c) => [
          c.name,
          String(c.version),
          describeRemaining(c.expiresIn * 1000),
          c.due ? (versions[c.name] !== undefined ? `re-signed as version ${versions[c.name]}` : "due") : "-",
        ]),
      );
      const delegated = targetsChecks.length - 1;
      if (delegated > 0) {
        const dueDelegated = targetsChecks.filter((c) => c.due && c.name !== "targets").length;
        ctx.out.note(`${delegated} delegated role(s) checked, ${dueDelegated} due`);
      }
      ctx.out.note(
        due.length === 0
          ? "nothing needed re-signing"
          : dryRun
            ? `dry run: ${due.length} role(s) due, nothing was written`
            : `re-signed and published ${due.length} role(s) to ${repoDir.paths.public}`,
      );
      return {
        data: {
          dryRun,
          refreshed: report !== undefined,
          due,
          versions,
          files: report?.files ?? [],
          roles: checks,
        },
        exitCode: due.length === 0 ? EXIT.OK : EXIT.REFRESHED,
      };
    });
  },
};

export default command;
