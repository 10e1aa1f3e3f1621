import path from "node:path";
import { reencryptKeyFiles } from "@bulwark/publisher";
import { defineCommand } from "../command.js";
import { usage } from "../errors.js";
import { publisherOptions } from "../publisher-options.js";

export default defineCommand({
  name: "key reencrypt",
  summary: "upgrade key files to the current encryption (scrypt, AES-256-GCM), in place",
  description: `Rewrites older key files in the current format: the key encrypted with AES-256-GCM under
a key scrypt derives from its passphrase, the cost recorded in the file (docs/adr/0012-key-files-at-rest.md). Files
written before it (OpenSSL's encrypted PKCS#8, PBKDF2 with 2,048 iterations) still open, but
a stolen one is far cheaper to attack; a key found in clear is encrypted with a new passphrase.

DIR is a repository folder (every key file bulwark.json lists, and its release log's key), a
log folder or a witness folder; --key adds other key files, such as a builder's key or a root
key kept apart, opened with --role's passphrase. Each key's passphrase comes from
BULWARK_PASSPHRASE_<ROLE> or BULWARK_PASSPHRASE, else a prompt, and stays the same. Each file
is replaced atomically (written, fsynced, renamed) only after the new one opened to the same
key; files already in the current format are left alone, so running it again changes nothing.

Examples:
  bulwark key reencrypt ./updates
  bulwark key reencrypt --key ~/.bulwark/builder.pem --role builder`,
  positionals: [{ name: "DIR", required: false, description: "a repository, log or witness folder" }],
  options: [
    {
      name: "key",
      type: "string",
      multiple: true,
      valueName: "FILE",
      description: "another key file to upgrade (repeatable)",
    },
    {
      name: "role",
      type: "string",
      valueName: "ROLE",
      default: "builder",
      description: "whose passphrase opens the --key files: builder (default), root, targets, log, …",
    },
  ],
  async run({ positionals, options }, ctx) {
    const dir = positionals.DIR;
    if (dir === undefined && options.key.length === 0) {
      throw usage("name a folder, or key files with --key", "e.g. bulwark key reencrypt ./updates");
    }
    const files = options.key.map((file) => ({ file, role: options.role }));
    const results = await reencryptKeyFiles({ ...(dir === undefined ? {} : { dir }), files }, publisherOptions(ctx));
    for (const r of results) {
      const shown = path.relative(ctx.cwd, r.file) || r.file;
      ctx.out.line(
        r.status === "upgraded"
          ? `upgraded  ${shown} (${r.role}; was ${r.format})`
          : `current   ${shown} (${r.role}; already scrypt and AES-256-GCM)`,
      );
    }
    const upgraded = results.filter((r) => r.status === "upgraded").length;
    ctx.out.line(`${upgraded} upgraded, ${results.length - upgraded} already current.`);
    return { data: { upgraded, files: results } };
  },
});
