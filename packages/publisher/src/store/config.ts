/**
 * `DIR/bulwark.json`: the repository's policy (expiry per role, when to re-sign, when to
 * switch to hashed bins) and where each key's private half lives. Parsed strictly: a bad
 * field is a usage error naming it.
 */
import {
  DEFAULT_EXPIRY,
  type ExpiryPolicy,
  isJsonObject,
  parseJson,
  type SignatureScheme,
  SUPPORTED_SCHEMES,
} from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import { formatDuration, parseDuration } from "./duration.js";

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
      /** Held elsewhere (an offline root key): signatures come through `repo import`. */
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

function fail(field: string, expected: string): never {
  throw new PublisherError(PUBLISHER_ERRORS.BAD_CONFIG, `bulwark.json: ${field} must be ${expected}`, {
    hint: "fix the field, or run `bulwark repo init` again in a new folder",
  });
}

/** Parses `bulwark.json`. */
export function parseConfig(bytes: Uint8Array): RepoConfig {
  let json: ReturnType<typeof parseJson>;
  try {
    json = parseJson(bytes);
  } catch (cause) {
    throw new PublisherError(
      PUBLISHER_ERRORS.BAD_CONFIG,
      `bulwark.json is not valid JSON: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  if (!isJsonObject(json)) fail("the top level", "an object");
  if (json.formatVersion !== 1) fail("formatVersion", "1");
  const expiryIn = json.expiry ?? {};
  if (!isJsonObject(expiryIn)) fail("expiry", "an object of durations");
  const expiry = { ...DEFAULT_EXPIRY };
  for (const role of Object.keys(DEFAULT_EXPIRY) as Array<keyof ExpiryPolicy>) {
    const v = expiryIn[role];
    if (v === undefined) continue;
    if (typeof v !== "string") fail(`expiry.${role}`, 'a duration such as "7d"');
    expiry[role] = parseDuration(v, `bulwark.json expiry.${role}`);
  }
  const refreshIn = json.refreshBefore ?? {};
  if (!isJsonObject(refreshIn)) fail("refreshBefore", "an object of durations");
  const refreshBefore = { ...DEFAULT_CONFIG.refreshBefore };
  for (const role of ["timestamp", "snapshot", "targets"] as const) {
    const v = refreshIn[role];
    if (v === undefined) continue;
    if (typeof v !== "string") fail(`refreshBefore.${role}`, 'a duration such as "12h"');
    refreshBefore[role] = parseDuration(v, `bulwark.json refreshBefore.${role}`);
  }
  const bins = json.hashedBinsThreshold ?? DEFAULT_CONFIG.hashedBinsThreshold;
  if (typeof bins !== "number" || !Number.isSafeInteger(bins) || bins < 0)
    fail("hashedBinsThreshold", "an integer >= 0");
  const keysIn = json.keys ?? [];
  if (!Array.isArray(keysIn)) fail("keys", "an array");
  const keys: KeyEntry[] = keysIn.map((k, i) => {
    if (!isJsonObject(k)) fail(`keys[${i}]`, "an object");
    const { id, roles, scheme, file, command, offline } = k;
    if (typeof id !== "string" || id === "") fail(`keys[${i}].id`, "a key ID");
    if (!Array.isArray(roles) || roles.some((r) => typeof r !== "string"))
      fail(`keys[${i}].roles`, "an array of role names");
    if (typeof scheme !== "string" || !Object.hasOwn(SUPPORTED_SCHEMES, scheme)) {
      fail(`keys[${i}].scheme`, `one of ${Object.keys(SUPPORTED_SCHEMES).join(", ")}`);
    }
    const base = { id, roles: roles as string[], scheme: scheme as SignatureScheme };
    if (typeof file === "string") return { ...base, file };
    if (typeof command === "string") return { ...base, command };
    if (offline === true) return { ...base, offline: true as const };
    return fail(`keys[${i}]`, 'an entry with "file", "command" or "offline": true');
  });
  const log = json.log === undefined ? undefined : parseLogConfig(json.log);
  return { formatVersion: 1, expiry, refreshBefore, hashedBinsThreshold: bins, keys, ...(log ? { log } : {}) };
}

function parseLogConfig(value: ReturnType<typeof parseJson>): LogConfig {
  if (!isJsonObject(value)) fail("log", 'an object {"dir": "...", "witnesses": [...]}');
  if (typeof value.dir !== "string" || value.dir === "") fail("log.dir", "the path of the log folder");
  const list = value.witnesses ?? [];
  if (!Array.isArray(list)) fail("log.witnesses", 'an array of {"name", "url"}');
  const witnesses = list.map((w, i) => {
    if (!isJsonObject(w) || typeof w.name !== "string" || typeof w.url !== "string" || !/^https?:\/\//i.test(w.url)) {
      return fail(`log.witnesses[${i}]`, 'an object {"name": "...", "url": "http(s)://..."}');
    }
    return { name: w.name, url: w.url };
  });
  return { dir: value.dir, witnesses };
}

/** Serialises a config as readable JSON. */
export function formatConfig(config: RepoConfig): string {
  const durations = (o: Record<string, number>) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, formatDuration(v)]));
  return `${JSON.stringify(
    {
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
