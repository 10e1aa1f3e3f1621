import { type Command, flag } from "../command.js";
import { autoHashedBins } from "../store/bins.js";
import { RepoDir } from "../store/repo-dir.js";

const command: Command = {
  name: "repo publish",
  summary: "sign what changed and write the static tree DIR/public/",
  description: `Signs every role changed since the last publish (targets, delegated roles and bins,
then snapshot and timestamp), copies staged release files to public/targets/ under their
hash-prefixed names, and writes new versioned metadata before timestamp.json, so readers
never see a half-published state. A failure leaves the previous state serving and the
staged changes in place. Past hashedBinsThreshold targets, targets switch to hashed bins.

Example:
  bulwark repo publish ./updates --dry-run`,
  positionals: [{ name: "DIR", description: "the repository folder" }],
  options: [
    { name: "dry-run", type: "boolean", description: "sign in memory and print what would change; write nothing" },
  ],
  async run(a, ctx) {
    const repoDir = await RepoDir.open(a.positionals.DIR as string, ctx);
    return repoDir.locked(async () => {
      const repo = await repoDir.load();
      const bins = await autoHashedBins(repoDir, repo);
      if (bins !== undefined)
        ctx.out.note(
          `targets lists more than ${repoDir.config.hashedBinsThreshold} targets: switching to ${bins} hashed bins`,
        );
      const dryRun = flag(a, "dry-run");
      const report = await repoDir.publish(repo, { dryRun });
      ctx.out.table(
        ["file", "bytes"],
        report.files.map((f) => [f.path, String(f.bytes)]),
      );
      ctx.out.note(
        dryRun ? "dry run: nothing was written" : `published ${report.files.length} file(s) to ${repoDir.paths.public}`,
      );
      return { data: { dryRun, ...report } };
    });
  },
};

export default command;
