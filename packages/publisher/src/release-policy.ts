/**
 * The vendor's side of the release policy in root (verified builds): reading builder keys
 * and refusing a builder that shares a key with the repository. The policy's format, its
 * reader and its writer are @bulwark/attest's policy.ts. Only a new root version, signed
 * by the root keys' thresholds, can change it, so a stolen targets or online key cannot
 * lower a quorum or swap a builder key.
 */
import { promises as fs } from "node:fs";
import { type BuilderPolicy, keyFingerprint } from "@bulwark/attest";
import { BulwarkError, Key, parseJson, type Root } from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "./errors.js";
import { readPublicKeyFile } from "./store/keystore.js";

/**
 * Reads a builder's public key: TUF key JSON (as `bulwark attest keygen` writes it), PEM
 * (SubjectPublicKeyInfo) or an ed25519 key as 64 hex digits.
 * @throws {PublisherError} `BAD_PUBLIC_KEY` when the file holds no usable public key.
 */
export async function readBuilderKey(file: string): Promise<Key> {
  let text: string;
  try {
    text = (await fs.readFile(file, "utf8")).trim();
  } catch (cause) {
    throw new PublisherError(PUBLISHER_ERRORS.BAD_PUBLIC_KEY, `cannot read the builder key file ${file}`, { cause });
  }
  if (!text.startsWith("{")) return (await readPublicKeyFile(file)).publicKey;
  try {
    const key = Key.fromJSON(parseJson(text), file);
    key.publicKey();
    return key;
  } catch (cause) {
    if (!(cause instanceof BulwarkError)) throw cause;
    throw new PublisherError(
      PUBLISHER_ERRORS.BAD_PUBLIC_KEY,
      `${file} is not a usable TUF public key: ${cause.message}`,
    );
  }
}

/**
 * Refuses a builder key that is also one of the repository's own keys: a builder must be
 * independent of the vendor, or one stolen key would both sign and attest.
 * @throws {PublisherError} `BUILDER_KEY_IS_REPOSITORY_KEY`
 */
export function checkIndependent(root: Root, builders: readonly BuilderPolicy[]): void {
  const repositoryKeys = new Map<string, string>();
  for (const [keyId, key] of root.keys) {
    const fingerprint = keyFingerprint(key);
    if (fingerprint !== undefined) repositoryKeys.set(fingerprint, keyId);
  }
  for (const builder of builders) {
    for (const [keyId, key] of builder.keys) {
      const fingerprint = keyFingerprint(key);
      const shared = fingerprint === undefined ? undefined : repositoryKeys.get(fingerprint);
      if (shared === undefined) continue;
      const roles = [...root.roles].filter(([, r]) => r.keyids.includes(shared)).map(([name]) => name);
      throw new PublisherError(
        PUBLISHER_ERRORS.BUILDER_KEY_IS_REPOSITORY_KEY,
        `builder ${builder.id}'s key ${keyId.slice(0, 12)} is also a repository key (${roles.join(", ") || "unused"})`,
        { hint: "give each builder its own key: `bulwark attest keygen --out builder.pem`" },
      );
    }
  }
}
