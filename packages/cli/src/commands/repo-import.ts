import path from "node:path";
import { importRootSignatures } from "@bulwark/publisher";
import { readFileIfExists } from "@bulwark/tuf";
import { defineCommand } from "../command.js";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { publisherOptions } from "../publisher-options.js";

export default defineCommand({
  name: "repo import",
  summary: "merge offline root signatures into the staged root",
  description: `Reads FILE (a root exported with \`bulwark repo export\` and signed with \`bulwark sign\`),
checks that its \`signed\` part is byte for byte (as canonical JSON) the staged next root, and
adds its signatures to the staged root. Each signature must verify with a root key of the
current or the new root: a signature that does not is refused, with nothing imported; a
signature by any other key is ignored with a warning. Then tells how many of the current and
the new root's thresholds are met, counting root keys that are here (not offline), which sign
at publish; when both can be met, \`bulwark repo publish DIR\` publishes.

Any later change to root drops the collected signatures: export and sign again.

Example:
  bulwark repo import ./updates /media/usb/root-3.json`,
  positionals: [
    { name: "DIR", description: "the repository folder" },
    { name: "FILE", description: "the signed root file" },
  ],
  options: [],
  async run({ positionals }, ctx) {
    const { DIR: dirArg, FILE: fileArg } = positionals;
    const bytes = await readFileIfExists(path.resolve(ctx.cwd, fileArg));
    if (bytes === undefined) throw new CliError("NO_SUCH_FILE", `${fileArg} does not exist`, EXIT.USAGE);
    const r = await importRootSignatures(dirArg, bytes, fileArg, publisherOptions(ctx));
    for (const id of r.ignored) ctx.out.warn(`ignored a signature by ${id.slice(0, 12)}, which is not a root key here`);
    ctx.out.line(`Imported ${r.imported.length} signature(s) into root version ${r.version}.`);
    ctx.out.table(
      ["root", "version", "signatures", "met"],
      r.thresholds.map((s) => {
        const missing = s.threshold - s.signed.length;
        const offline = s.unsigned.filter((id) => !s.signedHereAtPublish.includes(id));
        return [
          s.root,
          String(s.version),
          `${s.signed.length} of ${s.threshold} required`,
          missing <= 0
            ? "yes"
            : s.met
              ? `yes, with ${missing} key(s) here at publish`
              : `no: sign with ${missing - s.signedHereAtPublish.length} more of ${offline.map((id) => id.slice(0, 12)).join(", ")}`,
        ];
      }),
    );
    ctx.out.line(
      r.ready
        ? `Both thresholds can be met: \`bulwark repo publish ${dirArg}\` publishes root version ${r.version}.`
        : `Sign ${fileArg} with more root keys (\`bulwark sign\`), then import it again.`,
    );
    return {
      data: {
        version: r.version,
        imported: r.imported,
        ignored: r.ignored,
        ready: r.ready,
        thresholds: r.thresholds.map(({ root, version, threshold, signed, met, signedHereAtPublish }) => ({
          root,
          version,
          signedHereAtPublish,
          threshold,
          signed,
          met,
        })),
      },
    };
  },
});
