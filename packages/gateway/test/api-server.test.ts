/**
 * The gateway's REST API over real loopback HTTP, on SQLite and on PostgreSQL: tokens and
 * roles, limits, typed errors, the OpenAPI document, metrics, sources and releases, and the
 * audit trail naming who changed what.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  drainTrail,
  FolderTrailStore,
  LATENCY_BUCKETS,
  listenApi,
  openapiPath,
  ROUTES,
  verifyTrail,
} from "../src/index.js";
import { call, electronSource, openAgain, serveTestGateway } from "./api-helpers.js";
import { BACKENDS } from "./db-backends.js";

/** Parses Prometheus text format 0.0.4 strictly: every line a comment or `name{labels} value`. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  assert.ok(text.endsWith("\n"));
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("# HELP ")) continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$/.exec(line);
    if (type) {
      types.set(type[1] as string, type[2] as string);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (\S+)$/.exec(
      line,
    );
    assert.ok(sample, `not a Prometheus sample: ${line}`);
    const name = sample[1] as string;
    const family = name.replace(/_(bucket|sum|count)$/, "");
    assert.ok(types.has(name) || types.get(family) === "histogram", `${name} has no TYPE line`);
    const value = Number(sample[3]);
    assert.ok(!Number.isNaN(value), line);
    samples.set(`${name}${sample[2] ?? ""}`, value);
  }
  return samples;
}

/** Checks an answer against its route's documented response schema (so the document says what the server sends). */
function conforms(method: string, routePath: string, body: unknown): void {
  const route = ROUTES.find((r) => r.method === method && r.path === routePath);
  assert.ok(route?.response, `${method} ${routePath} documents its answer`);
  const parsed = route.response.safeParse(body);
  assert.ok(parsed.success, `${method} ${routePath}: ${parsed.error?.message}`);
}

for (const backend of BACKENDS) {
  describe(`the gateway API on ${backend.name}`, { skip: backend.skip }, () => {
    test("refuses without a token (401), a viewer's write (403), a revoked token and a leaked hash (401)", async (t) => {
      const gw = await serveTestGateway(t, backend);
      const none = await gw.call("POST", "/api/sources", { body: electronSource("acme") });
      assert.equal(none.status, 401);
      assert.equal(none.body.error.code, "UNAUTHENTICATED");
      assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer/);
      assert.equal((await gw.call("GET", "/api/sources")).status, 401, "reads need a token too");
      const forged = await gw.call("GET", "/api/sources", { token: `bgw_${"A".repeat(43)}` });
      assert.equal(forged.status, 401);

      const viewer = await gw.call("POST", "/api/tokens", {
        token: gw.adminToken,
        body: { name: "grafana", role: "viewer" },
      });
      assert.equal(viewer.status, 201);
      assert.match(viewer.body.token, /^bgw_[A-Za-z0-9_-]{43}$/);
      conforms("POST", "/api/tokens", viewer.body);
      conforms("GET", "/api/tokens", (await gw.call("GET", "/api/tokens", { token: gw.adminToken })).body);
      const write = await gw.call("POST", "/api/sources", { token: viewer.body.token, body: electronSource("acme") });
      assert.equal(write.status, 403);
      assert.equal(write.body.error.code, "FORBIDDEN");
      assert.equal((await gw.call("GET", "/api/sources", { token: viewer.body.token })).status, 200);
      const listTokens = await gw.call("GET", "/api/tokens", { token: viewer.body.token });
      assert.equal(listTokens.status, 403, "a viewer cannot list tokens");

      const revoked = await gw.call("DELETE", `/api/tokens/${viewer.body.id}`, { token: gw.adminToken });
      assert.equal(revoked.status, 200);
      assert.notEqual(revoked.body.revokedAt, null);
      conforms("DELETE", "/api/tokens/:id", revoked.body);
      const after = await gw.call("GET", "/api/sources", { token: viewer.body.token });
      assert.equal(after.status, 401);
      assert.equal(after.body.error.code, "UNAUTHENTICATED");
      const rows = await gw.gateway.db.query("SELECT sha256 FROM api_tokens");
      assert.ok(
        rows.every((r) => r.sha256 !== viewer.body.token),
        "only the hash is stored",
      );
      // A leaked database (its hashes) gives no token: the hash presented as a token is refused.
      for (const row of rows) {
        const hash = row.sha256 as string;
        for (const presented of [hash, `bgw_${Buffer.from(hash, "hex").toString("base64url")}`]) {
          assert.equal((await gw.call("GET", "/api/sources", { token: presented })).status, 401);
        }
      }
    });

    test("a too-large body is refused (413), a flood is refused (429 with Retry-After)", async (t) => {
      const gw = await serveTestGateway(t, backend, { maxBodyBytes: 1024, perToken: { burst: 3, perSecond: 0.01 } });
      const big = await gw.call("POST", "/api/sources", {
        token: gw.adminToken,
        body: { ...electronSource("acme"), pad: "x".repeat(2000) },
      });
      assert.equal(big.status, 413);
      assert.equal(big.body.error.code, "BODY_TOO_LARGE");
      const statuses: number[] = [];
      let limited: Awaited<ReturnType<typeof gw.call>> | undefined;
      for (let i = 0; i < 4; i++) {
        const answer = await gw.call("GET", "/api/sources", { token: gw.adminToken });
        statuses.push(answer.status);
        if (answer.status === 429) limited = answer;
      }
      assert.deepEqual(statuses, [200, 200, 429, 429], "the 413 used one of the token's 3");
      assert.equal(limited?.body.error.code, "RATE_LIMITED");
      assert.ok(Number(limited?.headers.get("retry-after")) >= 1);

      const perIp = await serveTestGateway(t, backend, { perIp: { burst: 2, perSecond: 0.01 } });
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await perIp.call("GET", "/healthz")).status);
      assert.deepEqual(codes, [200, 200, 429], "an address's flood is refused before any token is looked up");
    });

    test("a bad body gets a 400 with a typed code, and nothing is written", async (t) => {
      const gw = await serveTestGateway(t, backend);
      const token = gw.adminToken;
      const notJson = await gw.call("POST", "/api/sources", { token, raw: "{not json" });
      assert.equal(notJson.status, 400);
      assert.equal(notJson.body.error.code, "BAD_JSON");
      const wrongShape = await gw.call("POST", "/api/sources", { token, body: { kind: "electron", id: "acme" } });
      assert.equal(wrongShape.status, 400);
      assert.equal(wrongShape.body.error.code, "BAD_REQUEST");
      assert.match(wrongShape.body.error.message, /feedUrl/);
      const badKey = await gw.call("POST", "/api/sources", {
        token,
        body: { kind: "sparkle", id: "acme", feedUrl: "https://x.example/appcast.xml", publicKey: "bm90IGEga2V5" },
      });
      assert.equal(badKey.status, 400);
      assert.equal(badKey.body.error.code, "SOURCE_BAD_CONFIG");
      const ftp = await gw.call("POST", "/api/sources", {
        token,
        body: { kind: "electron", id: "a", feedUrl: "ftp://x/y" },
      });
      assert.equal(ftp.body.error.code, "SOURCE_BAD_CONFIG");
      const text = await gw.call("POST", "/api/sources", { token, raw: "{}", type: "text/plain" });
      assert.equal(text.status, 415);
      assert.equal((await gw.call("GET", "/api/nothing", { token })).body.error.code, "NOT_FOUND");
      assert.equal((await gw.call("PUT", "/api/sources", { token })).status, 405);
      assert.equal((await gw.call("GET", "/api/releases?state=nonsense", { token })).body.error.code, "BAD_REQUEST");
      const sources = await gw.call("GET", "/api/sources", { token });
      assert.deepEqual(sources.body.items, []);
      const audit = await gw.gateway.db.query("SELECT action FROM audit_entries WHERE action = 'source.added'");
      assert.equal(audit.length, 0);
    });

    test("fuzzed source bodies get a 201 or a typed 4xx, never a 500 (malformed input reaching the database)", async (t) => {
      const gw = await serveTestGateway(t, backend);
      const body = fc.oneof(
        fc.jsonValue(),
        fc.record(
          {
            kind: fc.constantFrom("tuf", "electron", "sparkle", "squirrel", "url", "nope"),
            id: fc.string({ maxLength: 20 }),
            feedUrl: fc.oneof(fc.webUrl(), fc.string()),
            url: fc.oneof(fc.webUrl(), fc.string()),
            sha256: fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), fc.string()),
            publicKey: fc.string(),
          },
          { requiredKeys: ["kind"] },
        ),
      );
      await fc.assert(
        fc.asyncProperty(body, async (value) => {
          const answer = await gw.call("POST", "/api/sources", { token: gw.adminToken, body: value });
          assert.ok(answer.status === 201 || (answer.status >= 400 && answer.status < 500), `${answer.status}`);
          if (answer.status !== 201) assert.match(answer.body.error.code, /^[A-Z_]+$/);
        }),
        { numRuns: 60 },
      );
    });

    test("source add → list → get, and the trail records which token added it", async (t) => {
      const gw = await serveTestGateway(t, backend);
      const token = gw.adminToken;
      const added = await gw.call("POST", "/api/sources", { token, body: electronSource("acme/app") });
      assert.equal(added.status, 201);
      assert.equal(added.body.id, "acme/app");
      conforms("POST", "/api/sources", added.body);
      const again = await gw.call("POST", "/api/sources", { token, body: electronSource("acme/app") });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, "SOURCE_EXISTS");
      const list = await gw.call("GET", "/api/sources", { token });
      assert.deepEqual(
        list.body.items.map((s: { id: string }) => s.id),
        ["acme/app"],
      );
      const got = await gw.call("GET", `/api/sources/${encodeURIComponent("acme/app")}`, { token });
      assert.equal(got.status, 200);
      assert.deepEqual(got.body.config, electronSource("acme/app"));
      conforms("GET", "/api/sources", list.body);
      conforms("GET", "/api/sources/:id", got.body);
      assert.equal((await gw.call("GET", "/api/sources/nope", { token })).status, 404);

      const [row] = await gw.gateway.db.query(
        "SELECT actor, log_index FROM audit_entries WHERE action = 'source.added' AND subject_id = 'acme/app'",
      );
      assert.equal(row?.actor, "token:1:first admin");
      assert.notEqual(row?.log_index, null);
      const proof = await gw.gateway.trail.proof(BigInt(row?.log_index as number));
      assert.deepEqual(proof.entry.actor, { kind: "token", id: "1:first admin" });
      assert.equal(proof.entry.action, "source.added");
      const { config } = gw.gateway;
      const checked = await verifyTrail(new FolderTrailStore(path.join(gw.dir, config.trail)), {
        origin: config.origin,
        verifier: gw.gateway.trail.options.verifier,
      });
      assert.equal(checked.count, 2n, "the first admin token's issue, then the source: verified as a log");
    });

    test("releases: filtered by state and source; one release with its evidence and alerts", async (t) => {
      const gw = await serveTestGateway(t, backend);
      const token = gw.adminToken;
      await gw.call("POST", "/api/sources", { token, body: electronSource("acme") });
      await gw.call("POST", "/api/sources", { token, body: electronSource("globex") });
      const db = gw.gateway.db;
      const ids = new Map((await db.query("SELECT id, name FROM sources")).map((r) => [r.name, Number(r.id)]));
      const insert = (source: string, version: string, state: string) =>
        db.query(
          `INSERT INTO releases (source_id, version, url, sha256, size, state, evidence, created_at, updated_at)
           VALUES ($1, $2, $3, $4, 10, $5, $6, 1, 1) RETURNING id`,
          [
            ids.get(source) as number,
            version,
            `https://x.example/${version}`,
            "a".repeat(64),
            state,
            '{"checks":["sha512"]}',
          ],
        );
      await insert("acme", "1.0.0", "approved");
      const [suspicious] = await insert("acme", "1.0.1", "quarantined");
      await insert("globex", "2.0.0", "quarantined");
      await db.execute(
        `INSERT INTO alerts (source_id, release_id, kind, severity, message, evidence, created_at)
         VALUES ($1, $2, 'bytes-changed', 'critical', 'the bytes of 1.0.1 changed', '{"before":"ab"}', 2)`,
        [ids.get("acme") as number, Number(suspicious?.id)],
      );
      const quarantined = await gw.call("GET", "/api/releases?state=quarantined", { token });
      assert.deepEqual(
        quarantined.body.items.map((r: { version: string }) => r.version),
        ["1.0.1", "2.0.0"],
      );
      const acme = await gw.call("GET", "/api/releases?source=acme&state=quarantined", { token });
      assert.deepEqual(
        acme.body.items.map((r: { version: string }) => r.version),
        ["1.0.1"],
      );
      const firstPage = await gw.call("GET", "/api/releases?limit=2", { token });
      assert.equal(firstPage.body.items.length, 2);
      const secondPage = await gw.call("GET", `/api/releases?limit=2&after=${firstPage.body.next}`, { token });
      assert.deepEqual(
        secondPage.body.items.map((r: { version: string }) => r.version),
        ["2.0.0"],
      );
      assert.equal(secondPage.body.next, null);
      const one = await gw.call("GET", `/api/releases/${suspicious?.id}`, { token });
      assert.equal(one.status, 200);
      assert.deepEqual(one.body.evidence, { checks: ["sha512"] });
      conforms("GET", "/api/releases", quarantined.body);
      conforms("GET", "/api/releases/:id", one.body);
      assert.equal(one.body.alerts[0].kind, "bytes-changed");
      assert.deepEqual(one.body.alerts[0].evidence, { before: "ab" });
      assert.equal((await gw.call("GET", "/api/releases/999", { token })).status, 404);
    });

    test("/metrics parses as Prometheus text, with requests, latency, jobs and releases", async (t) => {
      const gw = await serveTestGateway(t, backend);
      const token = gw.adminToken;
      await gw.call("POST", "/api/sources", { token, body: electronSource("acme") });
      await gw.call("GET", "/api/sources");
      await gw.gateway.db.execute(
        "INSERT INTO jobs (kind, payload, state, run_at, max_attempts, created_at, updated_at) VALUES ('poll', '{}', 'queued', 1, 5, 1, 1)",
      );
      const answer = await gw.call("GET", "/metrics", { token });
      assert.equal(answer.status, 200);
      assert.match(answer.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      const samples = parseMetrics(answer.body);
      assert.equal(
        samples.get('bulwark_gateway_http_requests_total{method="POST",route="/api/sources",status="201"}'),
        1,
      );
      assert.equal(
        samples.get('bulwark_gateway_http_requests_total{method="GET",route="/api/sources",status="401"}'),
        1,
      );
      let previous = 0;
      for (const le of [...LATENCY_BUCKETS.map(String), "+Inf"]) {
        const n = samples.get(`bulwark_gateway_http_request_duration_seconds_bucket{route="/api/sources",le="${le}"}`);
        assert.ok(n !== undefined && n >= previous, `bucket ${le} is cumulative`);
        previous = n;
      }
      assert.equal(previous, 2);
      assert.equal(samples.get('bulwark_gateway_jobs{state="queued"}'), 1);
      assert.equal((await gw.call("GET", "/metrics")).status, 401, "metrics need a token");
    });

    test("/openapi.json is an OpenAPI 3.1 document listing every route, with a schema for each body", async (t) => {
      const gw = await serveTestGateway(t, backend);
      const { status, body: doc } = await gw.call("GET", "/openapi.json");
      assert.equal(status, 200);
      assert.equal(doc.openapi, "3.1.0");
      assert.equal(typeof doc.info.title, "string");
      assert.equal(typeof doc.info.version, "string");
      assert.equal(doc.components.securitySchemes.bearer.scheme, "bearer");
      const listed = Object.entries(doc.paths).flatMap(([p, ops]) =>
        Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${p}`),
      );
      assert.deepEqual(listed.sort(), ROUTES.map((r) => `${r.method} ${openapiPath(r.path)}`).sort());
      const operationIds = new Set<string>();
      for (const route of ROUTES) {
        const op = doc.paths[openapiPath(route.path)][route.method.toLowerCase()];
        assert.equal(typeof op.summary, "string");
        assert.ok(!operationIds.has(op.operationId), `operationId ${op.operationId} is unique`);
        operationIds.add(op.operationId);
        assert.ok(op.responses[String(route.status)], `${route.path} documents its success`);
        for (const name of route.path.match(/:[a-z]+/gi) ?? []) {
          assert.ok(op.parameters.some((p: { name: string; in: string }) => p.in === "path" && `:${p.name}` === name));
        }
        if (route.body !== undefined) {
          const schema = op.requestBody.content["application/json"].schema;
          assert.ok(schema.type === "object" || Array.isArray(schema.oneOf) || Array.isArray(schema.anyOf), route.path);
        } else assert.equal(op.requestBody, undefined);
        if (route.auth !== "public") assert.ok(op.responses["401"] && op.responses["403"]);
      }
      conforms("GET", "/healthz", (await gw.call("GET", "/healthz")).body);
      for (const route of ROUTES.filter((r) => r.produces === undefined && r.path !== "/openapi.json")) {
        const schema = doc.paths[openapiPath(route.path)][route.method.toLowerCase()].responses[String(route.status)];
        assert.ok(schema.content["application/json"].schema.type, `${route.path} has a typed answer`);
      }
    });

    test("an entry committed by a process that died before appending it reaches the trail once (crash after commit)", async (t) => {
      const gw = await serveTestGateway(t, backend);
      const { db, trail } = gw.gateway;
      const orphan = (n: number) =>
        db.execute(
          `INSERT INTO audit_entries (created_at, actor, action, subject_type, subject_id, details)
           VALUES ($1, 'token:1:first admin', 'source.added', 'source', $2, '{"kind":"url"}')`,
          [Date.UTC(2026, 11, 7, 23, 0, n), `crashed-${n}`],
        );
      await orphan(1);
      await orphan(2);
      const before = (await trail.checkpoint()).checkpoint.size;
      // Two drainers at once (two processes after a restart): each row appended once.
      const other = await openAgain(gw.dir, gw.database);
      t.after(() => other.close());
      await Promise.all([drainTrail(db, trail), drainTrail(other.db, other.trail)]);
      assert.equal((await trail.checkpoint()).checkpoint.size, before + 2n);
      const rows = await db.query(
        "SELECT subject_id, log_index FROM audit_entries WHERE subject_id LIKE 'crashed-%' ORDER BY id",
      );
      for (const row of rows) {
        const proof = await trail.proof(BigInt(row.log_index as number));
        assert.equal(proof.entry.subject.id, row.subject_id);
        assert.deepEqual(proof.entry.actor, { kind: "token", id: "1:first admin" });
      }
      await orphan(3);
      const reopened = await openAgain(gw.dir, gw.database);
      await reopened.close();
      const [third] = await db.query("SELECT log_index FROM audit_entries WHERE subject_id = 'crashed-3'");
      assert.equal(Number(third?.log_index), Number(before) + 2, "opening a gateway drains what is pending");
    });

    test("two gateway processes on one database serve together: each sees the other's writes", async (t) => {
      const gw = await serveTestGateway(t, backend);
      const other = await openAgain(gw.dir, gw.database);
      const server = await listenApi(other);
      t.after(async () => {
        await server.close();
        await other.close();
      });
      const token = gw.adminToken;
      const adds = Array.from({ length: 6 }, (_, i) =>
        call(i % 2 === 0 ? gw.server.url : server.url, "POST", "/api/sources", {
          token,
          body: electronSource(`s${i}`),
        }),
      );
      assert.deepEqual(
        (await Promise.all(adds)).map((a) => a.status),
        [201, 201, 201, 201, 201, 201],
      );
      const fromOther = await call(server.url, "GET", "/api/sources", { token });
      assert.equal(fromOther.body.items.length, 6);
      const rows = await gw.gateway.db.query(
        "SELECT log_index FROM audit_entries WHERE action = 'source.added' ORDER BY log_index",
      );
      assert.equal(rows.length, 6);
      assert.ok(rows.every((r) => r.log_index !== null));
      const checkpoint = await gw.gateway.trail.checkpoint();
      assert.equal(checkpoint.checkpoint.size, 7n, "the first admin token and six sources, in one unforked trail");
    });
  });
}
