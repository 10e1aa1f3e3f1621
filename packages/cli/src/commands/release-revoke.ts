import { type Command, str } from "../command.js";
import { editReleaseMetadata, parseReleaseRef, releaseTargets } from "../releases.js";
import { RepoDir } from "../store/repo-dir.js";

const command: Command = {
  name: "release revoke",
  summary: "revoke a release (the kill switch): clients on it roll back; sign and publish",
  description: `Marks every file of NAME@VERSION revoked in signed targets metadata
(custom.bulwark.revoked) and publishes at once. Clients never install a revoked release, and
clients running it roll back to their last good version. The revocation is signed, so a
compromised server can neither forge nor hide it (hiding it would need a rollback of signed
metadata, which clients refuse).

Example:
  bulwark release revoke ./updates app@1.2.0 --reason "crashes on start on macOS 14"`,
  positionals: [
    { name: "DIR", description: "the repository folder" },
    { name: "RELEASE", description: "NAME@VERSION" },
  ],
  options: [
    { name: "reason", type: "string", valueName: "TEXT", description: "why, shown to operators in client logs" },
  ],
  async run(a, ctx) {
    const { name, version } = parseReleaseRef(a.positionals.RELEASE as string);
    const reason = str(a, "reason");
    const repoDir = await RepoDir.open(a.positionals.DIR as string, ctx);
    return repoDir.locked(async () => {
      const repo = await repoDir.load();
      const targets = await releaseTargets(repoDir, repo, name, version);
      const at = new Date(ctx.now()).toISOString().replace(/\.\d{3}Z$/, "Z");
      for (const t of targets)
        editReleaseMetadata(repo, t, (b) => ({ ...b, revoked: { at, ...(reason ? { reason } : {}) } }));
      const report = await repoDir.publish(repo);
      ctx.out.line(
        `${name}@${version} is revoked (${targets.length} file(s)); published. Clients on it will roll back.`,
      );
      return {
        data: { release: `${name}@${version}`, revoked: { at, ...(reason ? { reason } : {}) }, published: report },
      };
    });
  },
};

export default command;
