import { repairRepository } from "@bulwark/publisher";
import { defineCommand } from "../command.js";
import { publisherOptions } from "../publisher-options.js";

export default defineCommand({
  name: "repo repair",
  summary: "rebuild a repository's working state from its last good published metadata",
  description: `For a repository a command refuses with CORRUPT_FILE (a disk fault, a bad copy, a hand
edit): verifies the published tree as a client would, from the first root — every root
version, timestamp.json, the snapshot and each targets role it lists (length, hashes,
signatures) — and checks the working state in staged/.

  - A root version that does not verify is restored from public/metadata/root.json when
    that copy is good (and the copy from the newest version). With no good copy it stops
    (UNREPAIRABLE, exit 1): root is signed by the offline root keys; restore it from a backup.
  - When timestamp.json, the snapshot or a targets role is corrupt, the newest snapshot that
    verifies with every role it lists becomes the base of the next publish, which re-signs
    snapshot and timestamp numbered past every version on disk, so no client refuses the
    repaired state as a rollback. A role with a newer version on disk is re-signed too: from
    that version when it is intact and signed by its delegator's keys (nothing is lost), else
    from its last good one (changes made after it must be made again: the report says so).
    A timestamp.json whose version cannot be read is replaced by one numbered from the clock
    (seconds since 1970): above any version a client can hold, since each publish adds one.
  - A working copy in staged/metadata/ that does not parse is discarded; staged/state.json is
    rebuilt from the working copies and the release files in staged/targets/ when it does
    not parse; a staged release no working copy lists is unstaged.
  - Temporary files left by a killed command are removed.
  - A bulwark.json that is not JSON at all is rebuilt from the newest root (which key signs
    which role) and the key files under keys/; expiry and refresh windows go back to the
    defaults, and keys with no file here and the log folder are listed to add back by hand.
    A bulwark.json with a wrong field is not touched: the error names the field to fix.

It signs and publishes nothing: run \`bulwark repo publish DIR\` next.

--json prints:
  { "dryRun": boolean, "publishNeeded": boolean, "rebuiltFrom"?: { "snapshot": number },
    "actions": [{ "file", "problem", "action" }] }

Examples:
  bulwark repo repair ./updates --dry-run
  bulwark repo repair ./updates && bulwark repo publish ./updates`,
  positionals: [{ name: "DIR", description: "the repository folder" }],
  options: [
    { name: "dry-run", type: "boolean", description: "report what is wrong and what would be done; change nothing" },
  ],
  async run({ positionals, options }, ctx) {
    const dir = positionals.DIR;
    const result = await repairRepository(dir, { ...publisherOptions(ctx), dryRun: options.dryRun });
    if (result.actions.length === 0) {
      ctx.out.line(
        `${ctx.out.ok("OK")}: the published metadata verifies and the working state is sound; nothing to repair`,
      );
      return { data: result };
    }
    ctx.out.table(
      ["file", "problem", "action"],
      result.actions.map((a) => [a.file, a.problem, a.action]),
    );
    if (result.rebuiltFrom !== undefined) {
      ctx.out.line(`The next publish builds on snapshot version ${result.rebuiltFrom.snapshot}, the last good one.`);
    }
    if (result.dryRun) ctx.out.note("dry run: nothing was changed");
    else if (result.publishNeeded)
      ctx.out.note(`repaired; run \`bulwark repo publish ${dir}\` to publish the rebuilt state`);
    else ctx.out.note("repaired");
    return { data: result };
  },
});
