import { type Command, flag } from "../command.js";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { autoHashedBins } from "../store/bins.js";
import { describeRemaining } from "../store/duration.js";
import { RepoDir } from "../store/repo-dir.js";

const command: Command = {
  name: "repo publish",
  summary: "sign what changed and write the static tree DIR/public/",
  description: `Signs every role changed since the last publish (targets, delegated roles and bins,
then snapshot and timestamp), copies staged release files to public/targets/ under their
hash-prefixed names, and writes new versioned metadata before timestamp.json, so readers
never see a half-published state. A failure leaves the previous state serving and the
staged changes in place. Past hashedBinsThreshold targets, targets switch to hashed bins.

When the root names a transparency log (\`bulwark log policy set\`), every release file of
the publish is appended to the log folder bulwark.json names (one batch, under its lock),
the root's witnesses are asked to cosign, and each file's proof is published beside it as
<file>.tlog-proof. Fewer than K cosignatures fail the publish before anything is written
(exit 1): the previous state keeps serving; the entries stay in the log, and the next
publish logs the releases again.

Example:
  bulwark repo publish ./updates --dry-run`,
  positionals: [{ name: "DIR", description: "the repository folder" }],
  options: [
    { name: "dry-run", type: "boolean", description: "sign in memory and print what would change; write nothing" },
    {
      name: "new-root",
      type: "boolean",
      description: "also publish a new root version with a fresh expiry (needs the root keys)",
    },
  ],
  async run(a, ctx) {
    const repoDir = await RepoDir.open(a.positionals.DIR as string, ctx);
    return repoDir.locked(async () => {
      const repo = await repoDir.load();
      if (flag(a, "new-root")) repo.rotateRoot();
      const root = repo.root.signed;
      if (repo.stagedRoot() === undefined && root.isExpired(ctx.now())) {
        throw new CliError(
          "ROOT_EXPIRED",
          `root version ${root.version} expired on ${root.expires.toISOString()}: clients refuse everything it signs`,
          EXIT.FAILURE,
          "publish a new root version with `bulwark repo publish DIR --new-root` (it needs the root keys)",
        );
      }
      const left = root.expiresAt - ctx.now();
      if (left < 30 * 86400_000)
        ctx.out.warn(
          `root version ${root.version} expires in ${describeRemaining(left)}: plan a new root (--new-root)`,
        );
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
      const log = report.log;
      if (log !== undefined && log.firstIndex === undefined) {
        ctx.out.note(`would log ${log.entries} release file(s) in ${log.origin}`);
      } else if (log !== undefined) {
        const last = BigInt(log.size ?? "0") - 1n;
        ctx.out.line(
          `Logged ${log.entries} release file(s) in ${log.origin} (entries ${log.firstIndex}..${last}), cosigned by ${log.cosignedBy?.join(", ")}.`,
        );
      }
      ctx.out.note(
        dryRun ? "dry run: nothing was written" : `published ${report.files.length} file(s) to ${repoDir.paths.public}`,
      );
      return { data: { dryRun, ...report } };
    });
  },
};

export default command;
