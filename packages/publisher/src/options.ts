/**
 * What a caller gives every publisher operation: where passphrases come from, where
 * progress goes, the clock. A library never prompts or prints: the CLI wires its
 * environment variables, prompts and progress bars in here; a server wires its vault and
 * its job log.
 */

/**
 * Gets the passphrase of a role's keys (or of `log`, `witness`, `builder` keys). `create`
 * when a new key is about to be encrypted with it (a terminal asks twice), else `unlock`.
 */
export type PassphraseCallback = (role: string, purpose: "unlock" | "create") => Promise<string>;

/** Progress of one long step (hashing or copying a release file), in bytes. */
export type ProgressEvent =
  | { readonly phase: "start"; readonly label: string; readonly total: number }
  | { readonly phase: "advance"; readonly label: string; readonly bytes: number }
  | { readonly phase: "end"; readonly label: string };

/** Options every operation on a repository takes. */
export interface PublisherOptions {
  /** Where passphrases come from; without it, an operation that needs one fails with `NO_PASSPHRASE`. */
  readonly passphrase?: PassphraseCallback;
  /** Called as release files are hashed and copied. */
  readonly onProgress?: (event: ProgressEvent) => void;
  /** The clock, in milliseconds since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** Relative folder and file names are resolved against this. Default `process.cwd()`. */
  readonly cwd?: string;
  /**
   * Aborts the operation at its next safe point: between chunks of a file being hashed or
   * copied, between files, waiting on witnesses, and before a publish commits (replaces
   * timestamp.json). It then throws `INTERRUPTED` (the signal's reason as its `cause`) with
   * nothing changed; once a publish has committed it finishes and reports
   * `interruptedAfterCommit`.
   */
  readonly signal?: AbortSignal;
}
