/**
 * Releases as the vendor publishes them: each release file is a TUF target whose signed
 * `custom.bulwark` says what it is (name, version, channel, platform, rollout, revocation),
 * and `NAME/index.json` — itself a target, so its hash is signed — lists them for discovery.
 * Everything the client acts on (rollout, revocation) is read from the signed target entry,
 * never from the index alone.
 */
import { isJsonObject, type JsonObject, type JsonValue, parseJson, type TargetFile } from "@bulwark/tuf";
import type { UnpackedSize } from "./archive/limits.js";
import { CLIENT_ERRORS, ClientError } from "./errors.js";
import { parseSemver } from "./semver.js";

/** The schema tag of release indexes. */
export const RELEASE_INDEX_FORMAT = "bulwark-release-index/v1";

/** One release file in the index. */
export interface IndexEntry {
  /** The release's semantic version. */
  readonly version: string;
  /** The channel it is published on. */
  readonly channel: string;
  /** The platform it is for; absent for every platform. */
  readonly platform?: string;
  /** The TUF target path of the release file. */
  readonly target: string;
}

/** `NAME/index.json`. */
export interface ReleaseIndex {
  /** The product name. */
  readonly name: string;
  /** Its release files. */
  readonly releases: readonly IndexEntry[];
}

/** The target path of a product's release index. */
export function indexPath(name: string): string {
  return `${name}/index.json`;
}

function bad(message: string): ClientError {
  return new ClientError(CLIENT_ERRORS.BAD_INDEX, message);
}

/**
 * Parses a release index (bytes already verified against their signed hash).
 * @throws {ClientError} `CLIENT_BAD_INDEX`
 */
export function parseReleaseIndex(bytes: Uint8Array, expectedName: string): ReleaseIndex {
  let json: ReturnType<typeof parseJson>;
  try {
    json = parseJson(bytes);
  } catch (cause) {
    throw new ClientError(CLIENT_ERRORS.BAD_INDEX, "the release index is not valid JSON", { cause });
  }
  if (!isJsonObject(json) || json.format !== RELEASE_INDEX_FORMAT)
    throw bad(`the release index is not ${RELEASE_INDEX_FORMAT}`);
  if (json.name !== expectedName)
    throw bad(`the release index is for ${JSON.stringify(json.name)}, not ${JSON.stringify(expectedName)}`);
  if (!Array.isArray(json.releases)) throw bad("the release index has no releases array");
  const releases = json.releases.map((r, i): IndexEntry => {
    if (!isJsonObject(r)) throw bad(`releases[${i}] is not an object`);
    const { version, channel, platform, target } = r;
    if (typeof version !== "string" || parseSemver(version) === undefined)
      throw bad(`releases[${i}].version is not semver`);
    if (typeof channel !== "string" || typeof target !== "string") throw bad(`releases[${i}] needs channel and target`);
    if (platform !== undefined && typeof platform !== "string") throw bad(`releases[${i}].platform must be a string`);
    return { version, channel, target, ...(platform === undefined ? {} : { platform }) };
  });
  return { name: expectedName, releases };
}

/** Serialises a release index (the vendor side). */
export function formatReleaseIndex(index: ReleaseIndex): Buffer {
  return Buffer.from(
    `${JSON.stringify({ format: RELEASE_INDEX_FORMAT, name: index.name, releases: index.releases }, null, 1)}\n`,
  );
}

/** A release file, as its signed target entry describes it. */
export interface Release {
  /** The product name. */
  readonly name: string;
  /** The release's semantic version. */
  readonly version: string;
  /** The channel it is published on. */
  readonly channel: string;
  /** The platform it is for; absent for every platform. */
  readonly platform?: string;
  /** Percentage of clients offered this release (100 when not staged). */
  readonly rollout: number;
  /** Set when the vendor revoked the release (kill switch). */
  readonly revoked?: { readonly at?: string; readonly reason?: string };
  /** When the vendor released it (ISO 8601), as the vendor says. */
  readonly released?: string;
  /**
   * Target paths of the release file's attestation bundles (verified builds), as signed in
   * `custom.bulwark.attestations`; checked against the root's release policy before install.
   */
  readonly attestations?: readonly string[];
  /** The source the release was built from, `sha1:<hex>` or `sha256:<hex>` (`custom.bulwark.source`). */
  readonly source?: string;
  /**
   * What the archive unpacks to, as `release add` measured it (`custom.bulwark.unpacked`):
   * extraction stops past either number. Absent for a file that is not an archive.
   */
  readonly unpacked?: UnpackedSize;
  /** The signed TUF target: path, length and hashes. */
  readonly target: TargetFile;
}

/**
 * Reads `custom.bulwark` of a signed target entry, or undefined when the target carries no
 * Bulwark release metadata (or malformed metadata, which is ignored: fail closed).
 */
export function releaseOf(target: TargetFile): Release | undefined {
  const meta: JsonObject | undefined = target.custom;
  const b = meta?.bulwark;
  if (!isJsonObject(b)) return undefined;
  const { name, version, channel, platform, rollout, revoked, released, attestations, source } = b;
  const unpacked = b.unpacked === undefined ? undefined : unpackedOf(b.unpacked);
  if (unpacked === null) return undefined;
  if (typeof name !== "string" || typeof version !== "string" || parseSemver(version) === undefined) return undefined;
  if (typeof channel !== "string") return undefined;
  if (platform !== undefined && typeof platform !== "string") return undefined;
  if (attestations !== undefined && !(Array.isArray(attestations) && attestations.every((p) => typeof p === "string")))
    return undefined;
  if (source !== undefined && typeof source !== "string") return undefined;
  let percent = 100;
  if (rollout !== undefined) {
    if (
      !isJsonObject(rollout) ||
      typeof rollout.percent !== "number" ||
      !(rollout.percent >= 0 && rollout.percent <= 100)
    ) {
      return undefined;
    }
    percent = rollout.percent;
  }
  let revocation: Release["revoked"];
  if (revoked !== undefined && revoked !== false) {
    const r = isJsonObject(revoked) ? revoked : {};
    revocation = {
      ...(typeof r.at === "string" ? { at: r.at } : {}),
      ...(typeof r.reason === "string" ? { reason: r.reason } : {}),
    };
  }
  return {
    name,
    version,
    channel,
    rollout: percent,
    target,
    ...(typeof platform === "string" ? { platform } : {}),
    ...(revocation === undefined ? {} : { revoked: revocation }),
    ...(typeof released === "string" ? { released } : {}),
    ...(attestations === undefined ? {} : { attestations: attestations as string[] }),
    ...(typeof source === "string" ? { source } : {}),
    ...(unpacked === undefined ? {} : { unpacked }),
  };
}

/** `custom.bulwark.unpacked`, or null when malformed (the release is then ignored: fail closed). */
function unpackedOf(value: JsonValue): UnpackedSize | null {
  if (!isJsonObject(value)) return null;
  const count = (n: JsonValue | undefined) => (typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : null);
  const bytes = count(value.bytes);
  const entries = count(value.entries);
  return bytes === null || entries === null ? null : { bytes, entries };
}

/** What the vendor writes in `custom.bulwark` when it lists a release file. */
export interface ReleaseFields {
  readonly name: string;
  readonly version: string;
  readonly channel: string;
  /** When it was listed, `YYYY-MM-DDTHH:MM:SSZ`. */
  readonly released: string;
  readonly platform?: string | undefined;
  /** `sha1:<hex>` or `sha256:<hex>`. */
  readonly source?: string | undefined;
  /** Target paths of its attestation bundles. */
  readonly attestations?: readonly string[] | undefined;
  /** What the archive unpacks to (see {@link Release.unpacked}). */
  readonly unpacked?: UnpackedSize | undefined;
}

/** Writes `custom.bulwark` of a release target (its other custom fields kept): what {@link releaseOf} reads. */
export function writeReleaseMetadata(target: TargetFile, fields: ReleaseFields): void {
  const { platform, source, attestations, unpacked } = fields;
  target.custom = {
    ...target.custom,
    bulwark: {
      name: fields.name,
      version: fields.version,
      channel: fields.channel,
      released: fields.released,
      ...(platform ? { platform } : {}),
      ...(source === undefined ? {} : { source }),
      ...(attestations === undefined ? {} : { attestations: [...attestations] }),
      ...(unpacked === undefined ? {} : { unpacked: { bytes: unpacked.bytes, entries: unpacked.entries } }),
    },
  };
}

/** Sets the rollout percentage of a release target (`custom.bulwark.rollout.percent`). */
export function writeRollout(target: TargetFile, percent: number): void {
  editBulwark(target, (b) => ({ ...b, rollout: { percent } }));
}

/** Marks a release target revoked (`custom.bulwark.revoked`), the vendor's kill switch. */
export function writeRevocation(target: TargetFile, revoked: { readonly at: string; readonly reason?: string }): void {
  editBulwark(target, (b) => ({
    ...b,
    revoked: { at: revoked.at, ...(revoked.reason ? { reason: revoked.reason } : {}) },
  }));
}

function editBulwark(target: TargetFile, edit: (bulwark: JsonObject) => JsonObject): void {
  const custom = target.custom ?? {};
  const bulwark = isJsonObject(custom.bulwark) ? custom.bulwark : {};
  target.custom = { ...custom, bulwark: edit({ ...bulwark }) };
}
