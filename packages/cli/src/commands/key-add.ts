import path from "node:path";
import { addKey, type KeySource, type RootStatus } from "@bulwark/publisher";
import { type SignatureScheme, SUPPORTED_SCHEMES, TOP_LEVEL_ROLE_NAMES } from "@bulwark/tuf";
import { defineCommand, type OptionSpec, type OptionsOf } from "../command.js";
import { usage } from "../errors.js";
import { publisherOptions } from "../publisher-options.js";

/** The options that say where a new key comes from (shared with `key rotate`). */
export const KEY_SOURCE_OPTIONS = [
  {
    name: "scheme",
    type: "string",
    valueName: "SCHEME",
    description: `scheme of a generated key: ${Object.keys(SUPPORTED_SCHEMES).join(", ")} (default ed25519; with --public-key, the key's own)`,
  },
  {
    name: "external-command",
    type: "string",
    valueName: "CMD",
    description:
      "sign with this command (bytes on stdin, signature on stdout; see docs/external-signers.md); needs --public-key",
  },
  {
    name: "offline",
    type: "boolean",
    description:
      "root keys only: the private key is held elsewhere, its signatures come through `bulwark repo export`, `bulwark sign` and `bulwark repo import`; needs --public-key",
  },
  {
    name: "public-key",
    type: "string",
    valueName: "FILE",
    description: "the public half of an external or offline key: PEM (SubjectPublicKeyInfo) or 64 hex digits (ed25519)",
  },
  {
    name: "skip-check",
    type: "boolean",
    description: "do not have --external-command sign a probe first (it is checked by default)",
  },
] as const satisfies readonly OptionSpec[];

/** The parsed {@link KEY_SOURCE_OPTIONS}. */
export type KeySourceOptions = OptionsOf<typeof KEY_SOURCE_OPTIONS>;

/** Checks a `--scheme` value. */
export function parseScheme(scheme: string | undefined): SignatureScheme | undefined {
  if (scheme !== undefined && !Object.hasOwn(SUPPORTED_SCHEMES, scheme)) {
    throw usage(`unknown --scheme ${scheme}`, `use one of ${Object.keys(SUPPORTED_SCHEMES).join(", ")}`);
  }
  return scheme as SignatureScheme | undefined;
}

/** The key source the options describe; a generated key goes to DIR/keys/ (DIR/keys/root/ for root). */
export function keySourceFrom(
  options: KeySourceOptions,
  dir: string,
  cwd: string,
  role: string,
  defaultScheme: SignatureScheme = "ed25519",
): KeySource {
  const { externalCommand: command, offline, publicKey: publicKeyFile } = options;
  const scheme = parseScheme(options.scheme);
  if (command !== undefined && offline) throw usage("give --external-command or --offline, not both");
  if (command === undefined && !offline) {
    if (publicKeyFile !== undefined) {
      throw usage("--public-key needs --offline or --external-command", "say where the private half is");
    }
    const keys = path.join(path.resolve(cwd, dir), "keys");
    return { generate: scheme ?? defaultScheme, keyDir: role === "root" ? path.join(keys, "root") : keys };
  }
  if (publicKeyFile === undefined) {
    throw usage(
      `${offline ? "--offline" : "--external-command"} needs --public-key FILE`,
      "give the key's public half",
    );
  }
  const file = path.resolve(cwd, publicKeyFile);
  const base = { publicKeyFile: file, ...(scheme === undefined ? {} : { scheme }) };
  // Exactly one of the two by now: an offline key, or an external command.
  return command === undefined ? { offline: true, ...base } : { command, check: !options.skipCheck, ...base };
}

/**
 * Parses a whole number from 1 to `max`; `undefined` (an option not given) stays `undefined`.
 * @throws {CliError} `CLI_USAGE` otherwise.
 */
export function parseCount(value: string, what: string, max?: number): number;
export function parseCount(value: string | undefined, what: string, max?: number): number | undefined;
export function parseCount(value: string | undefined, what: string, max = 255): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw usage(`${what} must be a whole number from 1 to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Prints what to do after staging a change; `root` is set when root changed. */
export function printNextSteps(
  ctx: { out: { line(text?: string): void } },
  dirArg: string,
  root: RootStatus | undefined,
): void {
  if (root === undefined) {
    ctx.out.line(`Staged. Next: \`bulwark repo publish ${dirArg}\` signs and publishes the change.`);
    return;
  }
  const need = `${root.thresholds.previous} of the current and ${root.thresholds.next} of the new root keys`;
  ctx.out.line(`root changed (version ${root.version} staged): publish needs the root keys' signatures (${need}).`);
  if (root.signableHere) {
    ctx.out.line(`Those keys are here: \`bulwark repo publish ${dirArg}\` signs and publishes root ${root.version}.`);
  } else {
    ctx.out.line("Some root keys are offline. Sign where they are kept:");
    ctx.out.line(`  bulwark repo export ${dirArg} root-${root.version}.json`);
    ctx.out.line(`  bulwark sign root-${root.version}.json --key ROOT-KEY.pem     (once per root key)`);
    ctx.out.line(`  bulwark repo import ${dirArg} root-${root.version}.json`);
    ctx.out.line(`  bulwark repo publish ${dirArg}`);
  }
}

export default defineCommand({
  name: "key add",
  summary: "add a key to a role: generated here, an external signer, or offline",
  description: `Adds a key to ROLE and stages the change: a top-level role's keys are listed in root, so
root changes (and publishing it needs the root keys' signatures, of the current and the new
root); a delegated role's keys are listed by its delegator.

The key is generated here and written encrypted (scrypt, AES-256-GCM) to DIR/keys/ (DIR/keys/root/
for root), with the passphrase from BULWARK_PASSPHRASE_<ROLE> or BULWARK_PASSPHRASE, else a
prompt; or it is an external signer command (a KMS, an HSM, a hardware key: see
docs/external-signers.md), tried once on a probe; or, for root only, an offline key, whose
signatures come through \`bulwark repo export\`, \`bulwark sign\` and \`bulwark repo import\`
(every other role signs at publish, so its keys must be here). bulwark.json records where the key is.

Examples:
  bulwark key add ./updates --role targets
  bulwark key add ./updates --role targets --external-command ./kms-sign.sh --public-key kms.pub.pem
  bulwark key add ./updates --role root --offline --public-key yubikey-root.pub.pem --threshold 2`,
  positionals: [{ name: "DIR", description: "the repository folder" }],
  options: [
    { name: "role", type: "string", valueName: "ROLE", required: true, description: "the role the key signs" },
    ...KEY_SOURCE_OPTIONS,
    {
      name: "threshold",
      type: "string",
      valueName: "K",
      description: "also set the role's threshold (how many of its keys must sign)",
    },
  ],
  async run({ positionals, options }, ctx) {
    const dirArg = positionals.DIR;
    const { role } = options;
    const threshold = parseCount(options.threshold, "--threshold");
    const source = keySourceFrom(options, dirArg, ctx.cwd, role);
    const r = await addKey(dirArg, { role, source, threshold }, publisherOptions(ctx));
    ctx.out.line(`Added key ${r.added.keyId.slice(0, 16)} (${r.added.scheme}, ${r.added.privateKey}) to ${role}.`);
    ctx.out.line(`${role} is signed by ${r.threshold} of ${r.keys.length} key(s).`);
    printNextSteps(ctx, dirArg, r.root);
    return {
      data: {
        role,
        keyId: r.added.keyId,
        scheme: r.added.scheme,
        privateKey: r.added.privateKey,
        threshold: r.threshold,
        keys: r.keys,
        staged: r.staged,
        ...(r.root === undefined ? {} : { root: r.root }),
        topLevel: (TOP_LEVEL_ROLE_NAMES as readonly string[]).includes(role),
      },
    };
  },
});
