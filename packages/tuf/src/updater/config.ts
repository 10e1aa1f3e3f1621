/** Limits and switches of the {@link Updater}; every limit is a named default. */
export interface UpdaterConfig {
  /** Most root versions to walk in one refresh (spec 5.3.3). */
  readonly maxRootRotations: number;
  /** Most delegated roles to visit in one target lookup (spec 5.6.7). */
  readonly maxDelegations: number;
  /** Most bytes accepted for one root file (endless data). */
  readonly rootMaxLength: number;
  readonly timestampMaxLength: number;
  /** Used when timestamp does not list the snapshot's length. */
  readonly snapshotMaxLength: number;
  /** Used when snapshot does not list a targets role's length. A flat 100k-target file is ~14 MB. */
  readonly targetsMaxLength: number;
  /** With consistent snapshots, download `<hash>.<name>` targets (spec 5.7.3). */
  readonly prefixTargetsWithHash: boolean;
  /** Accept RFC 3339 dates with fractions or offsets in `expires` (go-tuf repositories). */
  readonly lenientDates: boolean;
}

/** The defaults, the same as python-tuf's where it has one. */
export const DEFAULT_UPDATER_CONFIG: UpdaterConfig = {
  maxRootRotations: 256,
  maxDelegations: 32,
  rootMaxLength: 512_000,
  timestampMaxLength: 16_384,
  snapshotMaxLength: 2_000_000,
  targetsMaxLength: 5_000_000,
  prefixTargetsWithHash: true,
  lenientDates: false,
};
