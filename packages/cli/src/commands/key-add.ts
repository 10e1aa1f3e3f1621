import path from "node:path";
import {
  type Repository,
  type SignatureScheme,
  SUPPORTED_SCHEMES,
  TOP_LEVEL_ROLE_NAMES,
  UsageError,
} from "@bulwark/tuf";
import { type Args, type Command, flag, type OptionSpec, str } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { type KeySource, withKeyEntry } from "../store/keystore.js";
import { RepoDir } from "../store/repo-dir.js";

/** The options that say where a new key comes from (shared with `key rotate`). */
export const KEY_SOURCE_OPTIONS: readonly OptionSpec[] = [
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
      "the private key is held elsewhere: its signatures come through `bulwark sign` and `repo import`; needs --public-key",
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
];

/** Reads `--scheme`, if given. */
export function schemeOption(a: Args): SignatureScheme | undefined {
  return parseScheme(str(a, "scheme"));
}

/** Checks a `--scheme` value. */
export function parseScheme(scheme: string | undefined): SignatureScheme | undefined {
  if (scheme !== undefined && !Object.hasOwn(SUPPORTED_SCHEMES, scheme)) {
    throw usage(`unknown --scheme ${scheme}`, `use one of ${Object.keys(SUPPORTED_SCHEMES).join(", ")}`);
  }
  return scheme as SignatureScheme | undefined;
}

/** The key source the options describe; a generated key goes to DIR/keys/ (DIR/keys/root/ for root). */
export function keySourceFrom(
  a: Args,
  repoDir: RepoDir,
  role: string,
  defaultScheme: SignatureScheme = "ed25519",
): KeySource {
  const command = str(a, "external-command");
  const offline = flag(a, "offline");
  const publicKeyFile = str(a, "public-key");
  const scheme = schemeOption(a);
  if (command !== undefined && offline) throw usage("give --external-command or --offline, not both");
  if (command === undefined && !offline) {
    if (publicKeyFile !== undefined) {
      throw usage("--public-key needs --offline or --external-command", "say where the private half is");
    }
    const keyDir = role === "root" ? path.join(repoDir.paths.keys, "root") : repoDir.paths.keys;
    return { generate: scheme ?? defaultScheme, keyDir };
  }
  if (publicKeyFile === undefined) {
    throw usage(
      `${offline ? "--offline" : "--external-command"} needs --public-key FILE`,
      "give the key's public half",
    );
  }
  const file = path.resolve(repoDir.ctx.cwd, publicKeyFile);
  const base = { publicKeyFile: file, ...(scheme === undefined ? {} : { scheme }) };
  if (offline) return { offline: true, ...base };
  return { command: command as string, check: !flag(a, "skip-check"), ...base };
}

/**
 * Parses a whole number from 1 to `max`.
 * @throws {CliError} `CLI_USAGE` otherwise.
 */
export function parseCount(value: string | undefined, what: string, max = 255): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw usage(`${what} must be a whole number from 1 to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * The key IDs and threshold of `role`.
 * @throws {CliError} `UNKNOWN_ROLE` when the repository has no such role.
 */
export function keysOfRole(repo: Repository, role: string): { keyids: readonly string[]; threshold: number } {
  try {
    return repo.roleKeys(role);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new CliError(
      "UNKNOWN_ROLE",
      `the repository has no role ${JSON.stringify(role)}`,
      EXIT.USAGE,
      "`bulwark key list DIR` shows the roles and their keys",
      { cause: error },
    );
  }
}

/**
 * Sets a role's threshold after checking it against the role's keys, and marks the role
 * for signing again (timestamp and root are signed again at every publish that changes them).
 * @throws {CliError} `BAD_THRESHOLD` when the role has fewer keys.
 */
export function setThreshold(repo: Repository, role: string, threshold: number): void {
  const { keyids } = keysOfRole(repo, role);
  if (threshold > keyids.length) {
    throw new CliError(
      "BAD_THRESHOLD",
      `${role} has ${keyids.length} key(s): a threshold of ${threshold} could never be met`,
      EXIT.USAGE,
      `add keys first with \`bulwark key add DIR --role ${role}\``,
    );
  }
  repo.setThreshold(role, threshold);
  // The role's current signatures may no longer meet the threshold: sign it again at publish.
  if (role === "snapshot") repo.resignSnapshot();
  else if (role !== "root" && role !== "timestamp") repo.touch(role);
}

/** What a staged root change still needs, for the "what next" line. */
export interface RootStatus {
  readonly version: number;
  /** Root signatures needed from the previous and the new root's keys. */
  readonly thresholds: { readonly previous: number; readonly next: number };
  /** Whether the keys available here (not offline) meet both thresholds. */
  readonly signableHere: boolean;
}

/** The staged root's needs, or undefined when root has not changed. */
export function rootStatus(repoDir: RepoDir, repo: Repository): RootStatus | undefined {
  const next = repo.stagedRoot();
  const published = repo.publishedRoot();
  if (next === undefined || published === undefined) return undefined;
  const previous = published.signed.role("root");
  const here = new Set(repoDir.config.keys.filter((e) => !("offline" in e)).map((e) => e.id));
  // Signatures imported so far count as available.
  for (const id of next.signatures.keys()) here.add(id);
  const role = next.signed.role("root");
  const meets = (r: { keyids: readonly string[]; threshold: number }) =>
    new Set(r.keyids.filter((id) => here.has(id))).size >= r.threshold;
  return {
    version: next.signed.version,
    thresholds: { previous: previous.threshold, next: role.threshold },
    signableHere: meets(previous) && meets(role),
  };
}

/** Prints what to do after staging a change, and returns the root status for `--json`. */
export function printNextSteps(
  ctx: { out: { line(text?: string): void } },
  dirArg: string,
  repoDir: RepoDir,
  repo: Repository,
): RootStatus | undefined {
  const root = rootStatus(repoDir, repo);
  if (root === undefined) {
    ctx.out.line(`Staged. Next: \`bulwark repo publish ${dirArg}\` signs and publishes the change.`);
    return undefined;
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
  return root;
}

/** Where a key's private half is, for people: a file, a command, offline, or not here. */
export function privateHalf(repoDir: RepoDir, keyId: string): string {
  const entry = repoDir.config.keys.find((e) => e.id === keyId);
  if (entry === undefined) return "not here";
  if ("file" in entry) return entry.file;
  if ("command" in entry) return `command: ${entry.command.split(/\s+/)[0] ?? ""}`;
  return "offline";
}

const command: Command = {
  name: "key add",
  summary: "add a key to a role: generated here, an external signer, or offline",
  description: `Adds a key to ROLE and stages the change: a top-level role's keys are listed in root, so
root changes (and publishing it needs the root keys' signatures, of the current and the new
root); a delegated role's keys are listed by its delegator.

The key is generated here and written encrypted (PKCS#8, AES-256) to DIR/keys/ (DIR/keys/root/
for root), with the passphrase from BULWARK_PASSPHRASE_<ROLE> or BULWARK_PASSPHRASE, else a
prompt; or it is an external signer command (a KMS, an HSM, a hardware key: see
docs/external-signers.md), tried once on a probe; or an offline key, whose signatures come
through \`bulwark sign\` and \`bulwark repo import\`. bulwark.json records where the key is.

Examples:
  bulwark key add ./updates --role targets
  bulwark key add ./updates --role targets --external-command ./kms-sign.sh --public-key kms.pub.pem
  bulwark key add ./updates --role root --offline --public-key yubikey-root.pub.pem --threshold 2`,
  positionals: [{ name: "DIR", description: "the repository folder" }],
  options: [
    { name: "role", type: "string", valueName: "ROLE", description: "the role the key signs (required)" },
    ...KEY_SOURCE_OPTIONS,
    {
      name: "threshold",
      type: "string",
      valueName: "K",
      description: "also set the role's threshold (how many of its keys must sign)",
    },
  ],
  async run(a, ctx) {
    const dirArg = a.positionals.DIR as string;
    const role = str(a, "role");
    if (role === undefined) throw usage("--role is required", "e.g. --role targets");
    const threshold = parseCount(str(a, "threshold"), "--threshold");
    const repoDir = await RepoDir.open(dirArg, ctx);
    return repoDir.locked(async () => {
      const repo = await repoDir.load();
      const before = keysOfRole(repo, role);
      if (threshold !== undefined && threshold > before.keyids.length + 1) {
        throw usage(`--threshold ${threshold} is more than the ${before.keyids.length + 1} key(s) ${role} will have`);
      }
      const source = keySourceFrom(a, repoDir, role);
      const keys = repoDir.keyStore(() => repo);
      const key = await keys.createKey(role, source);
      if (before.keyids.includes(key.keyId)) {
        throw new CliError("KEY_IN_ROLE", `key ${key.keyId.slice(0, 12)} already signs ${role}`, EXIT.USAGE);
      }
      repo.addKey(role, key);
      if (threshold !== undefined) setThreshold(repo, role, threshold);
      // The key (file or entry) is recorded before metadata lists it, so a staged key always has one.
      await repoDir.saveConfig({ ...repoDir.config, keys: withKeyEntry(repoDir.config.keys, key.entry) });
      const staged = await repoDir.stage(repo);
      const after = keysOfRole(repo, role);
      const where = privateHalf(repoDir, key.keyId);
      ctx.out.line(`Added key ${key.keyId.slice(0, 16)} (${key.publicKey.scheme}, ${where}) to ${role}.`);
      ctx.out.line(`${role} is signed by ${after.threshold} of ${after.keyids.length} key(s).`);
      const root = printNextSteps(ctx, dirArg, repoDir, repo);
      return {
        data: {
          role,
          keyId: key.keyId,
          scheme: key.publicKey.scheme,
          privateKey: where,
          threshold: after.threshold,
          keys: after.keyids,
          staged,
          ...(root === undefined ? {} : { root }),
          topLevel: (TOP_LEVEL_ROLE_NAMES as readonly string[]).includes(role),
        },
      };
    });
  },
};

export default command;
