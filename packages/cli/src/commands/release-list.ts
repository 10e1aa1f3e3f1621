import { listReleases, type ReleaseListing } from "@bulwark/publisher";
import { defineCommand } from "../command.js";
import { publisherOptions } from "../publisher-options.js";

function revokedCell(r: ReleaseListing): string {
  if (r.revoked === undefined) return "-";
  return r.revoked.reason ? `yes: ${r.revoked.reason}` : "yes";
}

export default defineCommand({
  name: "release list",
  summary: "list every release, staged and published: channel, rollout, revoked, attested, logged",
  description: `Lists every release file of the repository, staged (waiting for \`repo publish\`) and
published: product, version, channel, platform, rollout percentage, whether it is revoked (and
why), attested (its verified-builds attestation bundle is present) and logged (its
transparency-log proof is published). Newest version first within a product. Reads without
taking the repository lock.

--json prints:
  { "releases": [{ "name", "version", "channel", "platform"?, "target", "length", "sha256",
                   "rollout": number, "revoked"?: { "at"?, "reason"? }, "attested": boolean,
                   "logged": boolean, "state": "staged"|"published" }] }

Example:
  bulwark release list ./updates`,
  positionals: [{ name: "DIR", description: "the repository folder" }],
  options: [],
  async run({ positionals }, ctx) {
    const releases = await listReleases(positionals.DIR, publisherOptions(ctx));
    if (releases.length === 0) {
      ctx.out.line("No releases yet (add one with `bulwark release add`).");
    } else {
      ctx.out.table(
        ["release", "channel", "platform", "rollout", "revoked", "attested", "logged", "state", "file"],
        releases.map((r) => [
          `${r.name}@${r.version}`,
          r.channel,
          r.platform ?? "any",
          `${r.rollout} %`,
          revokedCell(r),
          r.attested ? "yes" : "-",
          r.logged ? "yes" : "-",
          r.state,
          r.target,
        ]),
      );
    }
    return { data: { releases } };
  },
});
