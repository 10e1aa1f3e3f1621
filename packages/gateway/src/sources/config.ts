/**
 * Checks a source's configuration before anything is fetched, and parses its keys once:
 * a wrong URL, key or hash is the caller's mistake, told at once, never a release that
 * "fails to verify" later.
 */
import type { KeyObject } from "node:crypto";
import { SourceConfigError } from "./errors.js";
import { detachedSignatureKey, ed25519PublicKey } from "./keys.js";
import { SIGNATURE_ALGORITHMS, SOURCE_KINDS, type SourceConfig } from "./types.js";

function httpUrl(text: string, field: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SourceConfigError(`${field} is not a valid URL: ${JSON.stringify(text)}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new SourceConfigError(`${field} must be an http(s) URL, not ${url.protocol}`);
}

/** The keys a source's checks use, parsed from its configuration. */
export interface SourceKeys {
  /** Sparkle's EdDSA key, or the key of a URL source's detached signature. */
  readonly key?: KeyObject;
}

/**
 * Checks `config` and parses its keys.
 * @throws {SourceConfigError} `SOURCE_BAD_CONFIG` naming the bad field.
 */
export function checkSourceConfig(config: SourceConfig): SourceKeys {
  if (!SOURCE_KINDS.includes(config.kind)) throw new SourceConfigError(`unknown source kind ${String(config.kind)}`);
  if (typeof config.id !== "string" || config.id === "") throw new SourceConfigError("a source needs an id");
  switch (config.kind) {
    case "tuf":
      httpUrl(config.metadataUrl, "metadataUrl");
      httpUrl(config.targetsUrl, "targetsUrl");
      if (config.trustedRoot.length === 0) throw new SourceConfigError("a TUF source needs the root.json to pin");
      if (config.product === "") throw new SourceConfigError("a TUF source needs the product name");
      return {};
    case "electron":
    case "squirrel":
      httpUrl(config.feedUrl, "feedUrl");
      return {};
    case "sparkle":
      httpUrl(config.feedUrl, "feedUrl");
      return { key: ed25519PublicKey(config.publicKey) };
    case "url": {
      httpUrl(config.url, "url");
      if (config.sha256 === undefined && config.signature === undefined) {
        throw new SourceConfigError(
          "a plain URL source needs an expected sha256 or a detached signature",
          "without either, nothing could tell the vendor's bytes from anyone else's",
        );
      }
      if (config.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(config.sha256))
        throw new SourceConfigError("sha256 must be 64 hexadecimal digits");
      if (config.signature === undefined) return {};
      httpUrl(config.signature.url, "signature.url");
      if (!SIGNATURE_ALGORITHMS.includes(config.signature.algorithm))
        throw new SourceConfigError(`signature.algorithm must be one of ${SIGNATURE_ALGORITHMS.join(", ")}`);
      return { key: detachedSignatureKey(config.signature.algorithm, config.signature.publicKey) };
    }
  }
}
