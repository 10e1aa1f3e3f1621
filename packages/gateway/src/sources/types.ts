/**
 * What the gateway knows of one vendor source: how it is configured, what a poll finds
 * (release records with the evidence of how each was verified) and the alerts it raises.
 * Plain data, so the database, the API and the audit trail store them as they are.
 */

/** The kinds of feed a source follows. */
export const SOURCE_KINDS = ["tuf", "electron", "sparkle", "squirrel", "url"] as const;
/** One of {@link SOURCE_KINDS}. */
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** A Bulwark (TUF) repository: releases come through `@bulwark/client`, under a pinned root. */
export interface TufSourceConfig {
  readonly kind: "tuf";
  readonly id: string;
  /** Base URL of the repository's metadata (`…/metadata/`). */
  readonly metadataUrl: string;
  /** Base URL of its targets (`…/targets/`). */
  readonly targetsUrl: string;
  /** The root.json the organisation pinned when adding the source (trust on first use only of this). */
  readonly trustedRoot: Uint8Array;
  /** The product name the vendor publishes under. */
  readonly product: string;
  /** `stable` when absent. */
  readonly channel?: string;
  readonly platform?: string;
}

/** An electron-updater feed: `latest.yml`, `latest-mac.yml`, `latest-linux.yml`. */
export interface ElectronSourceConfig {
  readonly kind: "electron";
  readonly id: string;
  readonly feedUrl: string;
}

/** A Sparkle appcast, with the EdDSA public key the app ships with (`SUPublicEDKey`). */
export interface SparkleSourceConfig {
  readonly kind: "sparkle";
  readonly id: string;
  readonly feedUrl: string;
  /** The Ed25519 public key: base64 of its 32 bytes, as in the app's Info.plist. */
  readonly publicKey: string;
}

/** A Squirrel.Windows (or Velopack) RELEASES file; packages are fetched beside it. */
export interface SquirrelSourceConfig {
  readonly kind: "squirrel";
  readonly id: string;
  readonly feedUrl: string;
}

/** The algorithms of a detached signature. */
export const SIGNATURE_ALGORITHMS = ["ed25519", "ecdsa-sha256"] as const;
/** One of {@link SIGNATURE_ALGORITHMS}. */
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

/** A plain URL, checked against an expected sha256 or a detached signature (or both). */
export interface UrlSourceConfig {
  readonly kind: "url";
  readonly id: string;
  readonly url: string;
  /** The version the bytes at the URL are; without it each distinct content is its own release. */
  readonly version?: string;
  /** The expected SHA-256, hex. */
  readonly sha256?: string;
  /** A detached signature over the bytes, fetched from `url` (raw bytes, or base64 text). */
  readonly signature?: {
    readonly url: string;
    readonly algorithm: SignatureAlgorithm;
    /** The public key, PEM (SPKI); for ed25519 also base64 of the raw 32 bytes. */
    readonly publicKey: string;
  };
}

/** How one source is configured. */
export type SourceConfig =
  | TufSourceConfig
  | ElectronSourceConfig
  | SparkleSourceConfig
  | SquirrelSourceConfig
  | UrlSourceConfig;

/**
 * How much a check is worth. `strong`: a signature under a key the organisation pinned, or a
 * hash it pinned; `integrity-only`: a hash the (unsigned) feed gives, which catches corruption
 * but not a server that changes the hash with the file; `weak`: SHA-1, where collisions are
 * practical, from an unsigned feed.
 */
export type CheckStrength = "strong" | "integrity-only" | "weak";

/** One check made on a release, with what it compared. */
export interface Check {
  /** A stable name: `sha512`, `sha1`, `size`, `sha256-pinned`, `sparkle-ed25519`, `detached-signature`, `tuf-signed`, `build-quorum`, `transparency-log`, `tuf-refused`. */
  readonly check: string;
  readonly ok: boolean;
  readonly strength: CheckStrength;
  /** Which artifact it is about, when it is about one. */
  readonly artifact?: string;
  /** What was expected and what was found, for people and the audit trail. */
  readonly detail: string;
}

/** One file of a release, fetched and stored content-addressed in the staging folder. */
export interface FetchedArtifact {
  /** The file name (the last URL segment). */
  readonly name: string;
  readonly url: string;
  /** `installer` (what endpoints install), `blockmap` (electron-builder's differential map) or `signature`. */
  readonly role: "installer" | "blockmap" | "signature";
  readonly size: number;
  /** Lower-case hex. */
  readonly sha256: string;
  /** Its path in the staging folder: `<sha256>`. */
  readonly file: string;
}

/** A release's standing after its checks. */
export type ReleaseStatus = "verified" | "suspicious";

/** One new release a poll found: fetched once, hashed, with the evidence of its checks. */
export interface ReleaseRecord {
  readonly sourceId: string;
  readonly kind: SourceKind;
  readonly version: string;
  readonly status: ReleaseStatus;
  /** The strongest verification that passed: what an approver reads first. */
  readonly verifiedBy: CheckStrength | "nothing";
  readonly artifacts: readonly FetchedArtifact[];
  readonly checks: readonly Check[];
  /** The alerts about this release (a suspicious release has at least one). */
  readonly alerts: readonly SourceAlert[];
  /** When it was fetched, ISO 8601. */
  readonly fetchedAt: string;
}

/** The kinds of alert a source raises. */
export const ALERT_KINDS = ["version-rollback", "bytes-changed", "stopped-verifying", "verification-failed"] as const;
/** One of {@link ALERT_KINDS}. */
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Something a feed did that an honest vendor does not; the release it concerns is suspicious. */
export interface SourceAlert {
  readonly sourceId: string;
  readonly kind: AlertKind;
  /** The version concerned, when there is one. */
  readonly version?: string;
  readonly message: string;
  /** What was seen before and what is served now. */
  readonly evidence: Readonly<Record<string, string>>;
}

/** What one poll found. */
export interface PollResult {
  readonly sourceId: string;
  /** False when the feed answered 304 Not Modified (nothing was fetched) or offered nothing new: no record, no alert. */
  readonly changed: boolean;
  readonly records: readonly ReleaseRecord[];
  /** Alerts of this poll: those of the records, and those about versions served before. */
  readonly alerts: readonly SourceAlert[];
}
