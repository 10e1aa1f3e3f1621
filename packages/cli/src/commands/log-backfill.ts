import { backfillLog } from "@bulwark/publisher";
import { defineCommand } from "../command.js";
import { publisherOptions } from "../publisher-options.js";

/** `bulwark log backfill DIR`: log the listed releases that have no valid proof, now. */
export default defineCommand({
  name: "log backfill",
  summary: "log every listed release that has no valid proof (published before the log policy)",
  description: `Under a root that requires a transparency log (\`bulwark log policy set\`), every client
refuses a release file without a valid proof beside it. Releases published before the policy
have none, and a proof made under an earlier policy (another log key, other witnesses) no
longer verifies. This logs every listed release (in its product's index, not revoked,
published) whose proof is missing or does not verify against the policy of the root the next
publish signs (the staged root when one is staged, else the published one), as one batch in
the log folder bulwark.json names, has the root's witnesses cosign it, and writes each proof
beside its file (<file>.tlog-proof). No metadata is signed.

\`bulwark repo publish\` does the same with the releases of each publish; this is for doing it
now, without a publish. Fewer than K cosignatures: exit 1 and nothing is written.

--json prints:
  { "dryRun": boolean, "origin": string,
    "releases": [{ "name", "version", "path", "proof": "missing"|"invalid" }],
    "firstIndex"?: string, "size"?: string, "cosignedBy"?: [string], "files": [string] }

Examples:
  bulwark log backfill ./updates --dry-run
  bulwark log backfill ./updates`,
  positionals: [{ name: "DIR", description: "the repository folder" }],
  options: [{ name: "dry-run", type: "boolean", description: "list the releases that would be logged; log nothing" }],
  async run({ positionals, options }, ctx) {
    const r = await backfillLog(positionals.DIR, { ...publisherOptions(ctx), dryRun: options.dryRun });
    if (r.releases.length === 0) {
      ctx.out.line(`Every listed release has a valid proof in ${r.origin}: nothing to log.`);
      return { data: r };
    }
    ctx.out.table(
      ["release", "file", "proof"],
      r.releases.map((u) => [`${u.name}@${u.version}`, u.path, u.proof]),
    );
    if (r.dryRun) {
      ctx.out.line(`Would log ${r.releases.length} release file(s) in ${r.origin}.`);
      ctx.out.note("dry run: nothing was logged or written");
    } else {
      const last = BigInt(r.size ?? "0") - 1n;
      ctx.out.line(
        `Logged ${r.releases.length} release file(s) in ${r.origin} (entries ${r.firstIndex}..${last}), cosigned by ${r.cosignedBy?.join(", ")}; their proofs are published beside them.`,
      );
    }
    return { data: r };
  },
});
