/**
 * Creating a repository: keys for every top-level role (written encrypted before anything
 * else exists), bulwark.json, and version 1 of every role published in `public/`.
 */
import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import {
  type ExpiryPolicy,
  PrivateKeySigner,
  Repository,
  type SignatureScheme,
  SUPPORTED_SCHEMES,
  TOP_LEVEL_ROLE_NAMES,
  type TopLevelRoleName,
  writeRepositoryFiles,
} from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import type { PublisherOptions } from "../options.js";
import { DEFAULT_CONFIG, type KeyEntry, type RepoConfig } from "../store/config.js";
import { writeKeyFile } from "../store/keystore.js";
import { RepoDir } from "../store/repo-dir.js";

/** How many keys a role gets and how many must sign. */
export interface KeyCount {
  readonly keys: number;
  readonly threshold: number;
}

/** Options of {@link initRepository}. */
export interface InitOptions extends PublisherOptions {
  /** One key for every role, threshold 1: for trying Bulwark out, never for production. */
  readonly singleKey?: boolean;
  /** Root keys. Default 2 of 3. */
  readonly root?: KeyCount;
  /** Targets keys. Default 1 of 1. */
  readonly targets?: KeyCount;
  /** The scheme of the generated keys. Default `ed25519`. */
  readonly scheme?: SignatureScheme;
  /** Where the root private keys go (to be moved offline). Default `DIR/keys/root`. */
  readonly rootKeyDir?: string;
  /** Validity per role, in seconds; the rest from the defaults. */
  readonly expiry?: Partial<ExpiryPolicy>;
  /** Version-prefixed metadata and hash-prefixed targets. Default true. */
  readonly consistentSnapshot?: boolean;
}

/** One role of a new repository. */
export interface InitRole {
  readonly keys: readonly string[];
  readonly threshold: number;
  readonly version: number;
  /** When it expires, in milliseconds since the epoch. */
  readonly expiresAt: number;
}

/** What {@link initRepository} made. */
export interface InitResult {
  readonly dir: string;
  readonly public: string;
  readonly rootKeyDir: string;
  readonly singleKey: boolean;
  readonly roles: Readonly<Record<TopLevelRoleName, InitRole>>;
}

function counts(options: InitOptions): Record<TopLevelRoleName, KeyCount> {
  const one = { keys: 1, threshold: 1 };
  if (options.singleKey) return { root: one, targets: one, snapshot: one, timestamp: one };
  const out = {
    root: options.root ?? { keys: 3, threshold: 2 },
    targets: options.targets ?? one,
    snapshot: one,
    timestamp: one,
  };
  for (const role of TOP_LEVEL_ROLE_NAMES) {
    const { keys, threshold } = out[role];
    if (threshold > keys) {
      throw new PublisherError(
        PUBLISHER_ERRORS.BAD_THRESHOLD,
        `--${role}-threshold ${threshold} is more than the ${keys} ${role} key(s)`,
      );
    }
  }
  return out;
}

/**
 * Creates a repository in `dir`: generates and writes (encrypted, passphrases through
 * `options.passphrase` with purpose `create`) the keys of every top-level role, writes
 * bulwark.json and publishes version 1 of every role in `dir/public/`. When it fails midway,
 * what it created is removed (never other files of a folder that existed before).
 * @throws {PublisherError} `ALREADY_A_REPOSITORY`, `BAD_THRESHOLD`, `UNSUPPORTED_KEY`,
 *   `NO_PASSPHRASE`, `WEAK_PASSPHRASE`.
 */
export async function initRepository(dir: string, options: InitOptions = {}): Promise<InitResult> {
  const cwd = options.cwd ?? process.cwd();
  const abs = path.resolve(cwd, dir);
  if (existsSync(path.join(abs, "bulwark.json"))) {
    throw new PublisherError(PUBLISHER_ERRORS.ALREADY_A_REPOSITORY, `${dir} already holds a Bulwark repository`, {
      hint: "choose an empty folder",
    });
  }
  const scheme = options.scheme ?? "ed25519";
  if (!Object.hasOwn(SUPPORTED_SCHEMES, scheme)) {
    throw new PublisherError(PUBLISHER_ERRORS.UNSUPPORTED_KEY, `unknown scheme ${scheme}`);
  }
  const single = options.singleKey === true;
  const count = counts(options);
  const expiry = { ...DEFAULT_CONFIG.expiry, ...options.expiry };
  const rootKeyDir = path.resolve(cwd, options.rootKeyDir ?? path.join(abs, "keys", "root"));
  const repoDir = RepoDir.create(abs, { ...DEFAULT_CONFIG, expiry }, options);
  // What existed before: a failed init removes only what it created.
  const folders = [rootKeyDir, repoDir.paths.keys, repoDir.paths.public, abs].filter((d) => !existsSync(d));
  const written: string[] = [];
  try {
    return await createRepository();
  } catch (error) {
    for (const file of written) await fs.rm(file, { force: true });
    for (const folder of folders) {
      if (folder === repoDir.paths.public) await fs.rm(folder, { recursive: true, force: true });
      else await fs.rmdir(folder).catch(() => undefined); // kept when something else is in it
    }
    throw error;
  }

  async function createRepository(): Promise<InitResult> {
    // Keys: generated here, written encrypted before anything else exists.
    const signers = {} as Record<TopLevelRoleName, PrivateKeySigner[]>;
    const entries: KeyEntry[] = [];
    const shared = single ? PrivateKeySigner.generate(scheme) : undefined;
    for (const role of TOP_LEVEL_ROLE_NAMES) {
      signers[role] = [];
      for (let i = 0; i < count[role].keys; i++) {
        const signer = shared ?? PrivateKeySigner.generate(scheme);
        signers[role].push(signer);
        if (shared !== undefined && role !== "root") continue;
        const keyDir = role === "root" ? rootKeyDir : repoDir.paths.keys;
        const file = path.join(keyDir, `${single ? "all" : role}-${signer.keyId.slice(0, 12)}.pem`);
        const passphrase = await repoDir.passphrases.get(role, "create");
        written.push(file);
        await writeKeyFile(file, signer, passphrase);
        entries.push({
          id: signer.keyId,
          roles: single ? [...TOP_LEVEL_ROLE_NAMES] : [role],
          scheme,
          file: path.relative(abs, file),
        });
      }
    }
    const thresholds = Object.fromEntries(TOP_LEVEL_ROLE_NAMES.map((r) => [r, count[r].threshold])) as Record<
      TopLevelRoleName,
      number
    >;
    const repo = await Repository.create({
      signers,
      thresholds,
      expiry,
      consistentSnapshot: options.consistentSnapshot ?? true,
      now: repoDir.now,
    });
    await fs.mkdir(repoDir.paths.public, { recursive: true });
    await writeRepositoryFiles(repoDir.paths.public, repo.files());
    const config: RepoConfig = { ...DEFAULT_CONFIG, expiry, keys: entries };
    written.push(repoDir.paths.config);
    await repoDir.saveConfig(config);

    const metadataOf = (role: TopLevelRoleName) =>
      role === "root"
        ? repo.root
        : role === "targets"
          ? repo.targets()
          : role === "snapshot"
            ? repo.snapshot
            : repo.timestamp;
    const roles = Object.fromEntries(
      TOP_LEVEL_ROLE_NAMES.map((role) => {
        const signed = metadataOf(role).signed;
        const info: InitRole = {
          keys: signers[role].map((s) => s.keyId),
          threshold: count[role].threshold,
          version: signed.version,
          expiresAt: signed.expiresAt,
        };
        return [role, info];
      }),
    ) as Record<TopLevelRoleName, InitRole>;
    return { dir: abs, public: repoDir.paths.public, rootKeyDir, singleKey: single, roles };
  }
}
