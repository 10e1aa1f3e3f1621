import { existsSync } from "node:fs";
import path from "node:path";
import { RepoDir } from "@bulwark/publisher";
import { Metadata, writeFileAtomic } from "@bulwark/tuf";
import { defineCommand } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { publisherOptions } from "../publisher-options.js";

export default defineCommand({
  name: "repo export",
  summary: "write the staged next root to a file, to sign it offline",
  description: `Writes the staged next root version (with the signatures it has so far) to OUT, laid out
as Bulwark writes metadata: {"signatures":[…],"signed":<canonical JSON>}. Take OUT to where
the root keys are kept, sign it there with \`bulwark sign OUT --key KEYFILE\` (once per key,
until the thresholds of the current and the new root are met), bring it back and run
\`bulwark repo import DIR OUT\`, then \`bulwark repo publish DIR\`.

A root key that the new root no longer lists is recognised by \`bulwark sign\` when given the
current root as well (--previous-root DIR/public/metadata/root.json).

Example:
  bulwark repo export ./updates /media/usb/root-3.json`,
  positionals: [
    { name: "DIR", description: "the repository folder" },
    { name: "OUT", description: "the file to write" },
  ],
  options: [
    {
      name: "role",
      type: "string",
      valueName: "ROLE",
      description: "the role to export; only root is signed offline",
      default: "root",
    },
    { name: "force", type: "boolean", description: "overwrite OUT (signatures already in it are lost)" },
  ],
  async run({ positionals, options }, ctx) {
    const { DIR: dirArg, OUT: outArg } = positionals;
    const { role } = options;
    if (role !== "root") {
      throw usage(
        `--role ${role}: only root is exported for offline signing`,
        "other roles are signed at publish, by key files or external signers",
      );
    }
    const out = path.resolve(ctx.cwd, outArg);
    if (existsSync(out) && !options.force) {
      throw new CliError(
        "FILE_EXISTS",
        `${outArg} exists; it may hold signatures`,
        EXIT.USAGE,
        "import it first with `bulwark repo import`, choose another name, or pass --force",
      );
    }
    const repoDir = await RepoDir.open(dirArg, publisherOptions(ctx));
    return repoDir.locked(async () => {
      const repo = await repoDir.load();
      const next = repo.stagedRoot();
      const previous = repo.publishedRoot();
      if (next === undefined || previous === undefined) {
        throw new CliError(
          "NO_STAGED_ROOT",
          "root has no staged change to sign",
          EXIT.USAGE,
          "change root first: `bulwark key add|revoke|rotate --role root|targets|snapshot|timestamp`, or `bulwark role threshold`",
        );
      }
      const bytes = next.signedBytes();
      await writeFileAtomic(out, next.toCanonicalLayoutBytes(bytes));
      const needs = [
        { label: "current", version: previous.signed.version, md: previous },
        { label: "new", version: next.signed.version, md: next },
      ].map(({ label, version, md }) => {
        const count = Metadata.countSignatures(md.signed.keys, md.signed.role("root"), next, bytes);
        return { root: label, version, threshold: count.threshold, signed: count.signed, unsigned: count.unsigned };
      });
      ctx.out.line(`Wrote root version ${next.signed.version} to ${out}.`);
      ctx.out.table(
        ["root", "version", "signatures", "keys that may sign"],
        needs.map((n) => [
          n.root,
          String(n.version),
          `${n.signed.length} of ${n.threshold} required`,
          n.unsigned.map((id) => id.slice(0, 12)).join(", "),
        ]),
      );
      ctx.out.line(`Next: \`bulwark sign ${outArg} --key KEYFILE\` where the root keys are.`);
      return { data: { file: out, version: next.signed.version, thresholds: needs } };
    });
  },
});
