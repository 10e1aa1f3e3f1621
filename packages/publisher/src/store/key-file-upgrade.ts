/**
 * Upgrading key files at rest to the current format (ADR 12): each older file (OpenSSL's
 * encrypted PKCS#8, a key in clear, or this format at a lower cost) is decrypted with its
 * role's passphrase, encrypted again, checked to open to the same key, and renamed over the
 * old file. Files already current are left alone, so running it twice changes nothing.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import { LogDir, logLayout } from "../log/log-dir.js";
import { readWitnessConfig, witnessLayout } from "../log/witness-dir.js";
import type { PublisherOptions } from "../options.js";
import {
  decryptKeyFile,
  encryptKeyFile,
  isCurrentKeyFile,
  KeyFileError,
  type KeyFileFormat,
  keyFileFormat,
} from "./key-file.js";
import { writeSecretFileAtomic } from "./keystore.js";
import { acquireLock } from "./lock.js";
import { Passphrases } from "./passphrases.js";
import { RepoDir } from "./repo-dir.js";

/** A key file, and the role whose passphrase opens it (`root`, `targets`, `log`, `builder`, …). */
export interface RoleKeyFile {
  readonly file: string;
  readonly role: string;
}

/** What {@link reencryptKeyFiles} did with one file. */
export interface ReencryptedKeyFile extends RoleKeyFile {
  /** The format the file was in. */
  readonly format: KeyFileFormat;
  /** `upgraded`: rewritten in the current format; `current`: already was, left as it is. */
  readonly status: "upgraded" | "current";
}

/** What to upgrade: the key files of a folder, and any other key files, each with its role. */
export interface ReencryptRequest {
  /**
   * A repository folder (the key files bulwark.json lists, and its release log's key), a
   * log folder (`bulwark log init`) or a witness folder (`bulwark witness init`).
   */
  readonly dir?: string;
  /** Further key files: a builder's key, a root key kept apart from the repository. */
  readonly files?: readonly RoleKeyFile[];
}

/**
 * Upgrades the key files `request` names, one at a time, holding the folder's lock, and
 * returns what it did with each, in order. Passphrases are asked once per role (`create`
 * for a key in clear, which gets one). Stops at the first file it cannot open: the files
 * before it are upgraded, and running it again skips them.
 * @throws {PublisherError} `NOT_A_REPOSITORY` for a folder that is none of the three,
 *   `MISSING_KEY`, `LOCKED`; {@link KeyFileError} for a wrong passphrase or a damaged file.
 */
export async function reencryptKeyFiles(
  request: ReencryptRequest,
  options: PublisherOptions = {},
): Promise<ReencryptedKeyFile[]> {
  const cwd = options.cwd ?? process.cwd();
  const passphrases = new Passphrases(options.passphrase);
  const extra = (request.files ?? []).map((f) => ({ file: path.resolve(cwd, f.file), role: f.role }));
  const folder = request.dir === undefined ? undefined : await keyFilesOf(path.resolve(cwd, request.dir), options);
  const release = folder === undefined ? undefined : await acquireLock(folder.lock);
  try {
    const seen = new Set<string>();
    const results: ReencryptedKeyFile[] = [];
    for (const key of [...(folder?.files ?? []), ...extra]) {
      if (seen.has(key.file)) continue;
      seen.add(key.file);
      results.push(await reencryptKeyFile(key, passphrases));
    }
    return results;
  } finally {
    await release?.();
  }
}

async function reencryptKeyFile(key: RoleKeyFile, passphrases: Passphrases): Promise<ReencryptedKeyFile> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(key.file);
  } catch (cause) {
    throw new PublisherError(PUBLISHER_ERRORS.MISSING_KEY, `the ${key.role} key file ${key.file} cannot be read`, {
      cause,
    });
  }
  const format = keyFileFormat(bytes) ?? "clear";
  if (isCurrentKeyFile(bytes, key.file)) return { ...key, format, status: "current" };
  const purpose = format === "clear" ? "create" : "unlock";
  const passphrase = () => passphrases.get(key.role, purpose);
  const old = await decryptKeyFile(bytes, key.file, passphrase);
  const text = Buffer.from(await encryptKeyFile(old, await passphrase()));
  // Never replace a key with something that does not open to the same key.
  const again = await decryptKeyFile(text, key.file, passphrase);
  if (!sameKey(old, again)) {
    throw new KeyFileError(key.file, "BAD_KEY_FILE", `re-encrypting ${key.file} did not round-trip; left as it was`);
  }
  await writeSecretFileAtomic(key.file, text);
  return { ...key, format, status: "upgraded" };
}

function sameKey(a: KeyObject, b: KeyObject): boolean {
  const spki = (k: KeyObject) => createPublicKey(k).export({ format: "der", type: "spki" });
  return spki(a).equals(spki(b));
}

/** The key files of a repository, log or witness folder, and the lock that guards it. */
async function keyFilesOf(dir: string, options: PublisherOptions): Promise<{ files: RoleKeyFile[]; lock: string }> {
  if (existsSync(RepoDir.layout(dir).config)) {
    const repo = await RepoDir.open(dir, options);
    const files = repo.config.keys.flatMap((e) =>
      "file" in e ? [{ file: path.resolve(dir, e.file), role: e.roles[0] ?? "root" }] : [],
    );
    const logDir = repo.config.log === undefined ? undefined : path.resolve(dir, repo.config.log.dir);
    if (logDir !== undefined && existsSync(logLayout(logDir).config)) {
      const log = await LogDir.open(logDir);
      files.push({ file: path.resolve(logDir, log.config.key), role: "log" });
    }
    return { files, lock: repo.paths.lock };
  }
  if (existsSync(logLayout(dir).config)) {
    const log = await LogDir.open(dir);
    return { files: [{ file: path.resolve(dir, log.config.key), role: "log" }], lock: log.layout.lock };
  }
  if (existsSync(witnessLayout(dir).config)) {
    const witness = await readWitnessConfig(dir);
    return { files: [{ file: path.resolve(dir, witness.key), role: "witness" }], lock: witnessLayout(dir).lock };
  }
  throw new PublisherError(
    PUBLISHER_ERRORS.NOT_A_REPOSITORY,
    `${dir} is not a repository, log or witness folder (no bulwark.json, log.json or witness.json)`,
    { hint: "name the folder `bulwark repo init`, `log init` or `witness init` made, or give key files with --key" },
  );
}
