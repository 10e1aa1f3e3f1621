import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import {
  PrivateKeySigner,
  Repository,
  type SignatureScheme,
  SUPPORTED_SCHEMES,
  TOP_LEVEL_ROLE_NAMES,
  type TopLevelRoleName,
  writeRepositoryFiles,
} from "@bulwark/tuf";
import { type Command, flag, list, str } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { DEFAULT_CONFIG, type KeyEntry, type RepoConfig } from "../store/config.js";
import { describeRemaining, parseDuration } from "../store/duration.js";
import { writeKeyFile } from "../store/keystore.js";
import { RepoDir } from "../store/repo-dir.js";

function count(value: string | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > 32)
    throw usage(`${what} must be a whole number from 1 to 32, got ${value}`);
  return n;
}

const command: Command = {
  name: "repo init",
  summary: "create a repository: keys, config, root v1",
  description: `Creates DIR with encrypted keys for every role, bulwark.json (expiry policy per role) and a
published version 1 of every role in DIR/public/. Production defaults: root signed by 2 of 3
keys, one key each for targets, snapshot and timestamp. Root keys are written to
--root-key-dir (default DIR/keys/root/): move them offline and mark them "offline": true in
bulwark.json; root changes are then signed with \`bulwark sign\`.

Passphrases come from BULWARK_PASSPHRASE_<ROLE> or BULWARK_PASSPHRASE, else a prompt; never argv.

Trying it out: --single-key uses one key for all four roles (threshold 1). Not for production.

Example:
  BULWARK_PASSPHRASE_ROOT=… BULWARK_PASSPHRASE=… bulwark repo init ./updates`,
  positionals: [{ name: "DIR", description: "the repository folder to create" }],
  options: [
    { name: "single-key", type: "boolean", description: "one key for every role, threshold 1 (for trying it out)" },
    { name: "root-keys", type: "string", valueName: "N", description: "number of root keys", default: "3" },
    { name: "root-threshold", type: "string", valueName: "K", description: "root keys that must sign", default: "2" },
    { name: "targets-keys", type: "string", valueName: "N", description: "number of targets keys", default: "1" },
    {
      name: "targets-threshold",
      type: "string",
      valueName: "K",
      description: "targets keys that must sign",
      default: "1",
    },
    {
      name: "scheme",
      type: "string",
      valueName: "SCHEME",
      description: `key type: ${Object.keys(SUPPORTED_SCHEMES).join(", ")}`,
      default: "ed25519",
    },
    {
      name: "root-key-dir",
      type: "string",
      valueName: "PATH",
      description: "where to write the root private keys (default DIR/keys/root)",
    },
    {
      name: "expiry",
      type: "string",
      multiple: true,
      valueName: "ROLE=DURATION",
      description: "validity per role, e.g. timestamp=1d, root=365d (repeatable)",
    },
    {
      name: "no-consistent-snapshot",
      type: "boolean",
      description: "unversioned metadata file names (not recommended)",
    },
  ],
  async run(args, ctx) {
    const dirArg = args.positionals.DIR as string;
    const dir = path.resolve(ctx.cwd, dirArg);
    if (existsSync(path.join(dir, "bulwark.json"))) {
      throw new CliError(
        "ALREADY_A_REPOSITORY",
        `${dirArg} already holds a Bulwark repository`,
        EXIT.USAGE,
        "choose an empty folder",
      );
    }
    const scheme = (str(args, "scheme") ?? "ed25519") as SignatureScheme;
    if (!Object.hasOwn(SUPPORTED_SCHEMES, scheme)) throw usage(`unknown --scheme ${scheme}`);
    const single = flag(args, "single-key");
    const counts: Record<TopLevelRoleName, [number, number]> = single
      ? { root: [1, 1], targets: [1, 1], snapshot: [1, 1], timestamp: [1, 1] }
      : {
          root: [
            count(str(args, "root-keys"), 3, "--root-keys"),
            count(str(args, "root-threshold"), 2, "--root-threshold"),
          ],
          targets: [
            count(str(args, "targets-keys"), 1, "--targets-keys"),
            count(str(args, "targets-threshold"), 1, "--targets-threshold"),
          ],
          snapshot: [1, 1],
          timestamp: [1, 1],
        };
    for (const role of TOP_LEVEL_ROLE_NAMES) {
      const [n, k] = counts[role];
      if (k > n) throw usage(`--${role}-threshold ${k} is more than the ${n} ${role} key(s)`);
    }
    const expiry = { ...DEFAULT_CONFIG.expiry };
    for (const item of list(args, "expiry")) {
      const [role, duration] = item.split("=");
      if (role === undefined || duration === undefined || !Object.hasOwn(expiry, role)) {
        throw usage(`--expiry ${item}: expected ROLE=DURATION with ROLE one of ${Object.keys(expiry).join(", ")}`);
      }
      expiry[role as keyof typeof expiry] = parseDuration(duration, `--expiry ${role}`);
    }
    const rootKeyDir = path.resolve(ctx.cwd, str(args, "root-key-dir") ?? path.join(dir, "keys", "root"));
    const repoDir = RepoDir.create(dir, { ...DEFAULT_CONFIG, expiry }, ctx);
    const keyStore = repoDir.keyStore(() => undefined);

    // Keys: generated here, written encrypted before anything else exists.
    const signers = {} as Record<TopLevelRoleName, PrivateKeySigner[]>;
    const entries: KeyEntry[] = [];
    const shared = single ? PrivateKeySigner.generate(scheme) : undefined;
    for (const role of TOP_LEVEL_ROLE_NAMES) {
      signers[role] = [];
      for (let i = 0; i < counts[role][0]; i++) {
        const signer = shared ?? PrivateKeySigner.generate(scheme);
        signers[role].push(signer);
        if (shared !== undefined && role !== "root") continue;
        const keyDir = role === "root" ? rootKeyDir : repoDir.paths.keys;
        const file = path.join(keyDir, `${single ? "all" : role}-${signer.keyId.slice(0, 12)}.pem`);
        await writeKeyFile(file, signer, await keyStore.passphrase(role, true));
        entries.push({
          id: signer.keyId,
          roles: single ? [...TOP_LEVEL_ROLE_NAMES] : [role],
          scheme,
          file: path.relative(dir, file),
        });
      }
    }
    const thresholds = Object.fromEntries(TOP_LEVEL_ROLE_NAMES.map((r) => [r, counts[r][1]])) as Record<
      TopLevelRoleName,
      number
    >;
    const repo = await Repository.create({
      signers,
      thresholds,
      expiry,
      consistentSnapshot: !flag(args, "no-consistent-snapshot"),
      now: ctx.now,
    });
    await fs.mkdir(repoDir.paths.public, { recursive: true });
    await writeRepositoryFiles(repoDir.paths.public, repo.files());
    const config: RepoConfig = { ...DEFAULT_CONFIG, expiry, keys: entries };
    await repoDir.saveConfig(config);

    const rows = TOP_LEVEL_ROLE_NAMES.map((role) => {
      const md =
        role === "root"
          ? repo.root
          : role === "targets"
            ? repo.targets()
            : role === "snapshot"
              ? repo.snapshot
              : repo.timestamp;
      return [
        role,
        `${counts[role][1]} of ${counts[role][0]}`,
        String(md.signed.version),
        describeRemaining(md.signed.expiresAt - ctx.now()),
      ];
    });
    ctx.out.line(
      `Created ${dirArg}: root version 1 published in ${path.relative(ctx.cwd, repoDir.paths.public) || "."}/`,
    );
    ctx.out.table(["role", "keys", "version", "expires in"], rows);
    if (!single) {
      ctx.out.line("");
      ctx.out.line(`Root keys are in ${rootKeyDir}. Move them to offline storage and mark them "offline": true`);
      ctx.out.line("in bulwark.json; sign root changes with `bulwark sign` where they are kept.");
    } else {
      ctx.out.warn("--single-key: one key signs every role. Use it to try Bulwark out, never in production.");
    }
    return {
      data: {
        dir,
        public: repoDir.paths.public,
        roles: Object.fromEntries(
          TOP_LEVEL_ROLE_NAMES.map((r) => [r, { keys: signers[r].map((s) => s.keyId), threshold: counts[r][1] }]),
        ),
        rootKeyDir,
        singleKey: single,
      },
    };
  },
};

export default command;
