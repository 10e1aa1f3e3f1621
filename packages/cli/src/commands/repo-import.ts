import path from "node:path";
import { Metadata, MetadataFormatError, type Root, readFileIfExists } from "@bulwark/tuf";
import type { Command } from "../command.js";
import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { RepoDir } from "../store/repo-dir.js";

const command: Command = {
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
  async run(a, ctx) {
    const dirArg = a.positionals.DIR as string;
    const fileArg = a.positionals.FILE as string;
    const bytes = await readFileIfExists(path.resolve(ctx.cwd, fileArg));
    if (bytes === undefined) throw new CliError("NO_SUCH_FILE", `${fileArg} does not exist`, EXIT.USAGE);
    let signedFile: Metadata<Root>;
    try {
      signedFile = Metadata.fromBytes(bytes, "root");
    } catch (cause) {
      if (!(cause instanceof MetadataFormatError)) throw cause;
      throw new CliError(
        "BAD_ROOT_FILE",
        `${fileArg} is not root metadata: ${cause.message}`,
        EXIT.FAILURE,
        undefined,
        {
          cause,
        },
      );
    }
    const repoDir = await RepoDir.open(dirArg, ctx);
    return repoDir.locked(async () => {
      const repo = await repoDir.load();
      const next = repo.stagedRoot();
      const previous = repo.publishedRoot();
      if (next === undefined || previous === undefined) {
        throw new CliError(
          "NO_STAGED_ROOT",
          "root has no staged change to import signatures into",
          EXIT.USAGE,
          "it may be published already (`bulwark key list` shows the current root)",
        );
      }
      const signedBytes = next.signedBytes();
      // The signatures must be over exactly the staged root: the same canonical bytes.
      if (!signedFile.signedBytes().equals(signedBytes)) {
        throw new CliError(
          "ROOT_MISMATCH",
          `${fileArg} (root version ${signedFile.signed.version}) is not the staged root version ${next.signed.version}: its signed part differs`,
          EXIT.FAILURE,
          "root changed after it was exported: export it again and sign the new file",
        );
      }
      const rootKeyIds = new Set([...previous.signed.role("root").keyids, ...next.signed.role("root").keyids]);
      const added: string[] = [];
      const ignored: string[] = [];
      for (const [keyId, sig] of signedFile.signatures) {
        const key = next.signed.keys.get(keyId) ?? previous.signed.keys.get(keyId);
        if (key === undefined || !rootKeyIds.has(keyId)) {
          ignored.push(keyId);
          continue;
        }
        if (!key.verify(signedBytes, sig.sig)) {
          throw new CliError(
            "BAD_SIGNATURE",
            `the signature by root key ${keyId.slice(0, 12)} in ${fileArg} does not verify; nothing was imported`,
            EXIT.FAILURE,
            "the file was changed after signing, or signed with another key under this key ID: sign it again",
          );
        }
        if (next.signatures.get(keyId)?.sig !== sig.sig) added.push(keyId);
        next.signatures.set(keyId, sig);
      }
      for (const id of ignored) ctx.out.warn(`ignored a signature by ${id.slice(0, 12)}, which is not a root key here`);
      await repoDir.stage(repo);
      // Root keys whose private half is here sign at publish; offline ones only through import.
      const here = new Set(repoDir.config.keys.filter((e) => !("offline" in e)).map((e) => e.id));
      const status = [
        { root: "current", md: previous },
        { root: "new", md: next },
      ].map(({ root, md }) => {
        const count = Metadata.countSignatures(md.signed.keys, md.signed.role("root"), next, signedBytes);
        const atPublish = count.unsigned.filter((id) => here.has(id));
        return {
          root,
          version: md.signed.version,
          threshold: count.threshold,
          signed: count.signed,
          unsigned: count.unsigned,
          met: count.signed.length + atPublish.length >= count.threshold,
          signedHereAtPublish: atPublish,
        };
      });
      const ready = status.every((s) => s.met);
      ctx.out.line(`Imported ${added.length} signature(s) into root version ${next.signed.version}.`);
      ctx.out.table(
        ["root", "version", "signatures", "met"],
        status.map((s) => {
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
        ready
          ? `Both thresholds can be met: \`bulwark repo publish ${dirArg}\` publishes root version ${next.signed.version}.`
          : `Sign ${fileArg} with more root keys (\`bulwark sign\`), then import it again.`,
      );
      return {
        data: {
          version: next.signed.version,
          imported: added,
          ignored,
          ready,
          thresholds: status.map(({ root, version, threshold, signed, met, signedHereAtPublish }) => ({
            root,
            version,
            signedHereAtPublish,
            threshold,
            signed,
            met,
          })),
        },
      };
    });
  },
};

export default command;
