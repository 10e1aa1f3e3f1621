import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type Database,
  decide,
  formatTrailEntry,
  migrate,
  POLICY_ERRORS,
  PolicyError,
  PolicyStore,
  parseTrailEntry,
  type TrailActor,
  type TrailEntry,
} from "../src/index.js";
import { BACKENDS, withDatabase } from "./db-backends.js";
import { after, BAD_SHA, DAY, HOUR, POLICY_DOCUMENT, RELEASE, SHA } from "./policy-fixtures.js";

const ADMIN: TrailActor = { kind: "user", id: "admin@example.org" };
const NOW = after(3 * DAY);

async function addSource(db: Database, name: string): Promise<number> {
  const [row] = await db.query(
    "INSERT INTO sources (name, kind, config, created_at, updated_at) VALUES ($1, 'electron', '{}', 1, 1) RETURNING id",
    [name],
  );
  return Number(row?.id);
}

async function addRelease(
  db: Database,
  sourceId: number,
  version: string,
  fields: { sha256?: string; signer?: string; state?: string } = {},
): Promise<number> {
  const [row] = await db.query(
    `INSERT INTO releases (source_id, version, url, sha256, size, state, evidence, created_at, updated_at)
     VALUES ($1, $2, $3, $4, 10, $5, $6, 1, 1) RETURNING id`,
    [
      sourceId,
      version,
      `https://acme.example/${version}`,
      fields.sha256 ?? SHA,
      fields.state ?? "scanned",
      JSON.stringify(fields.signer === undefined ? {} : { signer: fields.signer }),
    ],
  );
  return Number(row?.id);
}

/** A migrated database with alice, bob, carol and the fixture policy, a source `manual` and one release. */
async function setUp(db: Database): Promise<{ store: PolicyStore; sourceId: number; releaseId: number }> {
  await migrate(db);
  const store = new PolicyStore(db);
  for (const id of ["alice", "bob", "carol"]) await store.addApprover({ id, name: id.toUpperCase() }, ADMIN, NOW);
  await store.savePolicy(POLICY_DOCUMENT, ADMIN, NOW);
  const sourceId = await addSource(db, "manual");
  return { store, sourceId, releaseId: await addRelease(db, sourceId, "1.2.0") };
}

/** The entry is a valid trail entry: it formats and parses back. */
function assertTrail(entry: TrailEntry, action: TrailEntry["action"], subject: string): void {
  assert.equal(entry.action, action);
  assert.equal(`${entry.subject.kind}:${entry.subject.id}`, subject);
  assert.deepEqual(parseTrailEntry(formatTrailEntry(entry)), entry);
}

const refused = (code: string) => (e: unknown) => e instanceof PolicyError && e.code === code;

for (const backend of BACKENDS) {
  describe(`policy state on ${backend.name}`, { skip: backend.skip }, () => {
    test("a saved policy is in force, its rings recorded; every version is kept", () =>
      withDatabase(backend, async (db) => {
        const { store } = await setUp(db);
        const saved = await store.savePolicy({ rings: [{ name: "all" }] }, ADMIN, NOW);
        assertTrail(saved.trail, "policy.changed", `policy:${saved.result.id}`);
        assert.equal(saved.trail.details.digest?.toString().length, 64);
        const active = await store.policy();
        assert.deepEqual(
          active?.policy.rings.map((r) => r.name),
          ["all"],
        );
        const rings = await db.query(
          "SELECT policy_id, position, name, delay_ms FROM rings ORDER BY policy_id, position",
        );
        assert.deepEqual(
          rings.map((r) => [Number(r.policy_id), r.name, Number(r.delay_ms)]),
          [
            [1, "canary", 0],
            [1, "early", DAY],
            [1, "broad", 3 * DAY],
            [2, "all", 0],
          ],
        );
      }));

    test("a policy naming an unregistered approver, or that does not check, is refused", () =>
      withDatabase(backend, async (db) => {
        const { store } = await setUp(db);
        const withDave = { ...POLICY_DOCUMENT, default: { approvals: { required: 1, approvers: ["dave"] } } };
        await assert.rejects(store.savePolicy(withDave, ADMIN, NOW), refused(POLICY_ERRORS.INVALID));
        await assert.rejects(
          store.savePolicy({ ...POLICY_DOCUMENT, default: { soke: "2d" } }, ADMIN, NOW),
          (e: unknown) => {
            assert.equal((e as { code?: string }).code, "POLICY_INVALID");
            assert.match((e as Error).message, /`default.soke`: unknown key; did you mean `soak`\?/);
            return true;
          },
        );
        assert.equal((await store.policy())?.id, 1, "nothing saved");
      }));

    test("approvals recorded, then read back; 2 of 2 approve the ring; the ring publishes once marked", () =>
      withDatabase(backend, async (db) => {
        const { store, releaseId } = await setUp(db);
        const first = await store.recordApproval(
          { releaseId, ring: "canary", approver: "alice", decision: "approve" },
          NOW,
        );
        assertTrail(first.trail, "release.approved", `release:${releaseId}`);
        assert.deepEqual(first.trail.actor, { kind: "user", id: "alice" });
        const release = { ...RELEASE, rings: await store.progress(releaseId) };
        let [canary] = decide(release, await store.approvals(releaseId), await store.context(), NOW);
        assert.deepEqual([canary?.decision, canary?.reason], ["wait", "AWAITING_APPROVALS"]);
        await store.recordApproval(
          { releaseId, ring: "canary", approver: "bob", decision: "approve", comment: "looked at the diff" },
          NOW,
        );
        const approvals = await store.approvals(releaseId);
        assert.deepEqual(
          approvals.map((a) => [a.approver, a.ring, a.decision, a.comment, a.policyId]),
          [
            ["alice", "canary", "approve", undefined, 1],
            ["bob", "canary", "approve", "looked at the diff", 1],
          ],
        );
        [canary] = decide(release, approvals, await store.context(), NOW);
        assert.deepEqual([canary?.decision, canary?.reason], ["approve", "APPROVED"]);
        assertTrail(
          (await store.markRing(releaseId, "canary", "approved", ADMIN, NOW)).trail,
          "release.approved",
          `release:${releaseId}`,
        );
        [canary] = decide(
          { ...RELEASE, rings: await store.progress(releaseId) },
          approvals,
          await store.context(),
          NOW,
        );
        assert.deepEqual([canary?.decision, canary?.reason], ["publish", "READY"]);
        await store.markRing(releaseId, "canary", "published", ADMIN, after(3 * DAY + HOUR));
        await store.markRing(releaseId, "canary", "published", ADMIN, after(4 * DAY));
        assert.deepEqual(await store.progress(releaseId), {
          canary: { approvedAt: NOW, publishedAt: after(3 * DAY + HOUR) },
        });
      }));

    test("an approval without a valid approver is refused (unknown, removed, or not listed for the ring)", () =>
      withDatabase(backend, async (db) => {
        const { store, sourceId, releaseId } = await setUp(db);
        const ask = (approver: string, ring = "canary", id = releaseId) =>
          store.recordApproval({ releaseId: id, ring, approver, decision: "approve" }, NOW);
        await assert.rejects(ask("mallory"), refused(POLICY_ERRORS.UNKNOWN_APPROVER));
        await assert.rejects(ask(""), refused(POLICY_ERRORS.UNKNOWN_APPROVER));
        await store.addApprover({ id: "dave", name: "Dave" }, ADMIN, NOW);
        await assert.rejects(
          ask("dave"),
          refused(POLICY_ERRORS.NOT_AN_APPROVER),
          "registered, but not listed by the policy",
        );
        const lenient = await addRelease(db, await addSource(db, "lenient"), "2.0.0");
        await assert.rejects(
          ask("alice", "canary", lenient),
          refused(POLICY_ERRORS.NOT_AN_APPROVER),
          "only carol approves lenient's canary",
        );
        assertTrail((await store.removeApprover("bob", ADMIN, NOW)).trail, "policy.changed", "approver:bob");
        await assert.rejects(ask("bob"), refused(POLICY_ERRORS.UNKNOWN_APPROVER), "removed");
        await assert.rejects(ask("alice", "everyone"), refused(POLICY_ERRORS.UNKNOWN_RING));
        await assert.rejects(ask("alice", "canary", releaseId + 100), refused(POLICY_ERRORS.UNKNOWN_RELEASE));
        assert.deepEqual(await store.approvals(releaseId), [], "nothing recorded");
        assert.ok(sourceId > 0);
      }));

    test("the same approver approving twice is refused, also when both arrive at once", () =>
      withDatabase(backend, async (db, where) => {
        const { store, releaseId } = await setUp(db);
        const other = new PolicyStore(where.open());
        try {
          const request = { releaseId, ring: "canary", approver: "alice", decision: "approve" } as const;
          const results = await Promise.allSettled([
            store.recordApproval(request, NOW),
            other.recordApproval(request, NOW),
          ]);
          assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
          const failure = results.find((r) => r.status === "rejected");
          assert.ok(refused(POLICY_ERRORS.DUPLICATE_APPROVAL)(failure?.reason));
          await assert.rejects(
            store.recordApproval({ ...request, decision: "reject" }, NOW),
            refused(POLICY_ERRORS.DUPLICATE_APPROVAL),
          );
          assert.equal((await store.approvals(releaseId)).length, 1);
        } finally {
          await other.db.close();
        }
      }));

    test("an approval of a blocked release is refused (blocked state, hash or signer); a rejection is recorded", () =>
      withDatabase(backend, async (db) => {
        const { store, sourceId, releaseId } = await setUp(db);
        const blocked = await store.blockRelease(releaseId, "trojaned build", ADMIN, NOW);
        assertTrail(blocked.trail, "release.blocked", `release:${releaseId}`);
        const badHash = await addRelease(db, sourceId, "1.3.0", { sha256: BAD_SHA });
        const badSigner = await addRelease(db, sourceId, "1.4.0", { signer: "CN=Stolen Key" });
        for (const id of [releaseId, badHash, badSigner]) {
          await assert.rejects(
            store.recordApproval({ releaseId: id, ring: "canary", approver: "alice", decision: "approve" }, NOW),
            refused(POLICY_ERRORS.RELEASE_BLOCKED),
          );
        }
        const rejection = await store.recordApproval(
          { releaseId: badHash, ring: "canary", approver: "carol", decision: "reject" },
          NOW,
        );
        assertTrail(rejection.trail, "release.rejected", `release:${badHash}`);
        await assert.rejects(
          store.blockRelease(releaseId + 100, "x", ADMIN, NOW),
          refused(POLICY_ERRORS.UNKNOWN_RELEASE),
        );
      }));

    test("nothing is approved before a policy is saved", () =>
      withDatabase(backend, async (db) => {
        await migrate(db);
        const store = new PolicyStore(db);
        await store.addApprover({ id: "alice", name: "Alice" }, ADMIN, NOW);
        const releaseId = await addRelease(db, await addSource(db, "manual"), "1.0.0");
        await assert.rejects(
          store.recordApproval({ releaseId, ring: "canary", approver: "alice", decision: "approve" }, NOW),
          refused(POLICY_ERRORS.NONE),
        );
        await assert.rejects(store.context(), refused(POLICY_ERRORS.NONE));
        await assert.rejects(
          store.addApprover({ id: "alice", name: "Again" }, ADMIN, NOW),
          refused(POLICY_ERRORS.DUPLICATE_APPROVER),
        );
        await assert.rejects(
          store.addApprover({ id: "Not An Id", name: "x" }, ADMIN, NOW),
          refused(POLICY_ERRORS.INVALID),
        );
        assert.deepEqual(
          (await store.approvers()).map((a) => [a.id, a.name]),
          [["alice", "Alice"]],
        );
      }));

    test("one freeze at a time, even from two processes at once; lifting it ends the hold", () =>
      withDatabase(backend, async (db, where) => {
        const { store, releaseId } = await setUp(db);
        const other = new PolicyStore(where.open());
        try {
          const results = await Promise.allSettled([
            store.freeze("incident 42", ADMIN, NOW),
            other.freeze("incident 42", { kind: "token", id: "tok_1" }, NOW),
          ]);
          assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
          assert.ok(refused(POLICY_ERRORS.ALREADY_FROZEN)(results.find((r) => r.status === "rejected")?.reason));
          const frozen = results.find((r) => r.status === "fulfilled");
          assert.ok(frozen?.status === "fulfilled");
          assertTrail(frozen.value.trail, "release.frozen", `freeze:${frozen.value.result.id}`);
          const context = await store.context();
          assert.equal(context.freeze?.reason, "incident 42");
          for (const d of decide({ ...RELEASE, source: "auto" }, [], context, NOW)) assert.equal(d.reason, "FROZEN");
          const lifted = await other.unfreeze(ADMIN, NOW);
          assertTrail(lifted.trail, "release.unfrozen", `freeze:${frozen.value.result.id}`);
          await assert.rejects(store.unfreeze(ADMIN, NOW), refused(POLICY_ERRORS.NOT_FROZEN));
          assert.equal((await store.context()).freeze, undefined);
          const [canary] = decide({ ...RELEASE, source: "auto" }, [], await store.context(), NOW);
          assert.equal(canary?.reason, "AUTO_APPROVED");
          assert.ok((await store.freeze("incident 43", ADMIN, NOW)).result.id > frozen.value.result.id, "a new freeze");
          assert.ok(releaseId > 0);
        } finally {
          await other.db.close();
        }
      }));

    test("a release read for a decision is suspicious while an alert about it is open", () =>
      withDatabase(backend, async (db) => {
        const { store, sourceId, releaseId } = await setUp(db);
        await store.markRing(releaseId, "canary", "approved", ADMIN, NOW);
        assert.deepEqual(await store.release(releaseId, "clean"), {
          source: "manual",
          version: "1.2.0",
          state: "scanned",
          sha256: SHA,
          signer: undefined,
          fetchedAt: new Date(1),
          scan: "clean",
          suspicious: false,
          rings: { canary: { approvedAt: NOW } },
        });
        const [alert] = await db.query(
          `INSERT INTO alerts (source_id, release_id, kind, severity, message, evidence, created_at)
           VALUES ($1, $2, 'bytes-changed', 'critical', 'the bytes of 1.2.0 changed', '{}', 2) RETURNING id`,
          [sourceId, releaseId],
        );
        const suspicious = await store.release(releaseId, "clean");
        assert.equal(suspicious.suspicious, true);
        const [canary] = decide(suspicious, [], await store.context(), NOW);
        assert.deepEqual([canary?.decision, canary?.reason], ["hold", "SUSPICIOUS"]);
        await db.execute("UPDATE alerts SET resolved_at = 3, resolved_by = 'secops' WHERE id = $1", [
          Number(alert?.id),
        ]);
        assert.equal((await store.release(releaseId, "clean")).suspicious, false, "a person resolved it");
        await assert.rejects(store.release(releaseId + 100, "clean"), refused(POLICY_ERRORS.UNKNOWN_RELEASE));
      }));

    test("a source pinned to a version holds the others until unpinned", () =>
      withDatabase(backend, async (db) => {
        const { store } = await setUp(db);
        const pinned = await store.pin("manual", "1.1.0", "1.2.0 breaks printing", ADMIN, NOW);
        assertTrail(pinned.trail, "policy.changed", "source:manual");
        await store.pin("manual", "1.0.0", "go back further", ADMIN, NOW);
        assert.deepEqual([...(await store.pins())], [["manual", "1.0.0"]]);
        const [canary] = decide(RELEASE, [], await store.context(), NOW);
        assert.deepEqual([canary?.decision, canary?.reason], ["hold", "PINNED"]);
        await store.unpin("manual", ADMIN, NOW);
        assert.deepEqual([...(await store.pins())], []);
        await assert.rejects(store.pin("nobody", "1.0.0", "x", ADMIN, NOW), refused(POLICY_ERRORS.UNKNOWN_SOURCE));
        await assert.rejects(store.pin("manual", "1.0.0", " ", ADMIN, NOW), refused(POLICY_ERRORS.INVALID));
      }));
  });
}
