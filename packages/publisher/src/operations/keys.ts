/**
 * Changing who signs: adding, revoking and rotating a role's keys, delegating paths to a new
 * role, setting a threshold. Each change is staged; a top-level role's change is a root
 * change, which publishing needs the root keys' signatures for.
 */
import { type SignatureScheme, SUPPORTED_SCHEMES, TOP_LEVEL_ROLE_NAMES, UsageError } from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import type { PublisherOptions } from "../options.js";
import type { KeyEntry } from "../store/config.js";
import { type KeySource, type NewKey, readPublicKeyFile, withKeyEntry } from "../store/keystore.js";
import type { RepoDir } from "../store/repo-dir.js";
import { withRepository } from "./open.js";
import {
  keysOfRole,
  privateHalf,
  type RootStatus,
  resolveKeyId,
  rootStatus,
  setThreshold,
  takeKeyOff,
} from "./roles.js";

/** What every staged change reports: the roles to sign at the next publish, and root's needs. */
export interface StagedChange {
  /** The roles staged for signing. */
  readonly staged: readonly string[];
  /** Set when root changed: what publishing it needs. */
  readonly root?: RootStatus;
}

/** A role's keys after a change. */
export interface RoleKeys {
  readonly role: string;
  readonly keys: readonly string[];
  readonly threshold: number;
}

async function staged(repoDir: RepoDir, repo: Parameters<typeof rootStatus>[1]): Promise<StagedChange> {
  const roles = await repoDir.stage(repo);
  const root = rootStatus(repoDir, repo);
  return { staged: roles, ...(root === undefined ? {} : { root }) };
}

/** A key as a change reports it. */
export interface KeyInfo {
  readonly keyId: string;
  readonly scheme: string;
  /** Where its private half is: a file, `command: …`, `offline`. */
  readonly privateKey: string;
  readonly entry: KeyEntry;
}

function keyInfo(key: NewKey, entries: readonly KeyEntry[]): KeyInfo {
  return {
    keyId: key.keyId,
    scheme: key.publicKey.scheme,
    privateKey: privateHalf(entries, key.keyId),
    entry: key.entry,
  };
}

/**
 * Adds a key to `role` (generated here, an external signer, or offline; see {@link KeySource})
 * and optionally sets the role's threshold. bulwark.json records the key before metadata lists it.
 * @throws {PublisherError} `UNKNOWN_ROLE`, `BAD_THRESHOLD`, `KEY_IN_ROLE`; the key store's errors.
 */
export async function addKey(
  dir: string,
  change: { readonly role: string; readonly source: KeySource; readonly threshold?: number | undefined },
  options: PublisherOptions = {},
): Promise<StagedChange & RoleKeys & { readonly added: KeyInfo; readonly previousThreshold: number }> {
  const { role, threshold } = change;
  return withRepository(dir, options, async (repoDir, repo) => {
    const before = keysOfRole(repo, role);
    if (threshold !== undefined && threshold > before.keyids.length + 1) {
      throw new PublisherError(
        PUBLISHER_ERRORS.BAD_THRESHOLD,
        `--threshold ${threshold} is more than the ${before.keyids.length + 1} key(s) ${role} will have`,
      );
    }
    const key = await repoDir.keyStore(() => repo).createKey(role, change.source);
    if (before.keyids.includes(key.keyId)) {
      throw new PublisherError(PUBLISHER_ERRORS.KEY_IN_ROLE, `key ${key.keyId.slice(0, 12)} already signs ${role}`);
    }
    repo.addKey(role, key);
    if (threshold !== undefined) setThreshold(repo, role, threshold);
    // The key (file or entry) is recorded before metadata lists it, so a staged key always has one.
    await repoDir.saveConfig({ ...repoDir.config, keys: withKeyEntry(repoDir.config.keys, key.entry) });
    const result = await staged(repoDir, repo);
    const after = keysOfRole(repo, role);
    return {
      ...result,
      role,
      keys: after.keyids,
      threshold: after.threshold,
      previousThreshold: before.threshold,
      added: keyInfo(key, repoDir.config.keys),
    };
  });
}

/**
 * Takes a key (a unique prefix of its ID is enough) off `role`. Its bulwark.json entry
 * goes once metadata is staged; a root key's entry stays (the rotation may need it).
 * @throws {PublisherError} `UNKNOWN_ROLE`, `UNKNOWN_KEY`, `AMBIGUOUS_KEY`, `BELOW_THRESHOLD`.
 */
export async function revokeKey(
  dir: string,
  change: { readonly role: string; readonly keyId: string },
  options: PublisherOptions = {},
): Promise<
  StagedChange & RoleKeys & { readonly revoked: string; readonly keyFile?: string; readonly rootVersion?: number }
> {
  const { role } = change;
  return withRepository(dir, options, async (repoDir, repo) => {
    const keyId = resolveKeyId(keysOfRole(repo, role).keyids, change.keyId, role);
    const { entries, file } = takeKeyOff(repo, repoDir.config.keys, role, keyId);
    // Metadata first: until it is staged, the key must keep its entry.
    const result = await staged(repoDir, repo);
    await repoDir.saveConfig({ ...repoDir.config, keys: entries });
    const after = keysOfRole(repo, role);
    const rootVersion = repo.stagedRoot()?.signed.version;
    return {
      ...result,
      role,
      keys: after.keyids,
      threshold: after.threshold,
      revoked: keyId,
      ...(file === undefined ? {} : { keyFile: file }),
      ...(rootVersion === undefined ? {} : { rootVersion }),
    };
  });
}

/**
 * Replaces a key of `role` by a new one in one staged change (the threshold holds
 * throughout). `keyId` may be left out when the role has one key; a generated key keeps
 * the old key's scheme unless `source` names another.
 * @throws {PublisherError} `WHICH_KEY`, `UNKNOWN_KEY`, `AMBIGUOUS_KEY`, `KEY_IN_ROLE`; the key store's errors.
 */
export async function rotateKey(
  dir: string,
  change: {
    readonly role: string;
    readonly keyId?: string | undefined;
    /** Where the new key comes from; `scheme` is filled with the old key's when undefined. */
    readonly source: (oldScheme: SignatureScheme | undefined) => KeySource;
  },
  options: PublisherOptions = {},
): Promise<RotatedKey> {
  return withRepository(dir, options, (repoDir, repo) => rotateKeyIn(repoDir, repo, change));
}

/** What {@link rotateKey} did. */
export type RotatedKey = StagedChange &
  RoleKeys & {
    readonly revoked: string;
    readonly added: KeyInfo;
    readonly keyFile?: string;
    readonly rootVersion?: number;
  };

/**
 * {@link rotateKey} on a repository already open and locked (several rotations in one
 * staged change, such as the online keys with a policy change).
 */
export async function rotateKeyIn(
  repoDir: RepoDir,
  repo: Parameters<typeof rootStatus>[1],
  change: Parameters<typeof rotateKey>[1],
): Promise<RotatedKey> {
  const { role } = change;
  const { keyids } = keysOfRole(repo, role);
  if (change.keyId === undefined && keyids.length !== 1) {
    throw new PublisherError(
      PUBLISHER_ERRORS.WHICH_KEY,
      `${role} has ${keyids.length} keys: name the one to replace (${keyids.map((id) => id.slice(0, 12)).join(", ")})`,
    );
  }
  const oldId = resolveKeyId(keyids, change.keyId ?? (keyids[0] as string), role);
  const oldScheme = repo.publicKey(oldId)?.scheme;
  const keepScheme =
    oldScheme !== undefined && Object.hasOwn(SUPPORTED_SCHEMES, oldScheme) ? (oldScheme as SignatureScheme) : undefined;
  const key = await repoDir.keyStore(() => repo).createKey(role, change.source(keepScheme));
  if (keyids.includes(key.keyId)) {
    throw new PublisherError(PUBLISHER_ERRORS.KEY_IN_ROLE, `key ${key.keyId.slice(0, 12)} already signs ${role}`);
  }
  repo.addKey(role, key);
  const revoked = takeKeyOff(repo, withKeyEntry(repoDir.config.keys, key.entry), role, oldId);
  // The new key is recorded before metadata lists it; the old one keeps its entry while needed.
  await repoDir.saveConfig({ ...repoDir.config, keys: withKeyEntry(repoDir.config.keys, key.entry) });
  const result = await staged(repoDir, repo);
  await repoDir.saveConfig({ ...repoDir.config, keys: revoked.entries });
  const after = keysOfRole(repo, role);
  const rootVersion = repo.stagedRoot()?.signed.version;
  return {
    ...result,
    role,
    keys: after.keyids,
    threshold: after.threshold,
    revoked: oldId,
    added: keyInfo(key, repoDir.config.keys),
    ...(revoked.file === undefined ? {} : { keyFile: revoked.file }),
    ...(rootVersion === undefined ? {} : { rootVersion }),
  };
}

/**
 * Sets how many of `role`'s keys must sign it; `changed` is false when it already was.
 * @throws {PublisherError} `UNKNOWN_ROLE`, `BAD_THRESHOLD`.
 */
export async function setRoleThreshold(
  dir: string,
  change: { readonly role: string; readonly threshold: number },
  options: PublisherOptions = {},
): Promise<Partial<StagedChange> & { readonly changed: boolean; readonly previous: number; readonly keys: number }> {
  const { role, threshold } = change;
  return withRepository(dir, options, async (repoDir, repo) => {
    const before = keysOfRole(repo, role);
    if (before.threshold === threshold) return { changed: false, previous: threshold, keys: before.keyids.length };
    setThreshold(repo, role, threshold);
    return { ...(await staged(repoDir, repo)), changed: true, previous: before.threshold, keys: before.keyids.length };
  });
}

/** A new delegated role's key: `file` when it was generated here, none when another party holds it. */
export interface DelegatedKey {
  readonly id: string;
  readonly roles: readonly string[];
  readonly scheme: SignatureScheme;
  readonly file?: string;
}

/** Role names Bulwark creates: safe as file names on every system, and never a top-level name. */
const ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A new delegated role. */
export interface Delegation {
  readonly name: string;
  /** The targets role that delegates. Default `targets`. */
  readonly delegator?: string;
  /** Shell-style path patterns the role is trusted for. */
  readonly paths: readonly string[];
  readonly threshold: number;
  readonly terminating?: boolean;
  /** Its keys: generated here (`count` of them), or public key files whose private halves are elsewhere. */
  readonly keys:
    | { readonly generate: SignatureScheme; readonly count: number }
    | { readonly publicKeyFiles: readonly string[] };
}

/**
 * Delegates target paths from a targets role to a new role with new or given keys.
 * @throws {PublisherError} `BAD_ROLE_NAME`, `UNKNOWN_ROLE`, `ROLE_EXISTS`, `BAD_THRESHOLD`;
 *   the key store's errors.
 */
export async function delegateRole(
  dir: string,
  delegation: Delegation,
  options: PublisherOptions = {},
): Promise<
  StagedChange & {
    readonly delegator: string;
    readonly keys: readonly DelegatedKey[];
    /** Whether the keys are held elsewhere (given as public keys): no signer for them is here yet. */
    readonly heldElsewhere: boolean;
  }
> {
  const { name, paths, threshold } = delegation;
  const delegator = delegation.delegator ?? "targets";
  if (!ROLE_NAME.test(name) || (TOP_LEVEL_ROLE_NAMES as readonly string[]).includes(name)) {
    throw new PublisherError(PUBLISHER_ERRORS.BAD_ROLE_NAME, `${JSON.stringify(name)} cannot name a delegated role`, {
      hint: "use letters, digits, '.', '_' and '-' (up to 64), and not a top-level role's name",
    });
  }
  const count = "count" in delegation.keys ? delegation.keys.count : delegation.keys.publicKeyFiles.length;
  if (threshold > count) {
    throw new PublisherError(
      PUBLISHER_ERRORS.BAD_THRESHOLD,
      `--threshold ${threshold} is more than the ${count} key(s) of ${name}`,
    );
  }
  return withRepository(dir, options, async (repoDir, repo) => {
    try {
      repo.targets(delegator);
    } catch (cause) {
      if (!(cause instanceof UsageError)) throw cause;
      throw new PublisherError(
        PUBLISHER_ERRORS.UNKNOWN_ROLE,
        `the repository has no targets role ${JSON.stringify(delegator)}`,
      );
    }
    if (repo.targetsRoleNames().includes(name)) {
      throw new PublisherError(PUBLISHER_ERRORS.ROLE_EXISTS, `a role named ${JSON.stringify(name)} already exists`);
    }
    const spec = delegation.keys;
    const keys: DelegatedKey[] = [];
    const roleKeys: Array<Pick<NewKey, "keyId" | "publicKey">> = [];
    let entries = repoDir.config.keys;
    if ("publicKeyFiles" in spec) {
      // Held by another party: listed in metadata, with no bulwark.json entry until a signer is here.
      for (const file of spec.publicKeyFiles) {
        const { keyId, publicKey, scheme } = await readPublicKeyFile(file);
        roleKeys.push({ keyId, publicKey });
        keys.push({ id: keyId, roles: [name], scheme });
      }
      if (new Set(keys.map((k) => k.id)).size !== keys.length) {
        throw new PublisherError(PUBLISHER_ERRORS.KEY_IN_ROLE, "the same --public-key is given twice");
      }
    } else {
      const store = repoDir.keyStore(() => repo);
      for (let i = 0; i < spec.count; i++) {
        const key = await store.createKey(name, { generate: spec.generate, keyDir: repoDir.paths.keys });
        roleKeys.push(key);
        const { entry } = key;
        keys.push({
          id: entry.id,
          roles: entry.roles,
          scheme: entry.scheme,
          ...("file" in entry ? { file: entry.file } : {}),
        });
        entries = withKeyEntry(entries, key.entry);
      }
    }
    repo.delegate(delegator, {
      name,
      paths: [...paths],
      threshold,
      terminating: delegation.terminating === true,
      keys: roleKeys,
    });
    await repoDir.saveConfig({ ...repoDir.config, keys: entries });
    return {
      ...(await staged(repoDir, repo)),
      delegator,
      keys,
      heldElsewhere: "publicKeyFiles" in spec,
    };
  });
}
