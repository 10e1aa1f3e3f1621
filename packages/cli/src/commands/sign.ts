import { promises as fs } from "node:fs";
import path from "node:path";
import { type Key, Metadata, type Root, readFileIfExists, type Signer, writeFileAtomic } from "@bulwark/tuf";
import { defineCommand } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { readPrivateKeyFile } from "../key-file.js";
import { cliPassphrases } from "../publisher-options.js";
import { parseScheme } from "./key-add.js";

/** The same public key, whatever its encoding in metadata. */
function sameKey(a: Key, b: Key): boolean {
  try {
    const der = (k: Key) => k.publicKey().export({ format: "der", type: "spki" });
    return der(a).equals(der(b));
  } catch {
    return false; // a key this build cannot use is no match
  }
}

/** The root keys (key ID and key) that `roots` list for the root role, newest root first. */
function rootKeys(roots: readonly Root[]): Array<{ keyId: string; key: Key; version: number }> {
  return roots.flatMap((root) =>
    root.role("root").keyids.flatMap((keyId) => {
      const key = root.keys.get(keyId);
      return key === undefined ? [] : [{ keyId, key, version: root.version }];
    }),
  );
}

async function readMetadata(file: string, what: string): Promise<Metadata> {
  const bytes = await readFileIfExists(file);
  if (bytes === undefined) throw new CliError("NO_SUCH_FILE", `${what} ${file} does not exist`, EXIT.USAGE);
  return Metadata.fromBytes(bytes);
}

export default defineCommand({
  name: "sign",
  summary: "sign a metadata file with a key file, in place (offline root signing)",
  description: `Signs the \`signed\` part of FILE (as written by \`bulwark repo export\`) with the private
key in KEYFILE and adds the signature to FILE; \`signed\` itself never changes. Runs anywhere,
without the repository: on the machine where a root key is kept.

KEYFILE is a key file as \`bulwark repo init\` writes it (or any PKCS#8 PEM); an encrypted one is opened with the
passphrase from BULWARK_PASSPHRASE_ROOT (BULWARK_PASSPHRASE_<TYPE> for other metadata) or
BULWARK_PASSPHRASE, else a prompt. The key must be one that FILE's root lists for the root
role, or one the current root lists when it is given with --previous-root (a key being
rotated out); anything else is refused unless --force. The scheme follows from the key.

With --json, prints the key ID and the signature.

Example:
  bulwark sign /media/usb/root-3.json --key /media/usb/root-9c1e2f.pem`,
  positionals: [{ name: "FILE", description: "the metadata file to sign (changed in place)" }],
  options: [
    { name: "key", type: "string", valueName: "KEYFILE", required: true, description: "the private key file" },
    {
      name: "scheme",
      type: "string",
      valueName: "SCHEME",
      description: "the key's signature scheme when the metadata does not list the key (default: from the key)",
    },
    {
      name: "previous-root",
      type: "string",
      valueName: "FILE",
      description: "the current root (DIR/public/metadata/root.json), whose root keys may sign too",
    },
    {
      name: "force",
      type: "boolean",
      description: "sign even when the metadata does not list the key (the signature is then of no use to it)",
    },
  ],
  async run({ positionals, options }, ctx) {
    const { key: keyFile, previousRoot: previousFile } = options;
    const file = path.resolve(ctx.cwd, positionals.FILE);
    const md = await readMetadata(file, "the metadata file");
    const roots: Root[] = [];
    if (md.signed.type === "root") roots.push(md.signed as Root);
    if (previousFile !== undefined) {
      const previous = await readMetadata(path.resolve(ctx.cwd, previousFile), "--previous-root");
      if (previous.signed.type !== "root") throw usage(`--previous-root ${previousFile} is not root metadata`);
      roots.push(previous.signed as Root);
    }
    const passphrases = cliPassphrases(ctx);
    const signer = await readPrivateKeyFile(
      path.resolve(ctx.cwd, keyFile),
      () => passphrases.get(md.signed.type),
      parseScheme(options.scheme),
    );
    const listed = rootKeys(roots).find((k) => sameKey(k.key, signer.publicKey));
    if (listed === undefined && !options.force) {
      throw new CliError(
        "NOT_A_SIGNING_KEY",
        md.signed.type === "root"
          ? `${keyFile} is not a root key of root version ${md.signed.version}${previousFile === undefined ? "" : ` or of the root given with --previous-root`}`
          : `${md.signed.type} metadata does not list its own keys, so this key cannot be checked`,
        EXIT.USAGE,
        md.signed.type === "root" && previousFile === undefined
          ? "a key being rotated out is listed by the current root: add --previous-root DIR/public/metadata/root.json"
          : "check the key file; --force signs anyway",
      );
    }
    if (listed !== undefined && listed.key.scheme !== signer.scheme) {
      throw new CliError(
        "SCHEME_MISMATCH",
        `root lists this key with scheme ${listed.key.scheme}, not ${signer.scheme}`,
        EXIT.USAGE,
        `pass --scheme ${listed.key.scheme}`,
      );
    }
    // Signed under the key ID the metadata lists, so the signature counts there.
    const keySigner: Signer =
      listed === undefined ? signer : { keyId: listed.keyId, publicKey: listed.key, sign: (data) => signer.sign(data) };
    const signedBefore = md.signedBytes();
    const sig = await md.sign(keySigner, { signedBytes: signedBefore });
    const out = md.toCanonicalLayoutBytes(signedBefore);
    // Never change `signed`: what is written must read back to the same canonical bytes.
    if (!Metadata.fromBytes(out).signedBytes().equals(signedBefore)) {
      throw new CliError("SIGNED_CHANGED", "refusing to write: the signed part would change", EXIT.FAILURE);
    }
    const mode = (await fs.stat(file)).mode & 0o777;
    await writeFileAtomic(file, out);
    await fs.chmod(file, mode);
    const counts =
      md.signed.type === "root"
        ? Metadata.countSignatures((md.signed as Root).keys, (md.signed as Root).role("root"), md, signedBefore)
        : undefined;
    ctx.out.line(
      `Signed ${positionals.FILE} (${md.signed.type} version ${md.signed.version}) with key ${sig.keyid.slice(0, 16)}.`,
    );
    if (counts !== undefined) {
      ctx.out.line(
        `It now has ${counts.signed.length} of the ${counts.threshold} signatures the new root's keys must give` +
          " (the current root's threshold is checked by `bulwark repo import`).",
      );
    }
    return {
      data: {
        file,
        type: md.signed.type,
        version: md.signed.version,
        keyId: sig.keyid,
        scheme: signer.scheme,
        signature: sig.sig,
        ...(counts === undefined ? {} : { rootSignatures: counts.signed.length, rootThreshold: counts.threshold }),
      },
    };
  },
});
