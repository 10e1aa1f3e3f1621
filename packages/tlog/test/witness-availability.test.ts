/**
 * A witness that checks data availability, over real loopback HTTP: the log's public tiles
 * are a folder served on 127.0.0.1, the witness another server. Each attack is a privately
 * extended log: the log key signs a tree whose entries the public URL does not serve (never
 * published, withheld, forged), and the witness must refuse it (424, TLOG_DATA_UNAVAILABLE)
 * without recording anything. Without the check (no public URL), the same witness cosigns.
 */
import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { describe, it } from "node:test";
import { listen, type TestLike, tempDir } from "@bulwark/testkit";
import {
  DATA_UNAVAILABLE_STATUS,
  FolderStore,
  formatAddCheckpointRequest,
  formatReleaseEntry,
  LogWriter,
  listenWitness,
  MemoryStore,
  originHash,
  TLOG_ERRORS,
  type WitnessEvidence,
  WitnessRefusal,
  type WitnessServer,
} from "../src/index.js";
import { logOptions, makeWitness, ORIGIN, proofFrom, release } from "./log-fixtures.js";

/** Serves a log folder as its public URL; `requests` records the keys asked for. */
async function servePublic(t: TestLike, dir: string, requests: string[] = []): Promise<string> {
  const store = new FolderStore(dir);
  return listen(t, (req: IncomingMessage, res: ServerResponse) => {
    const key = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname.slice(1));
    requests.push(key);
    store.get(key).then(
      (bytes) => {
        if (bytes === undefined) res.writeHead(404).end();
        else res.writeHead(200, { "content-length": bytes.length }).end(bytes);
      },
      () => res.writeHead(404).end(),
    );
  });
}

async function post(server: WitnessServer, body: Uint8Array): Promise<{ status: number; body: string }> {
  const res = await fetch(new URL("add-checkpoint", server.url), { method: "POST", body });
  return { status: res.status, body: await res.text() };
}

/** The size of the checkpoint a witness serves to monitors. */
async function witnessSize(server: WitnessServer): Promise<string | undefined> {
  const res = await fetch(new URL(`${originHash(ORIGIN)}/checkpoint`, server.url));
  return res.status === 200 ? (await res.text()).split("\n")[1] : undefined;
}

/** A public log of `versions` in a folder, served; a witness that checks it and has cosigned it. */
async function publicLog(t: TestLike, versions: readonly string[], evidence: WitnessEvidence[] = []) {
  const base = tempDir(t, "bulwark-availability-");
  const dir = path.join(base, "public");
  const writer = await LogWriter.create(new FolderStore(dir), logOptions());
  for (const v of versions) await writer.append([formatReleaseEntry(release(v))]);
  const requests: string[] = [];
  const url = await servePublic(t, dir, requests);
  const witness = makeWitness("witness.example/w1", {
    logs: [{ origin: ORIGIN, verifiers: [logOptions().verifier], publicUrl: url }],
    onEvidence: (e) => evidence.push(e),
  });
  const server = await listenWitness(witness);
  t.after(() => server.close());
  const first = await post(
    server,
    formatAddCheckpointRequest({ oldSize: 0n, proof: [], checkpoint: writer.checkpoint }),
  );
  assert.equal(first.status, 200, first.body);
  return { base, dir, writer, url, requests, witness, server };
}

/** The attacker's private copy of the log folder, extended with a trojan entry signed by the log key. */
async function privatelyExtended(base: string, dir: string): Promise<LogWriter> {
  const privateDir = path.join(base, "private");
  cpSync(dir, privateDir, { recursive: true });
  const copy = await LogWriter.open(new FolderStore(privateDir), logOptions());
  await copy.append([formatReleaseEntry(release("1.1.0", "trojan"))]);
  return copy;
}

/** Copies the files of `from` into `to`, except `skip`. */
function publish(from: string, to: string, skip: readonly string[] = []): void {
  cpSync(from, to, {
    recursive: true,
    filter: (src) => !skip.some((k) => path.relative(from, src) === k) && path.basename(src) !== "checkpoint",
  });
}

describe("a witness that checks data availability", () => {
  it("refuses to cosign a privately extended log (tiles never published), recording nothing", async (t) => {
    const evidence: WitnessEvidence[] = [];
    const { base, dir, server } = await publicLog(t, ["1.0.0", "1.0.1"], evidence);
    const trojan = await privatelyExtended(base, dir);
    const answer = await post(
      server,
      formatAddCheckpointRequest({ oldSize: 2n, proof: await proofFrom(trojan, 2n), checkpoint: trojan.checkpoint }),
    );
    assert.equal(answer.status, DATA_UNAVAILABLE_STATUS);
    assert.equal(answer.status, 424);
    assert.match(answer.body, /not public/);
    // Nothing recorded: the witness still holds size 2, and keeps the signed trojan as evidence.
    assert.equal(await witnessSize(server), "2");
    assert.equal(evidence.length, 1);
    assert.equal(evidence[0]?.code, TLOG_ERRORS.DATA_UNAVAILABLE);
    assert.equal(evidence[0]?.checkpoint, trojan.checkpoint);
  });

  it("without a public URL (the spec's checks alone) cosigns that same private extension", async (t) => {
    const base = tempDir(t, "bulwark-availability-");
    const dir = path.join(base, "public");
    const writer = await LogWriter.create(new FolderStore(dir), logOptions());
    for (const v of ["1.0.0", "1.0.1"]) await writer.append([formatReleaseEntry(release(v))]);
    const witness = makeWitness();
    await witness.addCheckpoint(formatAddCheckpointRequest({ oldSize: 0n, proof: [], checkpoint: writer.checkpoint }));
    const trojan = await privatelyExtended(base, dir);
    const lines = await witness.addCheckpoint(
      formatAddCheckpointRequest({ oldSize: 2n, proof: await proofFrom(trojan, 2n), checkpoint: trojan.checkpoint }),
    );
    assert.equal(lines.length, 1);
  });

  it("cosigns an extension whose tiles are published, reading only the new tiles and entries", async (t) => {
    const { writer, requests, server } = await publicLog(t, []);
    await writer.append(Array.from({ length: 300 }, (_, i) => formatReleaseEntry(release(`1.0.${i}`))));
    // From the empty log: every entry of the first checkpoint is read.
    const whole = await post(
      server,
      formatAddCheckpointRequest({ oldSize: 0n, proof: [], checkpoint: writer.checkpoint }),
    );
    assert.equal(whole.status, 200, whole.body);
    assert.ok(requests.includes("tile/entries/000"));
    requests.length = 0;
    await writer.append([formatReleaseEntry(release("2.0.0")), formatReleaseEntry(release("2.0.1"))]);
    const next = await post(
      server,
      formatAddCheckpointRequest({
        oldSize: 300n,
        proof: await proofFrom(writer, 300n),
        checkpoint: writer.checkpoint,
      }),
    );
    assert.equal(next.status, 200, next.body);
    // The right edge of the tree of 302 and the bundle of entries 300 and 301: nothing older.
    assert.deepEqual([...new Set(requests)].sort(), ["tile/0/001.p/46", "tile/1/000.p/1", "tile/entries/001.p/46"]);
    assert.equal(await witnessSize(server), "302");
  });

  const attacks: ReadonlyArray<{
    name: string;
    /** Makes the public folder serve something for the trojan tree (or nothing). */
    publicView: (c: { base: string; dir: string; privateDir: string; honest: LogWriter }) => Promise<void>;
    message: RegExp;
  }> = [
    {
      name: "tiles published, the trojan's entry bundle withheld",
      publicView: async ({ dir, privateDir }) => publish(privateDir, dir, ["tile/entries/000.p/3"]),
      message: /missing tile\/entries\/000\.p\/3/,
    },
    {
      name: "forged tiles: the public tiles are the honest tree's, whose root differs",
      publicView: async ({ honest }) => {
        await honest.append([formatReleaseEntry(release("1.1.0"))]);
      },
      message: /do not lead to the checkpoint's root/,
    },
    {
      name: "the trojan's tiles with an innocent entry bundle (an entry that does not match its tile)",
      publicView: async ({ dir, privateDir, honest }) => {
        await honest.append([formatReleaseEntry(release("1.1.0"))]);
        publish(privateDir, dir, ["tile/entries/000.p/3"]);
      },
      message: /does not match its tile/,
    },
  ];
  for (const attack of attacks) {
    it(`refuses to cosign a privately extended log: ${attack.name}`, async (t) => {
      const { base, dir, writer, server } = await publicLog(t, ["1.0.0", "1.0.1"]);
      const trojan = await privatelyExtended(base, dir);
      await attack.publicView({ base, dir, privateDir: path.join(base, "private"), honest: writer });
      const answer = await post(
        server,
        formatAddCheckpointRequest({ oldSize: 2n, proof: await proofFrom(trojan, 2n), checkpoint: trojan.checkpoint }),
      );
      assert.equal(answer.status, 424, answer.body);
      assert.match(answer.body, attack.message);
      assert.equal(await witnessSize(server), "2");
    });
  }
});

describe("the bounds of the data-availability check", () => {
  const memoryLog = async () => {
    const store = new MemoryStore();
    const writer = await LogWriter.create(store, logOptions());
    await writer.append([formatReleaseEntry(release("1.0.0")), formatReleaseEntry(release("1.0.1"))]);
    return writer;
  };
  const refused = (e: unknown) => {
    assert.ok(e instanceof WitnessRefusal);
    assert.equal(e.code, TLOG_ERRORS.DATA_UNAVAILABLE);
    assert.equal(e.status, 424);
    return true;
  };

  it("refuses when the public URL does not answer within the check's time limit", async (t) => {
    const url = await listen(t, () => undefined);
    const witness = makeWitness("witness.example/w1", {
      logs: [{ origin: ORIGIN, verifiers: [logOptions().verifier], publicUrl: url }],
      availability: { timeoutMs: 300 },
    });
    const log = await memoryLog();
    const started = Date.now();
    await assert.rejects(
      witness.addCheckpoint(formatAddCheckpointRequest({ oldSize: 0n, proof: [], checkpoint: log.checkpoint })),
      (e) => refused(e) && /over 300 ms/.test((e as Error).message),
    );
    assert.ok(Date.now() - started < 5000);
  });

  it("refuses a public URL that sends an endless tile (the tile's size limit)", async (t) => {
    const url = await listen(t, (_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(4096, 1);
      const pump = () => {
        while (res.write(chunk)) if (res.writableLength > 1 << 20) break;
      };
      res.on("drain", pump);
      pump();
    });
    const witness = makeWitness("witness.example/w1", {
      logs: [{ origin: ORIGIN, verifiers: [logOptions().verifier], publicUrl: url }],
    });
    const log = await memoryLog();
    await assert.rejects(
      witness.addCheckpoint(formatAddCheckpointRequest({ oldSize: 0n, proof: [], checkpoint: log.checkpoint })),
      (e) => refused(e) && /more than/.test((e as Error).message),
    );
  });

  it("refuses once the check has read more than its byte budget, and passes within it (in-memory store)", async () => {
    const log = await memoryLog();
    const make = (maxBytes: number) =>
      makeWitness("witness.example/w1", {
        logs: [{ origin: ORIGIN, verifiers: [logOptions().verifier], publicStore: log.store }],
        availability: { maxBytes },
      });
    const request = formatAddCheckpointRequest({ oldSize: 0n, proof: [], checkpoint: log.checkpoint });
    await assert.rejects(make(64).addCheckpoint(request), refused);
    assert.equal((await make(1 << 20).addCheckpoint(request)).length, 1);
  });
});
