import {
  constants,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import { UsageError } from "./errors.js";
import { Key, type SignatureScheme } from "./keys.js";

/**
 * Anything that can sign metadata: a private key in memory, a KMS, an HSM or a person
 * with an offline machine. Signing is asynchronous so that remote signers fit.
 */
export interface Signer {
  /** The key ID under which the signature is recorded. */
  readonly keyId: string;
  /** The public half, as written into root or delegations. */
  readonly publicKey: Key;
  /** Signs `data` and returns the raw signature bytes. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** The public {@link Key} that describes a `node:crypto` key for `scheme`. */
export function keyFromKeyObject(keyObject: KeyObject, scheme: SignatureScheme): Key {
  const pub = keyObject.type === "private" ? createPublicKey(keyObject) : keyObject;
  if (scheme === "ed25519") {
    const der = pub.export({ format: "der", type: "spki" });
    return new Key("ed25519", "ed25519", { public: der.subarray(der.length - 32).toString("hex") });
  }
  const pem = pub.export({ format: "pem", type: "spki" }).toString();
  return new Key(scheme === "rsassa-pss-sha256" ? "rsa" : "ecdsa", scheme, { public: pem });
}

/** A {@link Signer} holding a private key in memory (tests, development, CI keys). */
export class PrivateKeySigner implements Signer {
  readonly publicKey: Key;
  readonly keyId: string;

  constructor(
    private readonly privateKey: KeyObject,
    readonly scheme: SignatureScheme,
    keyId?: string,
  ) {
    if (privateKey.type !== "private") throw new UsageError("PrivateKeySigner needs a private key");
    this.publicKey = keyFromKeyObject(privateKey, scheme);
    this.keyId = keyId ?? this.publicKey.computeKeyId();
  }

  /** A new random key for `scheme` (ed25519 unless told otherwise). */
  static generate(scheme: SignatureScheme = "ed25519"): PrivateKeySigner {
    const { privateKey } =
      scheme === "ed25519"
        ? generateKeyPairSync("ed25519")
        : scheme === "rsassa-pss-sha256"
          ? generateKeyPairSync("rsa", { modulusLength: 3072 })
          : generateKeyPairSync("ec", { namedCurve: scheme === "ecdsa-sha2-nistp256" ? "P-256" : "P-384" });
    return new PrivateKeySigner(privateKey, scheme);
  }

  /**
   * A signer from a PKCS#8 PEM private key, optionally encrypted.
   * @throws {UsageError} when the PEM cannot be read (wrong passphrase, not a key).
   */
  static fromPem(pem: string | Buffer, scheme: SignatureScheme, passphrase?: string, keyId?: string): PrivateKeySigner {
    let key: KeyObject;
    try {
      key = createPrivateKey(passphrase === undefined ? { key: pem } : { key: pem, passphrase });
    } catch (cause) {
      throw new UsageError("cannot read the private key: wrong passphrase or not a PEM private key", {
        cause,
        code: "KEY_UNREADABLE",
      });
    }
    return new PrivateKeySigner(key, scheme, keyId);
  }

  /** The private key as PKCS#8 PEM, encrypted with AES-256-CBC when a passphrase is given. */
  exportPem(passphrase?: string): string {
    return this.privateKey
      .export(
        passphrase === undefined
          ? { format: "pem", type: "pkcs8" }
          : { format: "pem", type: "pkcs8", cipher: "aes-256-cbc", passphrase },
      )
      .toString();
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    return this.signSync(data);
  }

  /** Signs synchronously (in-memory keys only). */
  signSync(data: Uint8Array): Buffer {
    switch (this.scheme) {
      case "ed25519":
        return cryptoSign(null, data, this.privateKey);
      case "ecdsa-sha2-nistp256":
        return cryptoSign("sha256", data, this.privateKey);
      case "ecdsa-sha2-nistp384":
        return cryptoSign("sha384", data, this.privateKey);
      default:
        return cryptoSign("sha256", data, {
          key: this.privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: 32,
        });
    }
  }
}
