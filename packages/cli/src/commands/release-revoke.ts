import { revokeRelease } from "@bulwark/publisher";
import { defineCommand } from "../command.js";
import { publisherOptions } from "../publisher-options.js";
import { parseReleaseRef } from "./release-rollout.js";

export default defineCommand({
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
    {
      name: "reason",
      type: "string",
      valueName: "TEXT",
      description: "why, shown to operators in client logs (revoking again without it keeps the earlier reason)",
    },
  ],
  async run({ positionals, options }, ctx) {
    const { name, version } = parseReleaseRef(positionals.RELEASE);
    const r = await revokeRelease(positionals.DIR, { name, version, reason: options.reason }, publisherOptions(ctx));
    ctx.out.line(`${r.release} is revoked (${r.files.length} file(s)); published. Clients on it will roll back.`);
    return { data: { release: r.release, revoked: r.revoked, published: r.published } };
  },
});
