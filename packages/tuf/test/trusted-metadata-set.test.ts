/**
 * Every guard of TrustedMetadataSet (spec §5), one test each, in data tables: the loading
 * order (root, then timestamp, snapshot, targets and delegated targets, each only once the
 * one before is final), and the state each step requires of the one before it. Each case
 * asserts the error class and code, and that a refused call changed nothing.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { topLevelSigners } from "@bulwark/testkit";
import {
  BadVersionNumberError,
  type BulwarkError,
  ExpiredMetadataError,
  type ExpiryPolicy,
  PrivateKeySigner,
  Repository,
  RepositoryError,
  TrustedMetadataSet,
  UsageError,
} from "../src/index.js";

const HOUR_MS = 3600 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** The published bytes of a repository whose targets delegate `a`, which delegates `b`. */
interface Published {
  readonly root: Buffer;
  readonly timestamp: Buffer;
  readonly snapshot: Buffer;
  readonly targets: Buffer;
  readonly a: Buffer;
  readonly b: Buffer;
  /** The snapshot of the first publish; the timestamp above lists a newer one. */
  readonly oldSnapshot: Buffer;
  readonly now: number;
}

async function publish(expiry: Partial<ExpiryPolicy> = {}): Promise<Published> {
  const now = Date.now();
  const repo = await Repository.create({ signers: topLevelSigners(), expiry, now: () => now });
  const oldSnapshot = repo.publishedBytes("snapshot") as Buffer;
  repo.delegate("targets", { name: "a", paths: ["a/*"], signers: [PrivateKeySigner.generate()] });
  repo.delegate("a", { name: "b", paths: ["a/b/*"], signers: [PrivateKeySigner.generate()] });
  repo.addTarget({ path: "a/b/file.txt", data: Buffer.from("file") });
  await repo.publish();
  const bytes = (role: string) => repo.publishedBytes(role) as Buffer;
  return {
    root: bytes("root"),
    timestamp: bytes("timestamp"),
    snapshot: bytes("snapshot"),
    targets: bytes("targets"),
    a: bytes("a"),
    b: bytes("b"),
    oldSnapshot,
    now,
  };
}

/** A trusted set at `after` ms past the repository's clock (default: its present). */
function trusted(p: Published, after = 0): TrustedMetadataSet {
  return new TrustedMetadataSet(p.root, { referenceTime: new Date(p.now + after) });
}

/** Runs `step`, which may throw: a refused step that keeps its metadata for rollback protection. */
function tolerate(step: () => unknown): void {
  try {
    step();
  } catch {
    // The refusal under test comes next.
  }
}

/** What a trusted set holds, to check that a refused call changed nothing. */
function state(set: TrustedMetadataSet): unknown[] {
  return [
    set.root.signed.version,
    set.timestamp?.signed.version,
    set.snapshot?.signed.version,
    set.targets?.signed.version,
    set.getTargetsRole("a")?.signed.version,
    set.getTargetsRole("b")?.signed.version,
  ];
}

interface GuardCase {
  readonly name: string;
  /** Expiry policy of the repository, when the case needs short-lived metadata. */
  readonly expiry?: Partial<ExpiryPolicy>;
  /** How far past the repository's clock the client judges expiry, in ms. */
  readonly after?: number;
  /** Loads what the case needs before the guarded call. */
  readonly given: (set: TrustedMetadataSet, p: Published) => void;
  /** The call the guard must refuse. */
  readonly call: (set: TrustedMetadataSet, p: Published) => unknown;
  readonly error: abstract new (...args: never[]) => BulwarkError;
  readonly code: string;
  readonly message: RegExp;
}

const loadToSnapshot = (set: TrustedMetadataSet, p: Published) => {
  set.updateTimestamp(p.timestamp);
  set.updateSnapshot(p.snapshot);
};

const loadToTargets = (set: TrustedMetadataSet, p: Published) => {
  loadToSnapshot(set, p);
  set.updateTargets(p.targets);
};

/** Guards of the loading order: calling a step out of turn is the caller's mistake (UsageError). */
const ORDER: readonly GuardCase[] = [
  {
    name: "refuses a root update once timestamp is loaded (the root is final by then)",
    given: (set, p) => set.updateTimestamp(p.timestamp),
    call: (set, p) => set.updateRoot(p.root),
    error: UsageError,
    code: "USAGE",
    message: /cannot update root after timestamp/,
  },
  {
    name: "refuses a timestamp update once snapshot is loaded",
    given: loadToSnapshot,
    call: (set, p) => set.updateTimestamp(p.timestamp),
    error: UsageError,
    code: "USAGE",
    message: /cannot update timestamp after snapshot/,
  },
  {
    name: "refuses snapshot before timestamp",
    given: () => {},
    call: (set, p) => set.updateSnapshot(p.snapshot),
    error: UsageError,
    code: "USAGE",
    message: /cannot update snapshot before timestamp/,
  },
  {
    name: "refuses a snapshot update once targets is loaded",
    given: loadToTargets,
    call: (set, p) => set.updateSnapshot(p.snapshot),
    error: UsageError,
    code: "USAGE",
    message: /cannot update snapshot after targets/,
  },
  {
    name: "refuses targets before snapshot",
    given: (set, p) => set.updateTimestamp(p.timestamp),
    call: (set, p) => set.updateTargets(p.targets),
    error: UsageError,
    code: "USAGE",
    message: /cannot load targets before snapshot/,
  },
  {
    name: "refuses a delegated role before snapshot",
    given: (set, p) => set.updateTimestamp(p.timestamp),
    call: (set, p) => set.updateDelegatedTargets(p.a, "a", "targets"),
    error: UsageError,
    code: "USAGE",
    message: /cannot load targets before snapshot/,
  },
  {
    name: "refuses a delegated role before its delegator (top-level targets) is loaded",
    given: loadToSnapshot,
    call: (set, p) => set.updateDelegatedTargets(p.a, "a", "targets"),
    error: UsageError,
    code: "USAGE",
    message: /delegator "targets" is not loaded/,
  },
  {
    name: "refuses a delegated role before its delegating role is loaded",
    given: loadToTargets,
    call: (set, p) => set.updateDelegatedTargets(p.b, "b", "a"),
    error: UsageError,
    code: "USAGE",
    message: /delegator "a" is not loaded/,
  },
  {
    name: "refuses to re-verify a delegated role that is not loaded",
    given: loadToTargets,
    call: (set) => set.verifyLoadedDelegate("a", "targets"),
    error: UsageError,
    code: "USAGE",
    message: /a is not loaded/,
  },
  {
    name: "refuses to re-verify a loaded role against a delegator that is not loaded",
    given: (set, p) => {
      loadToTargets(set, p);
      set.updateDelegatedTargets(p.a, "a", "targets");
    },
    call: (set) => set.verifyLoadedDelegate("a", "b"),
    error: UsageError,
    code: "USAGE",
    message: /delegator "b" is not loaded/,
  },
];

/**
 * Guards of finality: each step needs the one before it to be final (valid now, and the
 * version its parent lists), not merely loaded. Metadata a refused step kept for rollback
 * protection never lets the next step through.
 */
const FINALITY: readonly GuardCase[] = [
  {
    name: "refuses timestamp when the final root has expired (freeze attack)",
    after: 400 * DAY_MS,
    given: () => {},
    call: (set, p) => set.updateTimestamp(p.timestamp),
    error: ExpiredMetadataError,
    code: "TUF_EXPIRED_METADATA",
    message: /final root metadata has expired/,
  },
  {
    name: "refuses snapshot while the trusted timestamp is expired (kept only for rollback checks)",
    after: 2 * DAY_MS,
    given: (set, p) => tolerate(() => set.updateTimestamp(p.timestamp)),
    call: (set, p) => set.updateSnapshot(p.snapshot),
    error: ExpiredMetadataError,
    code: "TUF_EXPIRED_METADATA",
    message: /timestamp metadata has expired/,
  },
  {
    name: "refuses targets while the trusted snapshot is expired (kept only for rollback checks)",
    expiry: { snapshot: 3600 },
    after: 2 * HOUR_MS,
    given: (set, p) => {
      set.updateTimestamp(p.timestamp);
      tolerate(() => set.updateSnapshot(p.snapshot));
    },
    call: (set, p) => set.updateTargets(p.targets),
    error: ExpiredMetadataError,
    code: "TUF_EXPIRED_METADATA",
    message: /snapshot metadata has expired/,
  },
  {
    name: "refuses targets while the trusted snapshot is not the version timestamp lists (mix-and-match)",
    given: (set, p) => {
      set.updateTimestamp(p.timestamp);
      // A cached snapshot is loaded as trusted (no hash check), then found to be the old one.
      tolerate(() => set.updateSnapshot(p.oldSnapshot, true));
    },
    call: (set, p) => set.updateTargets(p.targets),
    error: BadVersionNumberError,
    code: "TUF_BAD_VERSION",
    message: /expected snapshot version 2 as the timestamp lists, got 1/,
  },
  {
    name: "refuses a delegated role that the trusted snapshot does not list",
    given: loadToTargets,
    call: (set, p) => set.updateDelegatedTargets(p.a, "c", "targets"),
    error: RepositoryError,
    code: "TUF_NOT_IN_SNAPSHOT",
    message: /snapshot does not list "c"/,
  },
];

function runGuards(cases: readonly GuardCase[]): void {
  for (const c of cases) {
    it(c.name, async () => {
      const p = await publish(c.expiry);
      const set = trusted(p, c.after);
      c.given(set, p);
      const before = state(set);
      assert.throws(
        () => c.call(set, p),
        (error: unknown) => {
          assert.ok(error instanceof c.error, `expected a ${c.error.name}, got ${String(error)}`);
          assert.equal(error.code, c.code, error.message);
          assert.match(error.message, c.message);
          return true;
        },
      );
      assert.deepEqual(state(set), before, "the refused call changed nothing");
    });
  }
}

describe("TrustedMetadataSet loading order", () => runGuards(ORDER));
describe("TrustedMetadataSet finality of each step", () => runGuards(FINALITY));

describe("TrustedMetadataSet in order", () => {
  it("accepts root, timestamp, snapshot, targets and delegated roles in turn (the guards' baseline)", async () => {
    const p = await publish();
    const set = trusted(p);
    loadToTargets(set, p);
    set.updateDelegatedTargets(p.a, "a", "targets");
    set.updateDelegatedTargets(p.b, "b", "a");
    assert.equal(set.verifyLoadedDelegate("b", "a"), set.getTargetsRole("b"));
    assert.deepEqual(state(set), [1, 2, 2, 2, 1, 1]);
  });
});
