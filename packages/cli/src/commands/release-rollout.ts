import { type Command, str } from "../command.js";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { editReleaseMetadata, parseReleaseRef, releaseTargets } from "../releases.js";
import { RepoDir } from "../store/repo-dir.js";

const command: Command = {
  name: "release rollout",
  summary: "set a release's staged-rollout percentage (signed) and publish",
  description: `Sets custom.bulwark.rollout.percent on every file of NAME@VERSION, then signs and
publishes. A client takes the release when sha256(clientId ‖ 0x00 ‖ NAME@VERSION), read as a
fraction, is below the percentage: raising it only ever adds clients. The percentage is in
signed targets metadata, so a compromised server cannot change who gets the release.

Example:
  bulwark release rollout ./updates app@1.2.0 --percent 10`,
  positionals: [
    { name: "DIR", description: "the repository folder" },
    { name: "RELEASE", description: "NAME@VERSION" },
  ],
  options: [{ name: "percent", type: "string", valueName: "N", description: "share of clients, 0 to 100 (required)" }],
  async run(a, ctx) {
    const { name, version } = parseReleaseRef(a.positionals.RELEASE as string);
    const percent = Number(str(a, "percent"));
    if (str(a, "percent") === undefined || !Number.isFinite(percent) || percent < 0 || percent > 100) {
      throw new CliError("BAD_PERCENT", "--percent must be a number from 0 to 100", EXIT.USAGE);
    }
    const repoDir = await RepoDir.open(a.positionals.DIR as string, ctx);
    return repoDir.locked(async () => {
      const repo = await repoDir.load();
      const targets = await releaseTargets(repoDir, repo, name, version);
      for (const t of targets) editReleaseMetadata(repo, t, (b) => ({ ...b, rollout: { percent } }));
      const report = await repoDir.publish(repo);
      ctx.out.line(
        `${name}@${version} now rolls out to ${percent} % of clients (${targets.length} file(s)); published.`,
      );
      return {
        data: { release: `${name}@${version}`, percent, files: targets.map((t) => t.target.path), published: report },
      };
    });
  },
};

export default command;
