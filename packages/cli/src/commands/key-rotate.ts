import { rotateKey } from "@bulwark/publisher";
import { defineCommand } from "../command.js";
import { publisherOptions } from "../publisher-options.js";
import { KEY_SOURCE_OPTIONS, keySourceFrom, printNextSteps } from "./key-add.js";
import { keyFileNote } from "./key-revoke.js";

export default defineCommand({
  name: "key rotate",
  summary: "replace a role's key with a new one, in one staged change",
  description: `Adds a new key to ROLE and revokes KEYID (a prefix is enough; it may be left out when
ROLE has one key), as one staged change: the threshold holds throughout. The new key comes
from the same options as \`bulwark key add\`: generated here (the old key's scheme unless
--scheme says otherwise), an external signer command, or an offline public key (root only).

A top-level role's rotation changes root: publishing it needs the signatures of the current
root keys and of the new ones. The old key's file is kept (a revoked root key may still have
to sign the rotation); destroy it once the change is published.

Examples:
  bulwark key rotate ./updates --role timestamp
  bulwark key rotate ./updates --role root 9c1e --offline --public-key new-root.pub.pem`,
  positionals: [
    { name: "DIR", description: "the repository folder" },
    {
      name: "KEYID",
      description: "the key to replace (a prefix is enough; optional when ROLE has one key)",
      required: false,
    },
  ],
  options: [
    { name: "role", type: "string", valueName: "ROLE", required: true, description: "the role whose key is replaced" },
    ...KEY_SOURCE_OPTIONS,
  ],
  async run({ positionals, options }, ctx) {
    const dirArg = positionals.DIR;
    const { role } = options;
    const r = await rotateKey(
      dirArg,
      {
        role,
        keyId: positionals.KEYID,
        source: (oldScheme) => keySourceFrom(options, dirArg, ctx.cwd, role, oldScheme),
      },
      publisherOptions(ctx),
    );
    ctx.out.line(
      `Rotated ${role}: key ${r.revoked.slice(0, 16)} replaced by ${r.added.keyId.slice(0, 16)} (${r.added.scheme}, ${r.added.privateKey}).`,
    );
    const note = keyFileNote(role, r.keyFile, r.rootVersion);
    if (note !== undefined) ctx.out.line(note);
    printNextSteps(ctx, dirArg, r.root);
    return {
      data: {
        role,
        revoked: r.revoked,
        added: r.added.keyId,
        scheme: r.added.scheme,
        privateKey: r.added.privateKey,
        keys: r.keys,
        threshold: r.threshold,
        staged: r.staged,
        ...(r.root === undefined ? {} : { root: r.root }),
      },
    };
  },
});
