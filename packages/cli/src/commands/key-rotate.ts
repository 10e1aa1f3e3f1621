import { type SignatureScheme, SUPPORTED_SCHEMES } from "@bulwark/tuf";
import { type Command, str } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { withKeyEntry } from "../store/keystore.js";
import { RepoDir } from "../store/repo-dir.js";
import { KEY_SOURCE_OPTIONS, keySourceFrom, keysOfRole, printNextSteps, privateHalf } from "./key-add.js";
import { keyFileNote, resolveKeyId, revokeKey } from "./key-revoke.js";

const command: Command = {
  name: "key rotate",
  summary: "replace a role's key with a new one, in one staged change",
  description: `Adds a new key to ROLE and revokes KEYID (a prefix is enough; it may be left out when
ROLE has one key), as one staged change: the threshold holds throughout. The new key comes
from the same options as \`bulwark key add\`: generated here (the old key's scheme unless
--scheme says otherwise), an external signer command, or an offline public key.

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
    { name: "role", type: "string", valueName: "ROLE", description: "the role whose key is replaced (required)" },
    ...KEY_SOURCE_OPTIONS,
  ],
  async run(a, ctx) {
    const dirArg = a.positionals.DIR as string;
    const role = str(a, "role");
    if (role === undefined) throw usage("--role is required", "e.g. --role timestamp");
    const repoDir = await RepoDir.open(dirArg, ctx);
    return repoDir.locked(async () => {
      const repo = await repoDir.load();
      const { keyids } = keysOfRole(repo, role);
      const prefix = a.positionals.KEYID as string | undefined;
      if (prefix === undefined && keyids.length !== 1) {
        throw new CliError(
          "WHICH_KEY",
          `${role} has ${keyids.length} keys: name the one to replace (${keyids.map((id) => id.slice(0, 12)).join(", ")})`,
          EXIT.USAGE,
        );
      }
      const oldId = resolveKeyId(keyids, prefix ?? (keyids[0] as string), role);
      const oldScheme = repo.publicKey(oldId)?.scheme;
      const keepScheme =
        oldScheme !== undefined && Object.hasOwn(SUPPORTED_SCHEMES, oldScheme)
          ? (oldScheme as SignatureScheme)
          : undefined;
      const source = keySourceFrom(a, repoDir, role, keepScheme);
      const key = await repoDir.keyStore(() => repo).createKey(role, source);
      if (keyids.includes(key.keyId)) {
        throw new CliError("KEY_IN_ROLE", `key ${key.keyId.slice(0, 12)} already signs ${role}`, EXIT.USAGE);
      }
      repo.addKey(role, key);
      const revoked = revokeKey(repo, withKeyEntry(repoDir.config.keys, key.entry), role, oldId);
      // The new key is recorded before metadata lists it; the old one keeps its entry while needed.
      await repoDir.saveConfig({ ...repoDir.config, keys: withKeyEntry(repoDir.config.keys, key.entry) });
      const staged = await repoDir.stage(repo);
      await repoDir.saveConfig({ ...repoDir.config, keys: revoked.entries });
      const after = keysOfRole(repo, role);
      const where = privateHalf(repoDir, key.keyId);
      ctx.out.line(
        `Rotated ${role}: key ${oldId.slice(0, 16)} replaced by ${key.keyId.slice(0, 16)} (${key.publicKey.scheme}, ${where}).`,
      );
      const note = keyFileNote(role, revoked.file, repo.stagedRoot()?.signed.version);
      if (note !== undefined) ctx.out.line(note);
      const root = printNextSteps(ctx, dirArg, repoDir, repo);
      return {
        data: {
          role,
          revoked: oldId,
          added: key.keyId,
          scheme: key.publicKey.scheme,
          privateKey: where,
          keys: after.keyids,
          threshold: after.threshold,
          staged,
          ...(root === undefined ? {} : { root }),
        },
      };
    });
  },
};

export default command;
