import path from "node:path";
import { delegateRole } from "@bulwark/publisher";
import { defineCommand } from "../command.js";
import { usage } from "../errors.js";
import { publisherOptions } from "../publisher-options.js";
import { parseCount, parseScheme, printNextSteps } from "./key-add.js";

export default defineCommand({
  name: "role delegate",
  summary: "delegate target paths to a new role with new or given keys",
  description: `Delegates the target paths matching --paths from --delegator (default targets) to a new
targets role NAME, signed by --threshold of its keys, and stages the change; the next publish
signs the delegator and the new, empty role. Patterns are shell-style (*, ?, [seq], [!seq])
and never cross a "/": "plugins/*" matches plugins/a.tgz, not plugins/x/a.tgz.

The keys are generated here (--key-count, written encrypted to DIR/keys/, passphrase from
BULWARK_PASSPHRASE_<NAME> or BULWARK_PASSPHRASE, else a prompt), or given as public keys
(--public-key, repeatable), held elsewhere: listed in metadata, with no entry in bulwark.json.
The role's metadata must be signed to be published: for a role whose keys are held elsewhere,
make a signer available first (an external signer "command" entry for the key in
bulwark.json; see docs/external-signers.md).

With --terminating, a lookup that reaches NAME for a path it is trusted for stops there.

Examples:
  bulwark role delegate ./updates plugins --paths "plugins/*" --key-count 2 --threshold 2
  bulwark role delegate ./updates partner --paths "partner/*" --public-key partner.pub.pem`,
  positionals: [
    { name: "DIR", description: "the repository folder" },
    { name: "NAME", description: "the new role's name (letters, digits, '.', '_', '-')" },
  ],
  options: [
    {
      name: "paths",
      type: "string",
      multiple: true,
      valueName: "PATTERN",
      description: "target path pattern the role is trusted for (repeatable; at least one)",
    },
    {
      name: "key-count",
      type: "string",
      valueName: "N",
      description: "generate N new keys for the role (default 1 unless --public-key is given)",
    },
    {
      name: "public-key",
      type: "string",
      multiple: true,
      valueName: "FILE",
      description: "a public key (PEM or hex ed25519) whose private half is held elsewhere (repeatable)",
    },
    { name: "threshold", type: "string", valueName: "K", description: "keys that must sign the role", default: "1" },
    { name: "terminating", type: "boolean", description: "stop the lookup at this role for its paths" },
    {
      name: "delegator",
      type: "string",
      valueName: "ROLE",
      description: "the targets role that delegates",
      default: "targets",
    },
    {
      name: "scheme",
      type: "string",
      valueName: "SCHEME",
      description: "scheme of generated keys (default ed25519)",
    },
  ],
  async run({ positionals, options }, ctx) {
    const { DIR: dirArg, NAME: name } = positionals;
    const { paths, delegator, terminating, publicKey: publicKeys, keyCount: keyCountText } = options;
    if (paths.length === 0 || paths.some((p) => p === "")) {
      throw usage("give at least one --paths PATTERN", 'e.g. --paths "plugins/*"');
    }
    if (publicKeys.length > 0 && keyCountText !== undefined) throw usage("give --key-count or --public-key, not both");
    const keyCount = publicKeys.length > 0 ? publicKeys.length : (parseCount(keyCountText, "--key-count", 32) ?? 1);
    const threshold = parseCount(options.threshold, "--threshold");
    const r = await delegateRole(
      dirArg,
      {
        name,
        delegator,
        paths,
        threshold,
        terminating,
        keys:
          publicKeys.length > 0
            ? { publicKeyFiles: publicKeys.map((f) => path.resolve(ctx.cwd, f)) }
            : { generate: parseScheme(options.scheme) ?? "ed25519", count: keyCount },
      },
      publisherOptions(ctx),
    );
    ctx.out.line(
      `Delegated ${paths.join(" ")} from ${delegator} to ${name}, signed by ${threshold} of ${r.keys.length} key(s)` +
        `${terminating ? " (terminating)" : ""}.`,
    );
    ctx.out.table(
      ["key ID", "type", "private key"],
      r.keys.map((k) => [k.id.slice(0, 16), k.scheme, k.file ?? "held elsewhere"]),
    );
    if (r.heldElsewhere) {
      ctx.out.line(
        `${name}'s keys are held elsewhere: publishing needs ${threshold} of them to sign ${name}. Give bulwark a signer for them first`,
      );
      ctx.out.line(
        '(add {"id": …, "roles": ["' +
          name +
          '"], "scheme": …, "command": "…"} to "keys" in bulwark.json; see docs/external-signers.md).',
      );
    }
    printNextSteps(ctx, dirArg, r.root);
    return { data: { role: name, delegator, paths, threshold, terminating, keys: r.keys, staged: r.staged } };
  },
});
