/**
 * Private keys of a repository: encrypted key files (scrypt and AES-256-GCM, see
 * key-file.ts; passphrase from the caller's callback, see passphrases.ts), external signer
 * commands, or offline keys that sign elsewhere. Keys are loaded, and passphrases asked
 * for, only when a role must be signed.
 */
import { createPrivateKey, createPublicKey, type KeyObject, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import {
  Key,
  keyFromKeyObject,
  PrivateKeySigner,
  type SignatureScheme,
  type Signer,
  StorageError,
  SUPPORTED_SCHEMES,
  syncDirectory,
  UnsupportedAlgorithmError,
} from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import { CommandSigner } from "../external/command-signer.js";
import { type KeyEntry, offlineRefusal, rolesOfflineCannotSign } from "./config.js";
import { decryptKeyFile, encryptKeyFile, type ScryptCost } from "./key-file.js";
import type { Passphrases } from "./passphrases.js";

/** A role name as a file name part: letters, digits, `.`, `_`, `-` kept, anything else `_`. */
function fileSafe(role: string): string {
  return role.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\./, "_");
}

/**
 * Writes a private key encrypted (key-file.ts), readable by its owner only, atomically:
 * a temporary file (mode 0600) is written and fsynced, then renamed over `file`.
 * `options.cost` is for tests and the benchmark; production code leaves it out.
 */
export async function writeKeyFile(
  file: string,
  signer: PrivateKeySigner,
  passphrase: string,
  options: { readonly cost?: ScryptCost } = {},
): Promise<void> {
  const key = createPrivateKey(signer.exportPem());
  await writeSecretFileAtomic(file, Buffer.from(await encryptKeyFile(key, passphrase, options)));
}

/**
 * Writes `bytes` to `file` through a fsynced temporary file of mode 0600 and a rename.
 * @throws {StorageError} when it cannot be written.
 */
export async function writeSecretFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await fs.open(tmp, "wx", 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (cause) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw new StorageError(`cannot write ${file}: ${(cause as Error).message}`, { cause });
  }
  await syncDirectory(dir);
}

/** Where a new key of a role comes from: generated here, an external signer, or offline (root only). */
export type KeySource =
  | { readonly generate: SignatureScheme; readonly keyDir: string }
  | {
      readonly command: string;
      readonly publicKeyFile: string;
      readonly scheme?: SignatureScheme;
      /** Have the command sign a probe first, and refuse it unless the signature verifies. */
      readonly check: boolean;
    }
  | { readonly offline: true; readonly publicKeyFile: string; readonly scheme?: SignatureScheme };

/** A key made or registered for a role: its public half and its bulwark.json entry. */
export interface NewKey {
  readonly keyId: string;
  readonly publicKey: Key;
  readonly entry: KeyEntry;
}

/**
 * The scheme a `node:crypto` key fits: ed25519, ECDSA P-256 or P-384, RSA (PSS), or the
 * scheme asked for when the key fits it.
 * @throws {PublisherError} `UNSUPPORTED_KEY` for another key type or a scheme it does not fit.
 */
export function schemeFor(key: KeyObject, wanted?: SignatureScheme): SignatureScheme {
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const fits: SignatureScheme | undefined =
    type === "ed25519"
      ? "ed25519"
      : type === "rsa" || type === "rsa-pss"
        ? "rsassa-pss-sha256"
        : type === "ec" && curve === "prime256v1"
          ? "ecdsa-sha2-nistp256"
          : type === "ec" && curve === "secp384r1"
            ? "ecdsa-sha2-nistp384"
            : undefined;
  if (fits === undefined || (wanted !== undefined && wanted !== fits)) {
    throw new PublisherError(
      PUBLISHER_ERRORS.UNSUPPORTED_KEY,
      `a ${type ?? "?"}${curve ? ` ${curve}` : ""} key does not fit ${wanted ?? "any supported scheme"}`,
      { hint: `supported: ${Object.keys(SUPPORTED_SCHEMES).join(", ")}` },
    );
  }
  return fits;
}

/**
 * Reads a public key file: PEM (SubjectPublicKeyInfo, as `openssl pkey -pubout` writes
 * it) or an ed25519 key as 64 hex digits. Returns the key as metadata lists it.
 * @throws {PublisherError} `BAD_PUBLIC_KEY` when the file holds no usable public key.
 */
export async function readPublicKeyFile(
  file: string,
  wanted?: SignatureScheme,
): Promise<{ publicKey: Key; keyId: string; scheme: SignatureScheme }> {
  let text: string;
  try {
    text = (await fs.readFile(file, "utf8")).trim();
  } catch (cause) {
    throw new PublisherError(PUBLISHER_ERRORS.BAD_PUBLIC_KEY, `cannot read the public key file ${file}`, { cause });
  }
  let publicKey: Key;
  if (/^[0-9a-fA-F]{64}$/.test(text) && (wanted ?? "ed25519") === "ed25519") {
    publicKey = new Key("ed25519", "ed25519", { public: text.toLowerCase() });
  } else {
    if (text.includes("PRIVATE KEY")) {
      throw new PublisherError(
        PUBLISHER_ERRORS.BAD_PUBLIC_KEY,
        `${file} holds a private key; give the public half only`,
        {
          hint: "extract it with `openssl pkey -in KEY.pem -pubout`",
        },
      );
    }
    let keyObject: KeyObject;
    try {
      keyObject = createPublicKey({ key: text, format: "pem" });
    } catch (cause) {
      throw new PublisherError(
        PUBLISHER_ERRORS.BAD_PUBLIC_KEY,
        `${file} is not a PEM public key or a hex ed25519 key`,
        {
          cause,
        },
      );
    }
    publicKey = keyFromKeyObject(keyObject, schemeFor(keyObject, wanted));
  }
  try {
    publicKey.publicKey();
  } catch (cause) {
    if (!(cause instanceof UnsupportedAlgorithmError)) throw cause;
    throw new PublisherError(PUBLISHER_ERRORS.BAD_PUBLIC_KEY, `${file}: ${cause.message}`, { cause });
  }
  return { publicKey, keyId: publicKey.computeKeyId(), scheme: publicKey.scheme as SignatureScheme };
}

/**
 * A signer from the bytes of a private key file (`file` names it in messages): Bulwark's
 * format or a PKCS#8 PEM, asking `passphrase` only when it is encrypted. The scheme follows
 * from the key unless `wanted` names one it fits.
 * @throws {KeyFileError} `KEY_UNREADABLE` for a wrong passphrase or a changed file,
 *   `BAD_KEY_FILE`, `WEAK_KEY_FILE` (see {@link decryptKeyFile}); {@link PublisherError}
 *   `UNSUPPORTED_KEY`.
 */
export async function privateKeyFromPem(
  pem: Buffer,
  file: string,
  passphrase: () => Promise<string>,
  wanted?: SignatureScheme,
  keyId?: string,
): Promise<PrivateKeySigner> {
  const keyObject = await decryptKeyFile(pem, file, passphrase);
  return new PrivateKeySigner(keyObject, schemeFor(keyObject, wanted), keyId);
}

/** `entries` with `entry` added; an entry for the same key ID gains the entry's roles instead. */
export function withKeyEntry(entries: readonly KeyEntry[], entry: KeyEntry): KeyEntry[] {
  const existing = entries.find((e) => e.id === entry.id);
  if (existing === undefined) return [...entries, entry];
  const roles = [...existing.roles, ...entry.roles.filter((r) => !existing.roles.includes(r))];
  return entries.map((e) => (e === existing ? { ...e, roles } : e));
}

/**
 * `entries` with `role` taken off key `keyId`. The entry itself stays, even with no role
 * left, while a root key: the rotation that revokes it must still carry the old root's
 * threshold of signatures, and may need this key's. Other keys with no role left go.
 */
export function withoutKeyRole(entries: readonly KeyEntry[], keyId: string, role: string): KeyEntry[] {
  return entries.flatMap((e) => {
    if (e.id !== keyId) return [e];
    const roles = e.roles.filter((r) => r !== role);
    return roles.length > 0 || role === "root" ? [{ ...e, roles }] : [];
  });
}

/** The private keys bulwark.json lists, loaded when a role must be signed. */
export class KeyStore {
  private readonly loaded = new Map<string, Signer>();

  constructor(
    private readonly dir: string,
    private readonly entries: readonly KeyEntry[],
    private readonly passphrases: Passphrases,
    /** The public key the repository's metadata lists under a key ID, to catch foreign key files. */
    private readonly publicKeyOf: (keyId: string) => Key | undefined,
  ) {}

  /**
   * Makes or registers a new key for `role`: a generated key is written encrypted under
   * `keyDir` (the role's passphrase, asked for with purpose `create`); an external command
   * is tried once on a probe unless told not to; an offline key is only its public half.
   * @throws {PublisherError} when the public key file or the external command is unusable.
   */
  async createKey(role: string, source: KeySource): Promise<NewKey> {
    if ("generate" in source) {
      const signer = PrivateKeySigner.generate(source.generate);
      const file = path.join(source.keyDir, `${fileSafe(role)}-${signer.keyId.slice(0, 12)}.pem`);
      await writeKeyFile(file, signer, await this.passphrases.get(role, "create"));
      return {
        keyId: signer.keyId,
        publicKey: signer.publicKey,
        entry: { id: signer.keyId, roles: [role], scheme: source.generate, file: path.relative(this.dir, file) },
      };
    }
    if ("offline" in source && rolesOfflineCannotSign([role]).length > 0) {
      throw new PublisherError(PUBLISHER_ERRORS.OFFLINE_NOT_ROOT, offlineRefusal([role]), {
        hint: `add it with \`--external-command CMD --public-key FILE\`, or generate it here (no --offline)`,
      });
    }
    const { publicKey, keyId, scheme } = await readPublicKeyFile(source.publicKeyFile, source.scheme);
    if ("offline" in source) return { keyId, publicKey, entry: { id: keyId, roles: [role], scheme, offline: true } };
    if (source.check) {
      // CommandSigner refuses an answer that does not verify with this public key.
      await new CommandSigner(keyId, publicKey, source.command).sign(
        Buffer.from(`bulwark external signer check for ${keyId}`),
      );
    }
    return { keyId, publicKey, entry: { id: keyId, roles: [role], scheme, command: source.command } };
  }

  /** The signers available here among `keyids`, for signing `role` (offline keys are not). */
  async signersFor(role: string, keyids: readonly string[]): Promise<Signer[]> {
    const out: Signer[] = [];
    for (const entry of this.entries) {
      if (!keyids.includes(entry.id) || "offline" in entry) continue;
      out.push(await this.load(entry, entry.roles[0] ?? role));
    }
    return out;
  }

  private async load(entry: KeyEntry, role: string): Promise<Signer> {
    const cached = this.loaded.get(entry.id);
    if (cached !== undefined) return cached;
    const expected = this.publicKeyOf(entry.id);
    let signer: Signer;
    if ("command" in entry) {
      if (expected === undefined) throw this.unknown(entry);
      signer = new CommandSigner(entry.id, expected, entry.command);
    } else if ("file" in entry) {
      const file = path.resolve(this.dir, entry.file);
      let pem: Buffer;
      try {
        pem = await fs.readFile(file);
      } catch (cause) {
        throw new PublisherError(
          PUBLISHER_ERRORS.MISSING_KEY,
          `the key file ${entry.file} for key ${entry.id.slice(0, 12)} cannot be read`,
          { hint: "restore it, or revoke the key with `bulwark key revoke`", cause },
        );
      }
      const key = await decryptKeyFile(pem, file, () => this.passphrases.get(role));
      signer = new PrivateKeySigner(key, entry.scheme, entry.id);
      if (expected !== undefined && expected.publicValue.trim() !== signer.publicKey.publicValue.trim()) {
        throw new PublisherError(
          PUBLISHER_ERRORS.FOREIGN_KEY,
          `${entry.file} holds another key than the ${entry.id.slice(0, 12)} the repository lists`,
          { hint: "point bulwark.json at the right key file" },
        );
      }
    } else {
      throw this.unknown(entry);
    }
    this.loaded.set(entry.id, signer);
    return signer;
  }

  private unknown(entry: KeyEntry): PublisherError {
    return new PublisherError(
      PUBLISHER_ERRORS.UNKNOWN_KEY,
      `key ${entry.id.slice(0, 12)} is not listed in the repository's metadata`,
    );
  }
}
