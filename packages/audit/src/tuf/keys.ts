/**
 * Keys and thresholds of a TUF repository: key types and sizes, how many *distinct* keys
 * each role has (a key listed under two key IDs counts once, as clients count it), whether
 * a threshold can be met at all, and whether a root key also signs an online role.
 */
import type { Key, Root } from "@bulwark/tuf";
import { type Finding, finding } from "../finding.js";
import type { RoleKind } from "../finding-ids.js";

/** RSA moduli below this many bits are a finding. */
export const MIN_RSA_BITS = 2048;

/** A key as the audit describes it. */
export interface KeyInfo {
  /** `ed25519`, `ecdsa P-256`, `rsa 3072`, or `unusable (…)`. */
  readonly type: string;
  /** The key's identity (its public key bytes), for counting distinct keys; undefined when unusable. */
  readonly identity: string | undefined;
  readonly rsaBits?: number;
  readonly error?: string;
}

const CURVES: Readonly<Record<string, string>> = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };

/** Describes a key: type and size, or why it cannot be used. */
export function describeKey(key: Key): KeyInfo {
  try {
    const k = key.publicKey();
    const identity = k.export({ format: "der", type: "spki" }).toString("base64");
    const details = k.asymmetricKeyDetails;
    if (k.asymmetricKeyType === "ed25519") return { type: "ed25519", identity };
    if (k.asymmetricKeyType === "ec") {
      const curve = details?.namedCurve ?? "?";
      return { type: `ecdsa ${CURVES[curve] ?? curve}`, identity };
    }
    const bits = details?.modulusLength ?? 0;
    return { type: `rsa ${bits}`, identity, rsaBits: bits };
  } catch (error) {
    return { type: `${key.keytype}/${key.scheme} (unusable)`, identity: undefined, error: (error as Error).message };
  }
}

/** A role's keys as a client counts them. */
export interface RoleKeysInfo {
  readonly name: string;
  readonly threshold: number;
  readonly keyIds: readonly string[];
  /** Distinct usable keys among them. */
  readonly distinct: number;
  readonly identities: ReadonlySet<string>;
  /** Key types, one per distinct key. */
  readonly types: readonly string[];
}

/** Counts `keyIds` as a client does, against the key table `keys`. */
export function roleKeys(
  name: string,
  keyIds: readonly string[],
  threshold: number,
  keys: ReadonlyMap<string, Key>,
): RoleKeysInfo {
  const identities = new Set<string>();
  const types: string[] = [];
  for (const id of keyIds) {
    const key = keys.get(id);
    if (key === undefined) continue;
    const info = describeKey(key);
    if (info.identity === undefined || identities.has(info.identity)) continue;
    identities.add(info.identity);
    types.push(info.type);
  }
  return { name, threshold, keyIds, distinct: identities.size, identities, types };
}

/** `2 of 3 (ed25519 ×3)`. */
export function describeRole(r: RoleKeysInfo): string {
  const counts = new Map<string, number>();
  for (const t of r.types) counts.set(t, (counts.get(t) ?? 0) + 1);
  const types = [...counts].map(([t, n]) => (n > 1 ? `${t} ×${n}` : t)).join(", ");
  return `${r.threshold} of ${r.distinct}${types === "" ? "" : ` (${types})`}`;
}

/** Findings about one role's keys: unreachable thresholds, aliases, missing key IDs. */
export function roleKeyFindings(r: RoleKeysInfo, kind: RoleKind, keys: ReadonlyMap<string, Key>): Finding[] {
  const out: Finding[] = [];
  const evidence = `${r.name}: keyids [${r.keyIds.map((id) => id.slice(0, 12)).join(", ")}], threshold ${r.threshold}`;
  const missing = r.keyIds.filter((id) => !keys.has(id));
  if (missing.length > 0) {
    out.push(
      finding(
        `tuf.${kind}.unknown-key-id`,
        "low",
        `${r.name} lists ${missing.length} key ID(s) with no key`,
        evidence,
        "Which keys are these meant to be?",
        r.name,
      ),
    );
  }
  if (r.distinct < r.threshold) {
    out.push(
      finding(
        `tuf.${kind}.threshold-unreachable`,
        "high",
        `${r.name} needs ${r.threshold} signatures but has only ${r.distinct} distinct usable key(s): clients can never accept it`,
        evidence,
        "How is this role meant to be signed? As published, clients refuse it.",
        r.name,
      ),
    );
  } else if (r.keyIds.length - missing.length > r.distinct) {
    out.push(
      finding(
        `tuf.${kind}.key-aliases`,
        "low",
        `${r.name} lists the same key under several key IDs (counted once)`,
        `${evidence}: ${r.keyIds.length - missing.length} key IDs, ${r.distinct} distinct keys`,
        "Why is one key listed twice? A client that counted key IDs would accept fewer real signatures than the threshold says.",
        r.name,
      ),
    );
  }
  return out;
}

/** Findings about the keys themselves: weak RSA, unusable keys. */
export function keyMaterialFindings(keys: ReadonlyMap<string, Key>, where: string): Finding[] {
  const out: Finding[] = [];
  for (const [id, key] of keys) {
    const info = describeKey(key);
    if (info.error !== undefined) {
      out.push(
        finding(
          "tuf.key.unusable",
          "medium",
          `key ${id.slice(0, 12)} (${where}) cannot be used: ${info.error}`,
          `${where}.keys["${id}"]: keytype ${key.keytype}, scheme ${key.scheme}`,
          "Which clients can verify this key type? Signatures by it count for nothing here.",
          id,
        ),
      );
    } else if (info.rsaBits !== undefined && info.rsaBits < MIN_RSA_BITS) {
      out.push(
        finding(
          "tuf.key.weak-rsa",
          "high",
          `key ${id.slice(0, 12)} (${where}) is RSA ${info.rsaBits}: below ${MIN_RSA_BITS} bits`,
          `${where}.keys["${id}"]: rsa ${info.rsaBits}`,
          "When will this key be replaced with RSA 3072+, ECDSA P-256 or Ed25519?",
          id,
        ),
      );
    }
  }
  return out;
}

/** Findings about the root role: one key, threshold one, root keys that also sign online roles. */
export function rootKeyFindings(root: Root, roles: ReadonlyMap<string, RoleKeysInfo>): Finding[] {
  const out: Finding[] = [];
  const r = roles.get("root");
  if (r === undefined) return out;
  const evidence = `root.signed.roles.root: ${describeRole(r)}`;
  if (r.distinct <= 1) {
    out.push(
      finding(
        "tuf.root.single-key",
        "high",
        "root is signed by a single key: whoever steals it can replace every key of the repository",
        evidence,
        "Why is root not a threshold of several offline keys (for example 2 of 3, held by different people)?",
        "root",
      ),
    );
  } else if (r.threshold <= 1) {
    out.push(
      finding(
        "tuf.root.threshold-one",
        "high",
        `any one of the ${r.distinct} root keys can replace every key of the repository`,
        evidence,
        "Why is the root threshold 1? Several keys at threshold 1 multiply the places a root key can be stolen from.",
        "root",
      ),
    );
  }
  for (const online of ["timestamp", "snapshot", "targets"]) {
    const o = roles.get(online);
    const shared = o === undefined ? [] : [...o.identities].filter((i) => r.identities.has(i));
    if (shared.length === 0) continue;
    out.push(
      finding(
        "tuf.root.key-online",
        "high",
        `a root key also signs ${online}: it must be kept online, where the server's attacker can reach it`,
        `root.signed.roles.${online} shares ${shared.length} key(s) with roles.root (${root.roles.get("root")?.keyids.length ?? 0} root key IDs)`,
        `Why does a root key sign ${online}? Root keys belong offline, apart from the keys that sign every day.`,
        online,
      ),
    );
  }
  return out;
}

/** Whether a key that must stay online (timestamp, snapshot) also signs the list of releases. */
export function targetsKeyOnline(roles: ReadonlyMap<string, RoleKeysInfo>): string | undefined {
  const targets = roles.get("targets");
  const root = roles.get("root");
  if (targets === undefined) return undefined;
  for (const online of ["timestamp", "snapshot"]) {
    const o = roles.get(online);
    const shared = o === undefined ? [] : [...o.identities].filter((i) => targets.identities.has(i));
    // A root key shared too is already tuf.root.key-online.
    if (shared.some((i) => !root?.identities.has(i))) return online;
  }
  return undefined;
}

/** The finding for {@link targetsKeyOnline}. */
export function targetsKeyOnlineFinding(online: string): Finding {
  return finding(
    "tuf.targets.key-online",
    "high",
    `a targets key also signs ${online}: the key that lists releases is kept online, where whoever reaches the publishing machine can use it`,
    `root.signed.roles.targets and roles.${online} share a key`,
    `Why does the targets key sign ${online}? ${online} is re-signed automatically, so its key is online; the targets key should not be.`,
    online,
  );
}
