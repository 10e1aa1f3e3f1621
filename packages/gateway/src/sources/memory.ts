/**
 * What a source saw before, provided by the caller (the gateway's database): the versions
 * it served, the bytes of each, what the feed declared for them, whether they verified,
 * and the feed's validators for conditional requests. {@link InMemorySourceMemory} keeps it
 * in a process, for tests and one-off runs.
 */

/** The feed's HTTP validators, sent back as If-None-Match / If-Modified-Since. */
export interface FeedValidators {
  readonly etag?: string;
  readonly lastModified?: string;
}

/** A version the source served before. */
export interface SeenRelease {
  readonly version: string;
  /** SHA-256 (hex) of each installer, by file name. */
  readonly sha256: Readonly<Record<string, string>>;
  /**
   * What the feed declared for this version (its hashes, signatures and URLs, in a stable
   * form): the same declaration again means the same release, which is never fetched twice.
   */
  readonly declared: string;
  /** Whether it passed every check. */
  readonly verified: boolean;
  /** When it was first seen, ISO 8601. */
  readonly seenAt: string;
}

/**
 * The memory of one source. Implementations persist each call before resolving; the poller
 * writes a version only after its bytes are stored, and the validators last, so a poll that
 * fails half way is simply done again.
 */
export interface SourceMemory {
  /** The validators of the feed at `url`, from its last complete poll. */
  validators(url: string): Promise<FeedValidators | undefined>;
  setValidators(url: string, validators: FeedValidators): Promise<void>;
  /** Every version seen, in the order first seen. */
  releases(): Promise<readonly SeenRelease[]>;
  /** Records a version (replacing an earlier record of the same version). */
  remember(release: SeenRelease): Promise<void>;
}

/** A {@link SourceMemory} held in this process. */
export class InMemorySourceMemory implements SourceMemory {
  private readonly feeds = new Map<string, FeedValidators>();
  private readonly seen = new Map<string, SeenRelease>();

  async validators(url: string): Promise<FeedValidators | undefined> {
    return this.feeds.get(url);
  }

  async setValidators(url: string, validators: FeedValidators): Promise<void> {
    this.feeds.set(url, { ...validators });
  }

  async releases(): Promise<readonly SeenRelease[]> {
    return [...this.seen.values()];
  }

  async remember(release: SeenRelease): Promise<void> {
    this.seen.set(release.version, { ...release, sha256: { ...release.sha256 } });
  }
}
