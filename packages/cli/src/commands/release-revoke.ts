import { revokeRelease } from "@bulwark/publisher";
import { type Command, str } from "../command.js";
import { publisherOptions } from "../publisher-options.js";
import { parseReleaseRef } from "./release-rollout.js";

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
    const r = await revokeRelease(
      a.positionals.DIR as string,
      { name, version, reason: str(a, "reason") },
      publisherOptions(ctx),
    );
    ctx.out.line(`${r.release} is revoked (${r.files.length} file(s)); published. Clients on it will roll back.`);
    return { data: { release: r.release, revoked: r.revoked, published: r.published } };
  },
};

export default command;
