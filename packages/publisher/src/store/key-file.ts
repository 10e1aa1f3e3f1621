/**
 * Private key files at rest (ADR 12): the PKCS#8 DER of the key, encrypted with AES-256-GCM
 * under a key that scrypt derives from the passphrase, in a PEM-like armour around a JSON
 * envelope that records the cost, as cosign's encrypted keys do:
 *
 * ```text
 * -----BEGIN BULWARK ENCRYPTED PRIVATE KEY-----
 * base64 of {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"…"},
 *            "cipher":{"name":"aes-256-gcm","nonce":"…"},"ciphertext":"…"}
 * -----END BULWARK ENCRYPTED PRIVATE KEY-----
 * ```
 *
 * `ciphertext` ends with the 16-byte GCM tag; the tag also covers the envelope's header
 * (label, KDF, salt, cipher, nonce) as associated data. Older files, OpenSSL's encrypted
 * PKCS#8 (PBKDF2, 2,048 iterations), still open; `bulwark key reencrypt` upgrades them.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  type KeyObject,
  randomBytes,
  type ScryptOptions,
  scrypt,
} from "node:crypto";
import { UsageError } from "@bulwark/tuf";

/** The PEM label of a key file in this format. */
export const KEY_FILE_LABEL = "BULWARK ENCRYPTED PRIVATE KEY";

/** scrypt's cost parameters (RFC 7914): `N` the CPU/memory cost, `r` the block size, `p` the parallelism. */
export interface ScryptCost {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** The cost new key files get: 64 MiB, about 0.3 s to derive on the reference machine (ADR 12). */
export const KEY_FILE_COST: ScryptCost = Object.freeze({ N: 2 ** 16, r: 8, p: 1 });

/** The least cost a key file may claim; a file below it is refused, whatever it holds. */
export const KEY_FILE_COST_FLOOR: ScryptCost = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });

/** The most a key file may claim: beyond, merely reading it would take gigabytes or minutes. */
export const KEY_FILE_COST_CEILING: ScryptCost = Object.freeze({ N: 2 ** 20, r: 16, p: 16 });

/** The most memory a key file may make scrypt use (128 · N · r bytes). */
const MAX_SCRYPT_MEMORY = 2 ** 30;

/**
 * For tests only: when this environment variable is `1`, new key files get
 * {@link TEST_ONLY_KEY_FILE_COST} and files that cheap are read. Production never sets it.
 */
export const INSECURE_TEST_KDF_VARIABLE = "BULWARK_INSECURE_TEST_KDF";

/** The cost under {@link INSECURE_TEST_KDF_VARIABLE}: about a millisecond. */
export const TEST_ONLY_KEY_FILE_COST: ScryptCost = Object.freeze({ N: 2 ** 10, r: 8, p: 1 });

const SALT_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** Codes of {@link KeyFileError}. */
export const KEY_FILE_ERRORS = {
  /** A wrong passphrase, or a file whose ciphertext or envelope was changed (the GCM tag fails). */
  KEY_UNREADABLE: "KEY_UNREADABLE",
  /** A key file that is not in a format Bulwark reads, or whose envelope does not parse. */
  BAD_KEY_FILE: "BAD_KEY_FILE",
  /** A key file that claims a cost below {@link KEY_FILE_COST_FLOOR} (or above the ceiling). */
  WEAK_KEY_FILE: "WEAK_KEY_FILE",
} as const;

/** A key file that cannot be opened; `file` names it. */
export class KeyFileError extends UsageError {
  constructor(
    readonly file: string,
    code: (typeof KEY_FILE_ERRORS)[keyof typeof KEY_FILE_ERRORS],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, { ...options, code });
  }
}

/**
 * What a key file holds, as far as can be told without its passphrase: this module's format,
 * OpenSSL's encrypted PKCS#8 (the format before ADR 12), or a private key in clear.
 */
export type KeyFileFormat = "scrypt-aes-256-gcm" | "pkcs8-pbkdf2" | "clear";

/** The format of key file bytes; undefined when they are no private key PEM at all. */
export function keyFileFormat(bytes: Uint8Array): KeyFileFormat | undefined {
  const text = Buffer.from(bytes).toString("latin1");
  if (text.includes(`-----BEGIN ${KEY_FILE_LABEL}-----`)) return "scrypt-aes-256-gcm";
  if (text.includes("-----BEGIN ENCRYPTED PRIVATE KEY-----")) return "pkcs8-pbkdf2";
  if (/-----BEGIN (?:RSA |EC )?PRIVATE KEY-----/.test(text)) return "clear";
  return undefined;
}

/**
 * Whether key file bytes are in the current format at no less than the current cost:
 * nothing for `bulwark key reencrypt` to do.
 * @throws {KeyFileError} `BAD_KEY_FILE`, `WEAK_KEY_FILE` for a damaged envelope or a cost out of bounds.
 */
export function isCurrentKeyFile(bytes: Uint8Array, file: string): boolean {
  if (keyFileFormat(bytes) !== "scrypt-aes-256-gcm") return false;
  const { cost } = parseEnvelope(bytes, file);
  const wanted = writeCost();
  return cost.N >= wanted.N && cost.r >= wanted.r && cost.p >= wanted.p;
}

/** The cost to write new key files with: {@link KEY_FILE_COST} unless a test asked otherwise. */
function writeCost(): ScryptCost {
  return testMode() ? TEST_ONLY_KEY_FILE_COST : KEY_FILE_COST;
}

function testMode(): boolean {
  return process.env[INSECURE_TEST_KDF_VARIABLE] === "1";
}

interface Envelope {
  readonly cost: ScryptCost;
  readonly salt: Buffer;
  readonly nonce: Buffer;
  readonly ciphertext: Buffer;
}

/** The associated data the GCM tag covers: the label and the envelope's header, re-made from the parsed values. */
function associatedData(e: Omit<Envelope, "ciphertext">): Buffer {
  return Buffer.from(
    `${KEY_FILE_LABEL}\n${JSON.stringify({
      kdf: { name: "scrypt", params: { N: e.cost.N, r: e.cost.r, p: e.cost.p }, salt: e.salt.toString("base64") },
      cipher: { name: "aes-256-gcm", nonce: e.nonce.toString("base64") },
    })}`,
  );
}

function deriveKey(passphrase: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const options: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 2 * 128 * cost.N * cost.r + 2 ** 20 };
  return new Promise((resolve, reject) => {
    scrypt(passphrase, salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/**
 * The text of a new key file holding `key`, encrypted under `passphrase`.
 * `cost` is for tests and the benchmark; production code leaves it out.
 */
export async function encryptKeyFile(
  key: KeyObject,
  passphrase: string,
  options: { readonly cost?: ScryptCost } = {},
): Promise<string> {
  const cost = options.cost ?? writeCost();
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const secret = await deriveKey(passphrase, salt, cost);
  const der = key.export({ format: "der", type: "pkcs8" });
  try {
    const cipher = createCipheriv("aes-256-gcm", secret, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData({ cost, salt, nonce }));
    const ciphertext = Buffer.concat([cipher.update(der), cipher.final(), cipher.getAuthTag()]);
    const envelope = {
      kdf: { name: "scrypt", params: { N: cost.N, r: cost.r, p: cost.p }, salt: salt.toString("base64") },
      cipher: { name: "aes-256-gcm", nonce: nonce.toString("base64") },
      ciphertext: ciphertext.toString("base64"),
    };
    const body = Buffer.from(JSON.stringify(envelope)).toString("base64");
    const lines = body.match(/.{1,64}/g) ?? [];
    return `-----BEGIN ${KEY_FILE_LABEL}-----\n${lines.join("\n")}\n-----END ${KEY_FILE_LABEL}-----\n`;
  } finally {
    der.fill(0);
    secret.fill(0);
  }
}

/**
 * The private key in key file bytes, in any format {@link keyFileFormat} names, asking
 * `passphrase` only when the file is encrypted. `file` names the file in errors.
 * @throws {KeyFileError} `KEY_UNREADABLE` for a wrong passphrase or a changed file,
 *   `BAD_KEY_FILE` for bytes that are no key file, `WEAK_KEY_FILE` for a cost outside
 *   {@link KEY_FILE_COST_FLOOR}..{@link KEY_FILE_COST_CEILING}; whatever `passphrase` throws.
 */
export async function decryptKeyFile(
  bytes: Uint8Array,
  file: string,
  passphrase: () => Promise<string>,
): Promise<KeyObject> {
  const format = keyFileFormat(bytes);
  if (format === "scrypt-aes-256-gcm") {
    const envelope = parseEnvelope(bytes, file);
    const secret = await deriveKey(await passphrase(), envelope.salt, envelope.cost);
    let der: Buffer;
    try {
      const body = envelope.ciphertext.subarray(0, envelope.ciphertext.length - TAG_BYTES);
      const decipher = createDecipheriv("aes-256-gcm", secret, envelope.nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(associatedData(envelope));
      decipher.setAuthTag(envelope.ciphertext.subarray(body.length));
      der = Buffer.concat([decipher.update(body), decipher.final()]);
    } catch (cause) {
      throw unreadable(file, cause);
    } finally {
      secret.fill(0);
    }
    try {
      return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    } catch (cause) {
      throw new KeyFileError(file, "BAD_KEY_FILE", `${file} decrypts to no PKCS#8 private key`, { cause });
    } finally {
      der.fill(0);
    }
  }
  if (format === undefined) {
    throw new KeyFileError(file, "BAD_KEY_FILE", `${file} holds no private key (no PEM private key block)`);
  }
  const secret = format === "pkcs8-pbkdf2" ? await passphrase() : undefined;
  const pem = Buffer.from(bytes);
  try {
    return createPrivateKey(secret === undefined ? { key: pem } : { key: pem, passphrase: secret });
  } catch (cause) {
    throw unreadable(file, cause);
  }
}

function unreadable(file: string, cause: unknown): KeyFileError {
  return new KeyFileError(
    file,
    "KEY_UNREADABLE",
    `cannot decrypt the private key ${file}: wrong passphrase, or the file was changed`,
    { cause },
  );
}

/** Parses the armour and the JSON envelope, failing closed on anything unexpected. */
function parseEnvelope(bytes: Uint8Array, file: string): Envelope {
  const bad = (why: string, cause?: unknown) =>
    new KeyFileError(file, "BAD_KEY_FILE", `${file} is not a readable Bulwark key file: ${why}`, { cause });
  const text = Buffer.from(bytes).toString("latin1");
  const match = new RegExp(`-----BEGIN ${KEY_FILE_LABEL}-----([A-Za-z0-9+/=\\s]*)-----END ${KEY_FILE_LABEL}-----`).exec(
    text,
  );
  if (match === null) throw bad("the armour is damaged");
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from((match[1] ?? "").replace(/\s/g, ""), "base64").toString("utf8"));
  } catch (cause) {
    throw bad("the envelope is not JSON", cause);
  }
  const envelope = record(json, "the envelope", bad);
  const kdf = record(envelope.kdf, "kdf", bad);
  if (kdf.name !== "scrypt") throw bad(`kdf.name ${JSON.stringify(kdf.name)} is not scrypt`);
  const params = record(kdf.params, "kdf.params", bad);
  const cost = { N: integer(params.N, "N", bad), r: integer(params.r, "r", bad), p: integer(params.p, "p", bad) };
  checkCost(cost, file);
  const cipher = record(envelope.cipher, "cipher", bad);
  if (cipher.name !== "aes-256-gcm") throw bad(`cipher.name ${JSON.stringify(cipher.name)} is not aes-256-gcm`);
  const salt = base64(kdf.salt, "kdf.salt", bad);
  const nonce = base64(cipher.nonce, "cipher.nonce", bad);
  const ciphertext = base64(envelope.ciphertext, "ciphertext", bad);
  if (salt.length < 16) throw bad("kdf.salt is shorter than 16 bytes");
  if (nonce.length !== NONCE_BYTES) throw bad(`cipher.nonce is not ${NONCE_BYTES} bytes`);
  if (ciphertext.length <= TAG_BYTES) throw bad("the ciphertext is too short");
  return { cost, salt, nonce, ciphertext };
}

/**
 * Refuses a cost below the floor (fail closed: an edited file must not weaken anything) or
 * above the ceiling (reading it would exhaust memory), and an N that is not a power of two.
 */
function checkCost(cost: ScryptCost, file: string): void {
  const floor = testMode() ? TEST_ONLY_KEY_FILE_COST : KEY_FILE_COST_FLOOR;
  const ceiling = KEY_FILE_COST_CEILING;
  const shown = `N=${cost.N}, r=${cost.r}, p=${cost.p}`;
  if (cost.N < floor.N || cost.r < floor.r || cost.p < floor.p) {
    throw new KeyFileError(
      file,
      "WEAK_KEY_FILE",
      `${file} claims a key-derivation cost (${shown}) below the least Bulwark accepts (N=${floor.N}, r=${floor.r}, p=${floor.p})`,
    );
  }
  if (cost.N > ceiling.N || cost.r > ceiling.r || cost.p > ceiling.p || 128 * cost.N * cost.r > MAX_SCRYPT_MEMORY) {
    throw new KeyFileError(
      file,
      "WEAK_KEY_FILE",
      `${file} claims a key-derivation cost (${shown}) above the most Bulwark reads`,
    );
  }
  if ((cost.N & (cost.N - 1)) !== 0) {
    throw new KeyFileError(file, "BAD_KEY_FILE", `${file} claims an scrypt N (${cost.N}) that is not a power of two`);
  }
}

type Bad = (why: string) => KeyFileError;

function record(value: unknown, field: string, bad: Bad): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad(`${field} is not an object`);
  return value as Record<string, unknown>;
}

function integer(value: unknown, field: string, bad: Bad): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw bad(`kdf.params.${field} is not a positive whole number`);
  }
  return value;
}

function base64(value: unknown, field: string, bad: Bad): Buffer {
  if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw bad(`${field} is not base64`);
  }
  return Buffer.from(value, "base64");
}
