/**
 * Attacks through the delegation graph (spec 5.6.7): cycles, graphs over the configured
 * bound, terminating delegations, and a role reached through two delegators whose keys
 * differ (the diamond: trust in a role is per delegation, not per file).
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { describe, it } from "node:test";
import {
  DelegatedRole,
  DelegationLimitError,
  Delegations,
  MetadataFormatError,
  PrivateKeySigner,
  type Signer,
  UnsignedMetadataError,
  type Updater,
} from "../src/index.js";
import { type Env, type Expected, makeEnv, published, readDir, rejection } from "./attacks-kit.js";

/** A delegation `from` → `to`, as the edge of a graph. */
interface Edge {
  readonly from: string;
  readonly to: string;
  readonly paths?: string[];
  readonly terminating?: boolean;
  /** The key `from` trusts for `to`; by default the key `to` is signed with. */
  readonly key?: Signer;
}

/**
 * Publishes a delegation graph. A role's first edge creates it, signed by a key of its
 * own; later edges add the same role name to another delegator, as a repository would.
 */
async function publishGraph(env: Env, edges: readonly Edge[], targets: Record<string, string> = {}): Promise<void> {
  const keys = new Map<string, Signer>();
  for (const edge of edges) {
    const paths = edge.paths ?? ["*"];
    const terminating = edge.terminating ?? false;
    const existing = keys.get(edge.to);
    if (existing === undefined) {
      const signer = edge.key ?? PrivateKeySigner.generate();
      keys.set(edge.to, signer);
      env.repo.delegate(edge.from, { name: edge.to, paths, terminating, signers: [signer] });
      continue;
    }
    const key = edge.key ?? existing;
    const delegator = env.repo.targets(edge.from).signed;
    delegator.delegations ??= new Delegations(new Map(), new Map());
    delegator.delegations.keys.set(key.keyId, key.publicKey);
    delegator.delegations.roles?.set(edge.to, new DelegatedRole(edge.to, [key.keyId], 1, terminating, paths));
    env.repo.touch(edge.from);
  }
  for (const [targetPath, role] of Object.entries(targets)) {
    env.repo.addTarget({ path: targetPath, data: Buffer.from(`${targetPath} in ${role}`) }, role);
  }
  await env.publish();
}

/** How many times the client fetched `role`'s metadata. */
function fetches(env: Env, role: string): number {
  return env.sim.requests.filter((p) => new RegExp(`^metadata/\\d+\\.${role}\\.json$`).test(p)).length;
}

const edges = (...pairs: Array<[string, string]>): Edge[] => pairs.map(([from, to]) => ({ from, to }));

const cycles: Array<{ name: string; graph: Edge[]; roles: string[]; max?: number }> = [
  {
    name: "ends a cycle A → B → A, visiting each role once",
    graph: edges(["targets", "A"], ["A", "B"], ["B", "A"]),
    roles: ["A", "B"],
  },
  { name: "ends a self-delegation A → A, visiting A once", graph: edges(["targets", "A"], ["A", "A"]), roles: ["A"] },
  {
    name: "ends a cycle A → B → C → A, visiting each role once",
    graph: edges(["targets", "A"], ["A", "B"], ["B", "C"], ["C", "A"]),
    roles: ["A", "B", "C"],
  },
  {
    // Three delegated roles are visited; the edge back to A leads to no fourth visit.
    name: "ends a cycle A → B → C → A of exactly maxDelegations roles without a limit error",
    graph: edges(["targets", "A"], ["A", "B"], ["B", "C"], ["C", "A"]),
    roles: ["A", "B", "C"],
    max: 3,
  },
];

describe("delegation cycles", () => {
  for (const c of cycles) {
    it(c.name, async (t) => {
      const env = await makeEnv(t);
      await publishGraph(env, c.graph);
      const u = env.updater(c.max === undefined ? {} : { config: { maxDelegations: c.max } });
      assert.equal(await u.getTargetInfo("nowhere.txt"), undefined);
      for (const role of c.roles) assert.equal(fetches(env, role), 1, `${role} fetched once`);
      assert.deepEqual(readdirSync(env.targetDir), []);
    });
  }

  it("rejects a delegation back to the top-level targets role", async (t) => {
    const env = await makeEnv(t);
    await publishGraph(env, edges(["targets", "A"]));
    const a = env.repo.targets("A").signed;
    const key = PrivateKeySigner.generate();
    a.delegations = new Delegations(
      new Map([[key.keyId, key.publicKey]]),
      new Map([["targets", new DelegatedRole("targets", [key.keyId], 1, false, ["*"])]]),
    );
    env.repo.touch("A");
    await env.publish();
    await assert.rejects(
      env.updater().getTargetInfo("nowhere.txt"),
      rejection({ type: MetadataFormatError, code: "TUF_BAD_METADATA", message: /top-level role name/ }),
    );
    assert.equal(readDir(env.metadataDir).has("A.json"), false);
  });
});

const chain = (n: number): Edge[] =>
  Array.from({ length: n }, (_, i) => ({ from: i === 0 ? "targets" : `d${i}`, to: `d${i + 1}` }));
const siblings = (n: number): Edge[] => Array.from({ length: n }, (_, i) => ({ from: "targets", to: `d${i + 1}` }));
const limitError: Expected = { type: DelegationLimitError, code: "TUF_DELEGATION_LIMIT" };

const limits: Array<{ name: string; graph: Edge[]; max?: number; error?: Expected }> = [
  {
    name: "rejects a delegation chain one role longer than maxDelegations",
    graph: chain(4),
    max: 3,
    error: limitError,
  },
  {
    name: "rejects a delegation chain longer than the default maxDelegations (32)",
    graph: chain(33),
    error: limitError,
  },
  { name: "rejects more sibling delegations than maxDelegations", graph: siblings(4), max: 3, error: limitError },
  { name: "follows a delegation chain exactly maxDelegations long", graph: chain(3), max: 3 },
  { name: "follows as many sibling delegations as maxDelegations", graph: siblings(3), max: 3 },
];

describe("excess delegations", () => {
  for (const c of limits) {
    it(c.name, async (t) => {
      const env = await makeEnv(t);
      const last = c.graph.at(-1)?.to as string;
      await publishGraph(env, c.graph, { "deep.txt": last });
      const u = env.updater(c.max === undefined ? {} : { config: { maxDelegations: c.max } });
      const max = u.config.maxDelegations;
      if (c.error) {
        await assert.rejects(u.getTargetInfo("deep.txt"), rejection(c.error));
        assert.equal(fetches(env, last), 0, `${last}, past the limit, is never fetched`);
        assert.equal(readDir(env.metadataDir).size, 4 + max, "top-level roles and the delegated roles visited");
      } else {
        assert.equal((await u.getTargetInfo("deep.txt"))?.path, "deep.txt");
      }
      assert.deepEqual(readdirSync(env.targetDir), []);
    });
  }
});

const terminating: Array<{
  name: string;
  graph: Edge[];
  holder: string;
  found: boolean;
  visited: string[];
  unvisited: string[];
}> = [
  {
    name: "a terminating delegation stops the search before the later sibling",
    graph: [
      { from: "targets", to: "T", paths: ["apps/*"], terminating: true },
      { from: "targets", to: "O", paths: ["apps/*"] },
    ],
    holder: "O",
    found: false,
    visited: ["T"],
    unvisited: ["O"],
  },
  {
    name: "a terminating delegation deeper in the tree stops backtracking to its ancestors' siblings",
    graph: [
      { from: "targets", to: "A", paths: ["apps/*"] },
      { from: "targets", to: "B", paths: ["apps/*"] },
      { from: "A", to: "T", paths: ["apps/*"], terminating: true },
    ],
    holder: "B",
    found: false,
    visited: ["A", "T"],
    unvisited: ["B"],
  },
  {
    name: "a non-terminating delegation lets the search go on to the later sibling",
    graph: [
      { from: "targets", to: "T", paths: ["apps/*"] },
      { from: "targets", to: "O", paths: ["apps/*"] },
    ],
    holder: "O",
    found: true,
    visited: ["T", "O"],
    unvisited: [],
  },
  {
    name: "a terminating delegation whose paths do not match does not stop the search",
    graph: [
      { from: "targets", to: "T", paths: ["other/*"], terminating: true },
      { from: "targets", to: "O", paths: ["apps/*"] },
    ],
    holder: "O",
    found: true,
    visited: ["O"],
    unvisited: ["T"],
  },
];

describe("terminating delegations", () => {
  for (const c of terminating) {
    it(c.name, async (t) => {
      const env = await makeEnv(t);
      await publishGraph(env, c.graph, { "apps/x": c.holder });
      const info = await env.updater().getTargetInfo("apps/x");
      assert.equal(info?.path, c.found ? "apps/x" : undefined);
      for (const role of c.visited) assert.equal(fetches(env, role), 1, `${role} is fetched once`);
      for (const role of c.unvisited) assert.equal(fetches(env, role), 0, `${role} is never fetched`);
    });
  }
});

/**
 * The diamond: `targets` delegates `a/*` to A and `b/*` to B; both delegate to X, A
 * trusting key KA and B trusting key KB. X is signed with KA only, so X is trusted for
 * lookups through A and never for lookups through B.
 */
async function publishDiamond(env: Env): Promise<void> {
  const ka = PrivateKeySigner.generate();
  const kb = PrivateKeySigner.generate();
  await publishGraph(
    env,
    [
      { from: "targets", to: "A", paths: ["a/*"] },
      { from: "targets", to: "B", paths: ["b/*"] },
      { from: "A", to: "X", paths: ["a/*", "b/*"], key: ka },
      { from: "B", to: "X", paths: ["a/*", "b/*"], key: kb },
    ],
    { "a/file": "X", "b/file": "X" },
  );
}

const viaB: Expected = { type: UnsignedMetadataError, code: "TUF_UNSIGNED_METADATA", message: /^X was signed by 0/ };
type Step = { readonly updater: "same" | "new"; readonly path: string; readonly error?: Expected };

const diamond: Array<{ name: string; steps: Step[] }> = [
  {
    name: "does not trust X through B once X is loaded through A (same updater)",
    steps: [
      { updater: "same", path: "a/file" },
      { updater: "same", path: "b/file", error: viaB },
    ],
  },
  {
    name: "does not trust X through B when X is cached on disk from a lookup through A (new updater)",
    steps: [
      { updater: "same", path: "a/file" },
      { updater: "new", path: "b/file", error: viaB },
    ],
  },
  {
    name: "does not trust X through B on the first lookup, and still trusts it through A after",
    steps: [
      { updater: "same", path: "b/file", error: viaB },
      { updater: "same", path: "a/file" },
    ],
  },
  {
    name: "does not trust X through B, however often it is asked",
    steps: [
      { updater: "same", path: "a/file" },
      { updater: "same", path: "b/file", error: viaB },
      { updater: "same", path: "b/file", error: viaB },
      { updater: "new", path: "a/file" },
      { updater: "same", path: "b/file", error: viaB },
    ],
  },
];

describe("a role delegated by two roles with different keys (diamond)", () => {
  for (const c of diamond) {
    it(c.name, async (t) => {
      const env = await makeEnv(t);
      await publishDiamond(env);
      let u: Updater = env.updater();
      for (const step of c.steps) {
        if (step.updater === "new") u = env.updater();
        const lookup = u.getTargetInfo(step.path);
        if (step.error) await assert.rejects(lookup, rejection(step.error));
        else assert.equal((await lookup)?.path, step.path);
      }
      const x = readDir(env.metadataDir).get("X.json");
      if (x !== undefined) assert.ok(x.equals(published(env.repo, "X")), "X.json is the file signed with KA");
      assert.deepEqual(readdirSync(env.targetDir), []);
    });
  }
});
