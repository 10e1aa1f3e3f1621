import { constants, createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { canonicalize } from "./canonical-json.js";
import { UnsupportedAlgorithmError } from "./errors.js";
import { FieldReader, NO_FIELDS, type Unrecognized, withOrder, withUnrecognized } from "./fields.js";
import type { JsonObject, JsonValue } from "./json.js";

/** The key types and signature schemes this implementation verifies and signs with. */
export const SUPPORTED_SCHEMES = {
  ed25519: ["ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa", "ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa", "ecdsa-sha2-nistp384"],
  "rsassa-pss-sha256": ["rsa"],
} as const satisfies Record<string, readonly string[]>;

/** A signature scheme name as it appears in metadata. */
export type SignatureScheme = keyof typeof SUPPORTED_SCHEMES;

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/**
 * A public key as TUF metadata writes it (`keytype`, `scheme`, `keyval.public`).
 * The key ID is held by whoever refers to the key (root or delegations), not here:
 * key IDs are opaque labels and are never recomputed to check them.
 */
export class Key {
  /** Field order of the parsed source, kept so it re-serialises byte for byte. */
  keyOrder: readonly string[] | undefined = undefined;
  private keyObject: KeyObject | undefined;

  constructor(
    readonly keytype: string,
    readonly scheme: string,
    readonly keyval: Readonly<Record<string, JsonValue>>,
    readonly unrecognized: Unrecognized = NO_FIELDS,
  ) {}

  /** @throws {MetadataFormatError} when a field is missing or of the wrong type. */
  static fromJSON(value: JsonValue | undefined, where: string, level = 4): Key {
    const r = FieldReader.of(value, where, level);
    const keytype = r.string("keytype");
    const scheme = r.string("scheme");
    const keyvalReader = FieldReader.of(r.object("keyval"), `${where}.keyval`, level + 1);
    keyvalReader.string("public");
    const keyval = r.object("keyval");
    return withOrder(new Key(keytype, scheme, keyval, r.rest()), r);
  }

  toJSON(): JsonObject {
    return withUnrecognized(
      [
        ["keytype", this.keytype],
        ["scheme", this.scheme],
        ["keyval", { ...this.keyval }],
      ],
      this.unrecognized,
      this.keyOrder,
    );
  }

  /** The public key value (hex for ed25519, PEM for ecdsa and rsa). */
  get publicValue(): string {
    return this.keyval.public as string;
  }

  /** The key ID the spec suggests for a new key: SHA-256 of its canonical JSON. */
  computeKeyId(): string {
    return createHash("sha256").update(canonicalize(this.toJSON())).digest("hex");
  }

  /**
   * The key as a `node:crypto` public key, parsed once.
   * @throws {UnsupportedAlgorithmError} for an unknown scheme, a keytype that does not
   * fit it, or a public value in a non-compliant encoding.
   */
  publicKey(): KeyObject {
    this.keyObject ??= this.parsePublicKey();
    return this.keyObject;
  }

  private parsePublicKey(): KeyObject {
    const keytypes = (SUPPORTED_SCHEMES as Record<string, readonly string[]>)[this.scheme];
    if (keytypes === undefined || !Object.hasOwn(SUPPORTED_SCHEMES, this.scheme)) {
      throw new UnsupportedAlgorithmError(`signature scheme ${JSON.stringify(this.scheme)} is not supported`);
    }
    if (!keytypes.includes(this.keytype)) {
      throw new UnsupportedAlgorithmError(
        `keytype ${JSON.stringify(this.keytype)} does not fit scheme ${JSON.stringify(this.scheme)}`,
      );
    }
    const value = this.publicValue;
    if (this.scheme === "ed25519") {
      if (value.length !== 64 || !HEX.test(value)) {
        throw new UnsupportedAlgorithmError("an ed25519 public key must be 32 bytes in hex");
      }
      return createPublicKey({
        key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(value, "hex")]),
        format: "der",
        type: "spki",
      });
    }
    if (!value.trimStart().startsWith("-----BEGIN PUBLIC KEY-----")) {
      throw new UnsupportedAlgorithmError(
        `a ${this.keytype} public key must be a PEM SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----"); ` +
          "this one is in a non-compliant encoding (for example a hex EC point)",
      );
    }
    let key: KeyObject;
    try {
      key = createPublicKey({ key: value, format: "pem" });
    } catch (cause) {
      throw new UnsupportedAlgorithmError(`the ${this.keytype} public key is not a valid PEM key`, { cause });
    }
    const expected =
      this.scheme === "rsassa-pss-sha256"
        ? ["rsa", "rsa-pss"]
        : this.scheme === "ecdsa-sha2-nistp256"
          ? ["ec:prime256v1"]
          : ["ec:secp384r1"];
    const actual =
      key.asymmetricKeyType === "ec"
        ? `ec:${key.asymmetricKeyDetails?.namedCurve ?? "?"}`
        : (key.asymmetricKeyType ?? "?");
    if (!expected.includes(actual)) {
      throw new UnsupportedAlgorithmError(`the PEM key is ${actual}, which does not fit scheme ${this.scheme}`);
    }
    return key;
  }

  /**
   * Verifies a hex signature over `data`. Returns false for a bad signature, including
   * a signature that is not hex.
   * @throws {UnsupportedAlgorithmError} when the key itself cannot be used.
   */
  verify(data: Uint8Array, signatureHex: string): boolean {
    const key = this.publicKey();
    if (signatureHex.length === 0 || !HEX.test(signatureHex)) return false;
    const sig = Buffer.from(signatureHex, "hex");
    try {
      switch (this.scheme) {
        case "ed25519":
          return cryptoVerify(null, data, key, sig);
        case "ecdsa-sha2-nistp256":
          return cryptoVerify("sha256", data, key, sig);
        case "ecdsa-sha2-nistp384":
          return cryptoVerify("sha384", data, key, sig);
        default:
          return cryptoVerify(
            "sha256",
            data,
            { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
            sig,
          );
      }
    } catch {
      // OpenSSL throws on malformed DER signatures: that is a bad signature, not a crash.
      return false;
    }
  }
}
