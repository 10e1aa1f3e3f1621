/**
 * Attacks on the transport: endless data for every role and for a target, slow retrieval
 * over real loopback HTTP, and a target cache tampered with on disk.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { describe, it } from "node:test";
import {
  DEFAULT_UPDATER_CONFIG,
  DownloadLengthMismatchError,
  HttpFetcher,
  LengthOrHashMismatchError,
  SlowRetrievalError,
  TargetFile,
  Updater,
} from "../src/index.js";
import {
  type AttackCase,
  DEV_TARGET,
  type Env,
  makeEnv,
  publishDev,
  readDir,
  rejection,
  runAttack,
  touchAndPublish,
} from "./attacks-kit.js";

const APP = "apps/demo-1.0.0.tar.gz";
const APP_DATA = Buffer.from("demo 1.0.0: the bytes the vendor signed");
const CHUNK = 64 * 1024;

function appUrlPath(env: Env): string {
  const sha = TargetFile.fromData(APP, APP_DATA).hashes.get("sha256");
  assert.ok(env.repo.targetData(APP));
  return `targets/apps/${sha}.demo-1.0.0.tar.gz`;
}

interface EndlessCase extends Pick<AttackCase, "name" | "env" | "stage" | "act" | "advances"> {
  /** Legitimate changes published before the attacker stretches the file. */
  readonly publish?: (env: Env) => Promise<void>;
  /** The file served as endless data. */
  readonly path: (env: Env) => string;
  /** The most bytes the client may accept for it. */
  readonly limit: (env: Env) => number;
  /**
   * Whether that limit is the file's signed length (a length mismatch, as for a file found
   * too long after the fact) or the client's bound for a file whose length is not signed.
   */
  readonly signed: boolean;
}

function listedLength(env: Env, role: string): number {
  const meta =
    role === "snapshot" ? env.repo.timestamp.signed.snapshotMeta : env.repo.snapshot.signed.meta.get(`${role}.json`);
  assert.ok(meta?.length, `${role} has no length in meta`);
  return meta.length;
}

const endless: EndlessCase[] = [
  {
    name: "stops an endless root N+1 at the root size limit",
    signed: false,
    path: () => "metadata/2.root.json",
    limit: () => DEFAULT_UPDATER_CONFIG.rootMaxLength,
  },
  {
    name: "stops an endless timestamp at the timestamp size limit",
    signed: false,
    path: () => "metadata/timestamp.json",
    limit: () => DEFAULT_UPDATER_CONFIG.timestampMaxLength,
  },
  {
    name: "stops an endless snapshot at the length timestamp lists",
    signed: true,
    publish: touchAndPublish,
    path: () => "metadata/2.snapshot.json",
    limit: (env) => listedLength(env, "snapshot"),
    advances: ["timestamp"],
  },
  {
    name: "stops an endless snapshot at the snapshot size limit when timestamp lists no length",
    signed: false,
    env: { metaHashes: false },
    publish: touchAndPublish,
    path: () => "metadata/2.snapshot.json",
    limit: () => DEFAULT_UPDATER_CONFIG.snapshotMaxLength,
    advances: ["timestamp"],
  },
  {
    name: "stops endless targets at the length snapshot lists",
    signed: true,
    publish: touchAndPublish,
    path: () => "metadata/2.targets.json",
    limit: (env) => listedLength(env, "targets"),
    advances: ["timestamp", "snapshot"],
  },
  {
    name: "stops endless targets at the targets size limit when snapshot lists no length",
    signed: false,
    env: { metaHashes: false },
    publish: touchAndPublish,
    path: () => "metadata/2.targets.json",
    limit: () => DEFAULT_UPDATER_CONFIG.targetsMaxLength,
    advances: ["timestamp", "snapshot"],
  },
  {
    name: "stops an endless delegated role at the length snapshot lists",
    signed: true,
    stage: (env) => publishDev(env),
    publish: (env) => touchAndPublish(env, "dev"),
    path: () => "metadata/2.dev.json",
    act: (env) => env.updater().getTargetInfo(DEV_TARGET),
    limit: (env) => listedLength(env, "dev"),
    advances: ["timestamp", "snapshot"],
  },
  {
    name: "stops an endless target file at its signed length",
    signed: true,
    stage: async (env) => {
      env.repo.addTarget({ path: APP, data: APP_DATA });
      await env.publish();
      await env.refresh();
    },
    path: appUrlPath,
    act: async (env) => {
      const u = env.updater();
      const info = await u.getTargetInfo(APP);
      assert.ok(info);
      return u.downloadTarget(info);
    },
    limit: () => APP_DATA.length,
  },
];

describe("endless data attacks", () => {
  for (const c of endless) {
    it(c.name, async (t) => {
      let elapsed = Number.POSITIVE_INFINITY;
      const env = await runAttack(t, {
        ...c,
        attack: async (env) => {
          await c.publish?.(env);
          env.sim.overrides.set(c.path(env), "endless");
        },
        act: async (env) => {
          const start = performance.now();
          try {
            await (c.act?.(env) ?? env.refresh());
          } finally {
            elapsed = performance.now() - start;
          }
        },
        error: c.signed
          ? {
              type: LengthOrHashMismatchError,
              code: "TUF_LENGTH_OR_HASH_MISMATCH",
              message: /longer than its signed length/,
            }
          : { type: DownloadLengthMismatchError, code: "DOWNLOAD_TOO_LARGE", message: /endless-data attack/ },
      });
      const received = env.received.get(c.path(env)) ?? 0;
      const limit = c.limit(env);
      assert.ok(received > limit && received <= limit + CHUNK, `read ${received} bytes for a limit of ${limit}`);
      assert.ok(elapsed < 2000, `took ${Math.round(elapsed)} ms`);
    });
  }
});

/** How the attacker's server answers a request for timestamp.json. */
type SlowServe = (res: ServerResponse) => void;

const slowRetrieval: Array<{ name: string; serve: SlowServe }> = [
  {
    name: "drops a timestamp trickled at 10 bytes/s (slow-retrieval attack)",
    serve: (res) => {
      res.writeHead(200, { "content-length": 1000 });
      const timer = setInterval(() => res.write("x"), 100);
      res.on("close", () => clearInterval(timer));
    },
  },
  {
    name: "drops a timestamp whose body never comes after the headers (slow-retrieval attack)",
    serve: (res) => {
      res.writeHead(200, { "content-length": 1000 });
      res.flushHeaders();
    },
  },
  {
    name: "drops a timestamp request the server never answers (slow-retrieval attack)",
    serve: () => undefined,
  },
];

describe("slow retrieval attacks over loopback HTTP", () => {
  for (const c of slowRetrieval) {
    it(c.name, async (t) => {
      const env = await makeEnv(t);
      const files = new Map(env.repo.files().map((f) => [f.path, f.data]));
      const server = createServer((req: IncomingMessage, res: ServerResponse) => {
        const p = decodeURIComponent((req.url ?? "/").slice(1));
        if (p === "metadata/timestamp.json") return c.serve(res);
        const data = files.get(p);
        if (data === undefined) res.writeHead(404).end();
        else res.writeHead(200, { "content-length": data.length }).end(data);
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      t.after(() => {
        server.closeAllConnections();
        server.close();
      });
      const { port } = server.address() as AddressInfo;
      const u = new Updater({
        metadataDir: env.metadataDir,
        metadataBaseUrl: `http://127.0.0.1:${port}/metadata`,
        fetcher: new HttpFetcher({
          idleTimeoutMs: 300,
          rateWindowMs: 500,
          minBytesPerSecond: 1000,
          connectTimeoutMs: 500,
        }),
      });
      const before = readDir(env.metadataDir);
      const start = performance.now();
      await assert.rejects(u.refresh(), rejection({ type: SlowRetrievalError, code: "DOWNLOAD_SLOW" }));
      const elapsed = performance.now() - start;
      assert.ok(elapsed < 2500, `took ${Math.round(elapsed)} ms`);
      assert.deepEqual([...readDir(env.metadataDir).keys()], [...before.keys()]);
    });
  }
});

const tampering: Array<{ name: string; tamper: (data: Buffer) => Buffer }> = [
  {
    name: "does not reuse a cached target with one byte changed",
    tamper: (d) => Buffer.from(d.map((b, i) => (i ? b : b ^ 1))),
  },
  { name: "does not reuse a truncated cached target", tamper: (d) => d.subarray(0, d.length - 1) },
  { name: "does not reuse a cached target with bytes appended", tamper: (d) => Buffer.concat([d, Buffer.from("!")]) },
  { name: "does not reuse an emptied cached target", tamper: () => Buffer.alloc(0) },
];

describe("tampered target cache", () => {
  for (const c of tampering) {
    it(c.name, async (t) => {
      const env = await makeEnv(t);
      env.repo.addTarget({ path: APP, data: APP_DATA });
      await env.publish();
      const u = env.updater();
      const info = await u.getTargetInfo(APP);
      assert.ok(info);
      const file = await u.downloadTarget(info);
      assert.equal(await u.findCachedTarget(info), file);
      writeFileSync(file, c.tamper(readFileSync(file)));

      assert.equal(await u.findCachedTarget(info), undefined);
      assert.equal(await u.downloadTarget(info), file);
      assert.deepEqual(readFileSync(file), APP_DATA);
      assert.equal(await u.findCachedTarget(info), file);
      assert.deepEqual([...readDir(env.targetDir).keys()], [path.basename(file)]);
      assert.equal(env.sim.requests.filter((p) => p === appUrlPath(env)).length, 2);
    });
  }
});

describe("concurrent target downloads", () => {
  it("does not let two downloads of one target clobber each other's temporary file", async (t) => {
    const env = await makeEnv(t);
    const data = Buffer.alloc(300_000, 7);
    env.repo.addTarget({ path: APP, data });
    await env.publish();
    const u = env.updater();
    const info = await u.getTargetInfo(APP);
    assert.ok(info);
    // Two downloads started in the same millisecond (made certain here).
    const now = Date.now();
    t.mock.method(Date, "now", () => now);
    const results = await Promise.allSettled([u.downloadTarget(info), u.downloadTarget(info)]);
    t.mock.restoreAll();
    const failures = results.flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : []));
    assert.deepEqual(failures, []);
    assert.ok(readFileSync(u.targetPath(info)).equals(data));
    assert.deepEqual([...readDir(env.targetDir).keys()], [path.basename(u.targetPath(info))]);
  });
});
