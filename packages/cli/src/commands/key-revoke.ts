import { revokeKey } from "@bulwark/publisher";
import { defineCommand } from "../command.js";
import { publisherOptions } from "../publisher-options.js";
import { printNextSteps } from "./key-add.js";

export { resolveKeyId } from "@bulwark/publisher";

/** Says what happens to a revoked key's file, which is never deleted here. */
export function keyFileNote(role: string, file: string | undefined, version: number | undefined): string | undefined {
  if (file === undefined) return undefined;
  if (role === "root") {
    return `Keep ${file} until root version ${version ?? "?"} is published: the current root's signatures may need it. Destroy it afterwards.`;
  }
  return `${file} no longer signs ${role}. Destroy it once the change is published, unless it signs other roles.`;
}

export default defineCommand({
  name: "key revoke",
  summary: "remove a key from a role (a prefix of the key ID is enough)",
  description: `Removes KEYID from ROLE and stages the change; once published, clients no longer count
the key's signatures for ROLE. A revocation that would leave fewer keys than the role's
threshold is refused: add the replacement first (\`bulwark key rotate\` does both) or lower
the threshold.

Revoking a top-level role's key changes root, which the current root keys must sign. A
revoked root key stays in bulwark.json (with no roles) and its file is kept, because the
rotation that removes it must still carry the current root's threshold of signatures; remove
the entry and destroy the file once the new root is published. Key files are never deleted.

Example:
  bulwark key revoke ./updates --role targets 3f2a9c`,
  positionals: [
    { name: "DIR", description: "the repository folder" },
    { name: "KEYID", description: "the key ID, or an unambiguous prefix of it" },
  ],
  options: [
    { name: "role", type: "string", valueName: "ROLE", required: true, description: "the role to take the key off" },
  ],
  async run({ positionals, options }, ctx) {
    const dirArg = positionals.DIR;
    const { role } = options;
    const r = await revokeKey(dirArg, { role, keyId: positionals.KEYID }, publisherOptions(ctx));
    ctx.out.line(`Revoked key ${r.revoked.slice(0, 16)} from ${role}: ${r.threshold} of ${r.keys.length} key(s) left.`);
    const note = keyFileNote(role, r.keyFile, r.rootVersion);
    if (note !== undefined) ctx.out.line(note);
    printNextSteps(ctx, dirArg, r.root);
    return {
      data: {
        role,
        revoked: r.revoked,
        keys: r.keys,
        threshold: r.threshold,
        keyFile: r.keyFile ?? null,
        staged: r.staged,
        ...(r.root === undefined ? {} : { root: r.root }),
      },
    };
  },
});
