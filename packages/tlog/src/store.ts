/**
 * Where a tiled log keeps its resources: flat keys (`checkpoint`, `tile/0/x001/234`, …)
 * mapped to bytes. The same keys work as folder paths, URL paths and object-store keys.
 */

/** Read access to a log's resources. Servers are untrusted: every byte read is verified. */
export interface LogStore {
  /** The bytes stored at `key`, or undefined when there are none. */
  get(key: string): Promise<Uint8Array | undefined>;
}

/** A store a log writer can write to. */
export interface WritableLogStore extends LogStore {
  /**
   * Stores `data` at `key` atomically: readers see the old bytes or the new ones, never a
   * mix. Durability is only promised after {@link WritableLogStore.sync}.
   */
  put(key: string, data: Uint8Array): Promise<void>;
  /** Makes every earlier `put` durable (a crash afterwards loses none of them). */
  sync(): Promise<void>;
}

/** The key of the log's latest checkpoint. */
export const CHECKPOINT_KEY = "checkpoint";

/** A store in memory, for tests and for building a log before publishing it. */
export class MemoryStore implements WritableLogStore {
  readonly #data = new Map<string, Uint8Array>();

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.#data.get(key);
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    this.#data.set(key, new Uint8Array(data));
  }

  async sync(): Promise<void> {}

  /** Every key stored, sorted. */
  keys(): string[] {
    return [...this.#data.keys()].sort();
  }

  /** Removes a key (to simulate a server that lost or pruned a resource). */
  delete(key: string): void {
    this.#data.delete(key);
  }
}
