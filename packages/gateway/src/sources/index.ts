/**
 * The gateway's sources: for one configured vendor feed, {@link pollSource} finds new
 * releases, fetches each once, checks it as far as the feed allows and returns records with
 * the evidence, plus alerts. Persistence is the caller's, behind {@link SourceMemory}.
 */
export { checkSourceConfig, type SourceKeys } from "./config.js";
export { SOURCE_ERRORS, SourceConfigError, SourceFeedError, SourceFetchError } from "./errors.js";
export {
  type FeedAnswer,
  type FetchContext,
  fetchFeed,
  httpFetchContext,
  SOURCE_LIMITS,
  type SourceLimits,
  type StagedFile,
} from "./fetch.js";
export { type FeedValidators, InMemorySourceMemory, type SeenRelease, type SourceMemory } from "./memory.js";
export { type PollContext, pollSource } from "./poll.js";
export * from "./types.js";
export { compareVersions, newestVersion, squirrelPackageVersion } from "./versions.js";
