/**
 * `DIR/bulwark.json`: the repository's policy (expiry per role, when to re-sign, when to
 * switch to hashed bins) and where each key's private half lives. Parsed against
 * {@link REPO_CONFIG_SCHEMA}: an unknown key or a bad field is a usage error naming it.
 */
import { DEFAULT_EXPIRY, type ExpiryPolicy, type SignatureScheme, SUPPORTED_SCHEMES } from "@bulwark/tuf";
import { z } from "zod";
import { durationField, parseConfigFile, SCHEMA_KEY } from "../config-file.js";
import { PUBLISHER_ERRORS } from "../errors.js";
import { formatDuration } from "./duration.js";

/** Where one key's private half is. */
export type KeyEntry =
  | { readonly id: string; readonly roles: readonly string[]; readonly scheme: SignatureScheme; readonly file: string }
  | {
      readonly id: string;
      readonly roles: readonly string[];
      readonly scheme: SignatureScheme;
      /** An external signer: gets the bytes to sign on stdin, prints the signature (hex or base64). */
      readonly command: string;
    }
  | {
      readonly id: string;
      readonly roles: readonly string[];
      readonly scheme: SignatureScheme;
      /** A root key held elsewhere: its signatures come through `repo export`, `sign` and `repo import`. */
      readonly offline: true;
    };

/**
 * Where this repository logs its releases (the vendor's side of the transparency log; what
 * clients trust is the policy in root). `dir` is the log folder (`bulwark log init`),
 * relative to the repository folder; `witnesses` gives the URL to ask each witness of the
 * root's policy by name, when it differs from the URL in root (an internal address).
 */
export interface LogConfig {
  readonly dir: string;
  readonly witnesses: ReadonlyArray<{ readonly name: string; readonly url: string }>;
}

export interface RepoConfig {
  readonly formatVersion: 1;
  readonly expiry: ExpiryPolicy;
  /** Re-sign a role when less than this many seconds of validity are left. */
  readonly refreshBefore: { readonly timestamp: number; readonly snapshot: number; readonly targets: number };
  /** Switch the top-level targets role to hashed bins past this many targets (0: never). */
  readonly hashedBinsThreshold: number;
  readonly keys: readonly KeyEntry[];
  /** The release log, when the root requires one (`bulwark log policy set --log-dir`). */
  readonly log?: LogConfig;
}

/** The defaults `repo init` writes. */
export const DEFAULT_CONFIG: RepoConfig = {
  formatVersion: 1,
  expiry: DEFAULT_EXPIRY,
  refreshBefore: { timestamp: 12 * 3600, snapshot: 3 * 86400, targets: 14 * 86400 },
  hashedBinsThreshold: 10_000,
  keys: [],
};

/** The file name of bulwark.json's JSON Schema, which the file names in `"$schema"`. */
export const REPO_CONFIG_SCHEMA_FILE = "bulwark.schema.json";

const SCHEMES = Object.keys(SUPPORTED_SCHEMES) as [SignatureScheme, ...SignatureScheme[]];

/** The roles of `roles` that an offline key cannot sign: every role but root. */
export function rolesOfflineCannotSign(roles: readonly string[]): string[] {
  return roles.filter((role) => role !== "root");
}

/**
 * Why a key of `roles` (not root) cannot be offline, and what to do instead. Only root has a
 * way to bring signatures made elsewhere back (`repo export`, `sign`, `repo import`); every
 * other role is signed here, at publish (timestamp and snapshot also by `repo refresh`).
 */
export function offlineRefusal(roles: readonly string[]): string {
  const which = roles.join(" and ");
  return (
    `"offline": true is for root keys only, whose signatures are made elsewhere and brought back with ` +
    `\`bulwark repo export\`, \`bulwark sign\` and \`bulwark repo import\`; a ${which} key must sign here, at every ` +
    "publish (timestamp and snapshot also at every `bulwark repo refresh`, unattended), and an offline one never would. " +
    'Give the key\'s "file", or an external signer "command" (docs/external-signers.md); for a key another party ' +
    "holds (a delegated role's), remove the entry until a signer for it is here"
  );
}

const durations = <K extends string>(keys: readonly K[], what: string) =>
  z.strictObject(
    Object.fromEntries(keys.map((k) => [k, durationField(`${what} ${k}`).optional()])) as Record<
      K,
      z.ZodOptional<ReturnType<typeof durationField>>
    >,
  );

const keyEntry = z
  .strictObject({
    id: z.string().min(1).describe("the key ID"),
    roles: z.array(z.string()).describe("the roles this key signs"),
    scheme: z.enum(SCHEMES).describe("the signature scheme"),
    file: z.string().optional().describe("the encrypted key file, relative to the repository folder"),
    command: z
      .string()
      .optional()
      .describe("an external signer: gets the bytes to sign on stdin, prints the signature (docs/external-signers.md)"),
    offline: z
      .literal(true)
      .optional()
      .describe(
        "a root key held elsewhere (root keys only): its signatures come through `repo export`, `sign` and `repo import`",
      ),
  })
  .check((ctx) => {
    const { file, command, offline, roles } = ctx.value;
    if ([file, command, offline].filter((v) => v !== undefined).length !== 1) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: 'needs exactly one of "file", "command" or "offline": true',
      });
    }
    const unsignable = rolesOfflineCannotSign(roles);
    if (offline === true && unsignable.length > 0) {
      ctx.issues.push({ code: "custom", input: offline, path: ["offline"], message: offlineRefusal(unsignable) });
    }
  })
  .transform(({ id, roles, scheme, file, command }): KeyEntry => {
    if (file !== undefined) return { id, roles, scheme, file };
    if (command !== undefined) return { id, roles, scheme, command };
    return { id, roles, scheme, offline: true };
  });

/** The schema of bulwark.json: every field checked, durations read as seconds, defaults filled in. */
export const REPO_CONFIG_SCHEMA = z
  .strictObject({
    ...SCHEMA_KEY,
    formatVersion: z.literal(1).describe("the format of this file: 1"),
    expiry: durations(Object.keys(DEFAULT_EXPIRY) as Array<keyof ExpiryPolicy>, "expiry of")
      .optional()
      .describe("how long each role's metadata stays valid when signed"),
    refreshBefore: durations(["timestamp", "snapshot", "targets"] as const, "re-sign")
      .optional()
      .describe("re-sign a role when less than this much of its validity is left (`bulwark repo refresh`)"),
    hashedBinsThreshold: z
      .int()
      .min(0)
      .optional()
      .describe("switch the top-level targets role to hashed bins past this many targets (0: never)"),
    keys: z.array(keyEntry).optional().describe("where each key's private half is"),
    log: z
      .strictObject({
        dir: z.string().min(1).describe("the log folder (`bulwark log init`), relative to the repository folder"),
        witnesses: z
          .array(
            z.strictObject({
              name: z.string().describe("the witness's name in the root's log policy"),
              url: z
                .string()
                .regex(/^https?:\/\//i, "must be an http(s) URL")
                .describe("where to ask this witness, when it differs from the URL in root"),
            }),
          )
          .optional(),
      })
      .optional()
      .describe("the release log, when the root requires one (`bulwark log policy set --log-dir`)"),
  })
  .transform(
    (json): RepoConfig => ({
      formatVersion: 1,
      expiry: { ...DEFAULT_EXPIRY, ...defined(json.expiry) },
      refreshBefore: { ...DEFAULT_CONFIG.refreshBefore, ...defined(json.refreshBefore) },
      hashedBinsThreshold: json.hashedBinsThreshold ?? DEFAULT_CONFIG.hashedBinsThreshold,
      keys: json.keys ?? [],
      ...(json.log ? { log: { dir: json.log.dir, witnesses: json.log.witnesses ?? [] } } : {}),
    }),
  );

/** `o` without its undefined fields. */
function defined<T extends object>(o: T | undefined): Partial<{ [K in keyof T]: Exclude<T[K], undefined> }> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as never;
}

/**
 * Parses `bulwark.json` of the repository folder `dir` (as the user named it, for the hint).
 * @throws {ConfigError} `BAD_CONFIG`, naming every wrong field and unknown key.
 */
export function parseConfig(bytes: Uint8Array, dir = "DIR"): RepoConfig {
  return parseConfigFile(REPO_CONFIG_SCHEMA, bytes, {
    file: "bulwark.json",
    code: PUBLISHER_ERRORS.BAD_CONFIG,
    hint: `fix the field (the schema is ${REPO_CONFIG_SCHEMA_FILE}), or run \`bulwark repo init\` again in a new folder`,
    unreadableHint: `run \`bulwark repo repair ${dir}\`: it rebuilds bulwark.json from the published root and the key files in keys/ (add --dry-run to see what it would do first)`,
  });
}

/** Serialises a config as readable JSON. */
export function formatConfig(config: RepoConfig): string {
  const durations = (o: Record<string, number>) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, formatDuration(v)]));
  return `${JSON.stringify(
    {
      $schema: REPO_CONFIG_SCHEMA_FILE,
      formatVersion: 1,
      expiry: durations({ ...config.expiry }),
      refreshBefore: durations({ ...config.refreshBefore }),
      hashedBinsThreshold: config.hashedBinsThreshold,
      keys: config.keys,
      ...(config.log ? { log: config.log } : {}),
    },
    null,
    2,
  )}\n`;
}
