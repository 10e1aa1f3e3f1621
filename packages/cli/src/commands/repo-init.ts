import path from "node:path";
import { initRepository, parseDuration } from "@bulwark/publisher";
import { DEFAULT_EXPIRY, describeRemaining, SUPPORTED_SCHEMES, TOP_LEVEL_ROLE_NAMES } from "@bulwark/tuf";
import { defineCommand } from "../command.js";
import { usage } from "../errors.js";
import { publisherOptions } from "../publisher-options.js";
import { parseScheme } from "./key-add.js";

function count(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > 32)
    throw usage(`${what} must be a whole number from 1 to 32, got ${value}`);
  return n;
}

export default defineCommand({
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
  async run({ positionals, options }, ctx) {
    const dirArg = positionals.DIR;
    const scheme = parseScheme(options.scheme) ?? "ed25519";
    const single = options.singleKey;
    const expiry: Record<string, number> = {};
    for (const item of options.expiry) {
      const [role, duration] = item.split("=");
      if (role === undefined || duration === undefined || !Object.hasOwn(DEFAULT_EXPIRY, role)) {
        throw usage(
          `--expiry ${item}: expected ROLE=DURATION with ROLE one of ${Object.keys(DEFAULT_EXPIRY).join(", ")}`,
        );
      }
      expiry[role] = parseDuration(duration, `--expiry ${role}`);
    }
    const { rootKeyDir } = options;
    const made = await initRepository(dirArg, {
      ...publisherOptions(ctx),
      singleKey: single,
      ...(single
        ? {}
        : {
            root: {
              keys: count(options.rootKeys, "--root-keys"),
              threshold: count(options.rootThreshold, "--root-threshold"),
            },
            targets: {
              keys: count(options.targetsKeys, "--targets-keys"),
              threshold: count(options.targetsThreshold, "--targets-threshold"),
            },
          }),
      scheme,
      expiry,
      consistentSnapshot: !options.noConsistentSnapshot,
      ...(rootKeyDir === undefined ? {} : { rootKeyDir }),
    });
    ctx.out.line(`Created ${dirArg}: root version 1 published in ${path.relative(ctx.cwd, made.public) || "."}/`);
    ctx.out.table(
      ["role", "keys", "version", "expires in"],
      TOP_LEVEL_ROLE_NAMES.map((role) => {
        const r = made.roles[role];
        return [
          role,
          `${r.threshold} of ${r.keys.length}`,
          String(r.version),
          describeRemaining(r.expiresAt - ctx.now()),
        ];
      }),
    );
    if (!single) {
      ctx.out.line("");
      ctx.out.line(`Root keys are in ${made.rootKeyDir}. Move them to offline storage and mark them "offline": true`);
      ctx.out.line("in bulwark.json; sign root changes with `bulwark sign` where they are kept.");
    } else {
      ctx.out.warn("--single-key: one key signs every role. Use it to try Bulwark out, never in production.");
    }
    return {
      data: {
        dir: made.dir,
        public: made.public,
        roles: Object.fromEntries(
          TOP_LEVEL_ROLE_NAMES.map((r) => [r, { keys: made.roles[r].keys, threshold: made.roles[r].threshold }]),
        ),
        rootKeyDir: made.rootKeyDir,
        singleKey: single,
      },
    };
  },
});
