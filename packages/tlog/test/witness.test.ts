/**
 * The tlog-witness witness over real loopback HTTP: every status code of `add-checkpoint`,
 * each refusal named after the attack it stops (rollback, fork / split view, forged or
 * tampered checkpoint), the atomic check-and-record under racing requests, persistence
 * across restarts, and the monitoring route.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  FolderWitnessState,
  formatAddCheckpointRequest,
  generateKey,
  LogWriter,
  listenWitness,
  MemoryStore,
  openNote,
  originHash,
  parseCosignatureLine,
  parseCosignatureVerifierKey,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  TLOG_ERRORS,
  type TlogWitness,
  type WitnessEvidence,
  WitnessRefusal,
  type WitnessServer,
} from "../src/index.js";
import { appendTo, logKey, makeWitness, memoryLog, ORIGIN, proofFrom, witnessKey } from "./log-fixtures.js";

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

async function post(server: WitnessServer, body: Uint8Array | string, route = "add-checkpoint"): Promise<Answer> {
  const res = await fetch(new URL(route, server.url), { method: "POST", body });
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", body: await res.text() };
}

function request(oldSize: bigint, proof: readonly Uint8Array[], checkpoint: string): Uint8Array {
  return formatAddCheckpointRequest({ oldSize, proof, checkpoint });
}

const temp = mkdtempSync(path.join(tmpdir(), "bulwark-witness-"));
after(() => rmSync(temp, { recursive: true, force: true }));

/** A witness that has cosigned the log at size 2, served on loopback. */
async function witnessAt2(t: { after(fn: () => Promise<void>): void }, evidence: WitnessEvidence[] = []) {
  const witness = makeWitness("witness.example/w1", { onEvidence: (e) => evidence.push(e) });
  const log = await memoryLog(["1.0.0", "1.0.1"]);
  const server = await listenWitness(witness);
  t.after(() => server.close());
  const first = await post(server, request(0n, [], log.checkpoint));
  assert.equal(first.status, 200, first.body);
  return { witness, log, server };
}

describe("witness add-checkpoint", () => {
  it("cosigns the first checkpoint of a log (old 0) and one that extends it", async (t) => {
    const { witness, log, server } = await witnessAt2(t);
    const cp2 = log.checkpoint;
    await appendTo(log, ["1.1.0", "1.2.0"]);
    const answer = await post(server, request(2n, await proofFrom(log, 2n), log.checkpoint));
    assert.equal(answer.status, 200, answer.body);
    assert.ok(answer.body.endsWith("\n"));
    const line = answer.body.slice(0, -1);
    const cosig = parseCosignatureLine(line);
    const verifier = parseCosignatureVerifierKey(witness.vkey);
    const text = log.checkpoint.slice(0, log.checkpoint.lastIndexOf("\n\n") + 1);
    assert.ok(verifier.verifyCosignature(text, cosig));
    assert.notEqual(cp2, log.checkpoint);
    // The timestamp is now, give or take.
    assert.ok(Math.abs(Number(cosig.timestamp) - Date.now() / 1000) < 60);
  });

  it("refuses a rollback: an older checkpoint, with its own old size (409 and the latest size)", async (t) => {
    const { log, server } = await witnessAt2(t);
    const cp2 = log.checkpoint;
    await appendTo(log, ["1.1.0", "1.2.0"]);
    assert.equal((await post(server, request(2n, await proofFrom(log, 2n), log.checkpoint))).status, 200);
    const stale = await post(server, request(2n, [], cp2));
    assert.equal(stale.status, 409);
    assert.equal(stale.contentType, "text/x.tlog.size");
    assert.equal(stale.body, "4\n");
  });

  it("refuses a rollback: an older checkpoint sent with the witness's size (400: old size above the checkpoint's)", async (t) => {
    const { log, server } = await witnessAt2(t);
    const cp2 = log.checkpoint;
    await appendTo(log, ["1.1.0", "1.2.0"]);
    assert.equal((await post(server, request(2n, await proofFrom(log, 2n), log.checkpoint))).status, 200);
    assert.equal((await post(server, request(4n, [], cp2))).status, 400);
  });

  it("refuses a fork / split view: another tree of the size it cosigned (409)", async (t) => {
    const evidence: WitnessEvidence[] = [];
    const { log, server } = await witnessAt2(t, evidence);
    const fork = await memoryLog(["1.0.0", "1.0.1-evil"]);
    const answer = await post(server, request(2n, [], fork.checkpoint));
    assert.equal(answer.status, 409);
    assert.notEqual(answer.contentType, "text/x.tlog.size");
    // The signed fork is kept as evidence of the log's misbehaviour.
    assert.equal(evidence.length, 1);
    assert.equal(evidence[0]?.code, TLOG_ERRORS.SPLIT_VIEW);
    assert.equal(evidence[0]?.checkpoint, fork.checkpoint);
    assert.ok(evidence[0]?.latest?.startsWith(log.checkpoint.slice(0, log.checkpoint.indexOf("\n\n"))));
  });

  it("refuses a fork: a larger tree that does not extend the one it cosigned (422)", async (t) => {
    const evidence: WitnessEvidence[] = [];
    const { server } = await witnessAt2(t, evidence);
    const fork = await memoryLog(["1.0.0", "1.0.1"], "evil");
    await appendTo(fork, ["1.1.0"]);
    const answer = await post(server, request(2n, await proofFrom(fork, 2n), fork.checkpoint));
    assert.equal(answer.status, 422);
    assert.equal(evidence[0]?.code, TLOG_ERRORS.BAD_PROOF);
  });

  it("refuses a consistency proof that does not lead to the checkpoint (422)", async (t) => {
    const { log, server } = await witnessAt2(t);
    await appendTo(log, ["1.1.0", "1.2.0"]);
    const proof = await proofFrom(log, 2n);
    const bent = proof.map((h, i) => (i === 0 ? h.map((b) => b ^ 1) : h));
    assert.equal((await post(server, request(2n, bent, log.checkpoint))).status, 422);
    assert.equal((await post(server, request(2n, proof.slice(1), log.checkpoint))).status, 422);
  });

  it("refuses a non-empty proof from the empty tree (422)", async (t) => {
    const server = await listenWitness(makeWitness());
    t.after(() => server.close());
    const log = await memoryLog(["1.0.0", "1.0.1"]);
    const proof = await proofFrom(log, 1n);
    assert.equal((await post(server, request(0n, proof, log.checkpoint))).status, 422);
  });

  it("refuses a stale old size, answering its latest size as text/x.tlog.size (409)", async (t) => {
    const { log, server } = await witnessAt2(t);
    await appendTo(log, ["1.1.0"]);
    const answer = await post(server, request(0n, [], log.checkpoint));
    assert.deepEqual(
      { status: answer.status, type: answer.contentType, body: answer.body },
      { status: 409, type: "text/x.tlog.size", body: "2\n" },
    );
  });

  it("refuses a forged checkpoint: signed by another key with the log's name (403)", async (t) => {
    const { server } = await witnessAt2(t);
    const forger = generateKey(ORIGIN);
    const forged = await LogWriter.create(new MemoryStore(), {
      origin: ORIGIN,
      signer: parseSignerKey(forger.skey),
      verifier: parseVerifierKey(forger.vkey),
    });
    await forged.append([new TextEncoder().encode("evil")]);
    assert.equal((await post(server, request(2n, [], forged.checkpoint))).status, 403);
  });

  it("refuses a tampered checkpoint: the log's signature does not verify (403)", async (t) => {
    const { log, server } = await witnessAt2(t);
    const lines = log.checkpoint.split("\n");
    lines[2] = Buffer.alloc(32, 7).toString("base64");
    assert.equal((await post(server, request(2n, [], lines.join("\n")))).status, 403);
  });

  it("refuses a checkpoint of a log it does not witness (404)", async (t) => {
    const { server } = await witnessAt2(t);
    const other = generateKey("example.org/other");
    const note = await signNote(`example.org/other\n0\n${"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}\n`, [
      parseSignerKey(other.skey),
    ]);
    assert.equal((await post(server, request(0n, [], note))).status, 404);
  });

  const malformed: ReadonlyArray<[string, string]> = [
    ["an empty body", ""],
    ["no old line", "\nexample.com/releases\n0\n"],
    ["an old size with a leading zero", "old 02\n\nx\n"],
    ["a negative old size", "old -1\n\nx\n"],
    ["an old size past 2^64", "old 18446744073709551616\n\nx\n"],
    ["a proof line that is not base64", "old 2\nnot base64!\n\nx\n"],
    ["a proof line of 31 bytes", `old 2\n${Buffer.alloc(31).toString("base64")}\n\nx\n`],
    ["64 proof lines", `old 2\n${`${Buffer.alloc(32).toString("base64")}\n`.repeat(64)}\nx\n`],
    ["no empty line", `old 2\n${Buffer.alloc(32).toString("base64")}\n`],
    ["no checkpoint", "old 0\n\n"],
    ["a checkpoint that is not a note", "old 0\n\nexample.com/releases\n0\n"],
  ];
  for (const [what, body] of malformed) {
    it(`refuses a malformed request (400): ${what}`, async (t) => {
      const { server } = await witnessAt2(t);
      assert.equal((await post(server, body)).status, 400);
    });
  }

  it("refuses a body over its limit while streaming (413)", async (t) => {
    const server = await listenWitness(makeWitness(), { maxBodyBytes: 1024 });
    t.after(() => server.close());
    const answer = await post(server, `old 0\n\n${"x".repeat(4096)}`).catch((e: Error) => ({
      status: 0,
      body: e.message,
    }));
    assert.equal(answer.status, 413, answer.body);
  });

  it("refuses a chunked body over its limit as it streams in (413)", async (t) => {
    const server = await listenWitness(makeWitness(), { maxBodyBytes: 1024 });
    t.after(() => server.close());
    const url = new URL("add-checkpoint", server.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST" }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      // No Content-Length: chunks until the server answers.
      const chunk = Buffer.alloc(512, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < 64 && req.write(chunk)) sent++;
        if (sent < 64) req.once("drain", pump);
        else req.end();
      };
      pump();
    });
    assert.equal(status, 413);
  });

  it("answers 405 to a GET of add-checkpoint and 404 elsewhere", async (t) => {
    const { server } = await witnessAt2(t);
    const get = await fetch(new URL("add-checkpoint", server.url));
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
    assert.equal((await fetch(new URL("nothing", server.url))).status, 404);
  });
});

describe("witness state", () => {
  let log: LogWriter;
  before(async () => {
    log = await memoryLog(["1.0.0", "1.0.1"]);
  });

  it("checks and records atomically: racing requests never roll it back", async () => {
    const witness = makeWitness();
    await witness.addCheckpoint(request(0n, [], log.checkpoint));
    const longer = await memoryLog(["1.0.0", "1.0.1"]);
    const cp3 = await appendTo(longer, ["1.1.0"]);
    const p3 = await proofFrom(longer, 2n);
    const cp4 = await appendTo(longer, ["1.2.0"]);
    const p4 = await proofFrom(longer, 2n);
    const results = await Promise.allSettled([
      witness.addCheckpoint(request(2n, p4, cp4)),
      witness.addCheckpoint(request(2n, p3, cp3)),
    ]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.flatMap((r) => (r.status === "rejected" ? [r.reason as WitnessRefusal] : []));
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    assert.ok(lost[0] instanceof WitnessRefusal);
    assert.equal(lost[0].status, 409);
    // The first request queued wins; the witness now holds size 4, and 3 is refused with it.
    assert.equal(lost[0].latestSize, 4n);
    const latest = (await witness.latestByOriginHash(originHash(ORIGIN))) as string;
    assert.equal(latest.split("\n")[1], "4");
  });

  it("persists before answering: a restarted witness on the same folder remembers", async () => {
    const dir = path.join(temp, "persist");
    const { signer } = witnessKey("witness.example/w2");
    const make = () => makeWitness("witness.example/w2", { signer, state: new FolderWitnessState(dir) }) as TlogWitness;
    await make().addCheckpoint(request(0n, [], log.checkpoint));
    const restarted = make();
    await assert.rejects(restarted.addCheckpoint(request(0n, [], log.checkpoint)), (e: WitnessRefusal) => {
      assert.equal(e.code, TLOG_ERRORS.STALE_SIZE);
      assert.equal(e.latestSize, 2n);
      return true;
    });
  });

  it("fails closed on a damaged record: 500, never 'never cosigned'", async (t) => {
    const dir = path.join(temp, "damaged");
    const state = new FolderWitnessState(dir);
    const witness = makeWitness("witness.example/w3", { state });
    await witness.addCheckpoint(request(0n, [], log.checkpoint));
    writeFileSync(state.fileOf(ORIGIN), "garbage\n");
    const server = await listenWitness(witness);
    t.after(() => server.close());
    const answer = await post(server, request(0n, [], log.checkpoint));
    assert.equal(answer.status, 500);
    assert.equal(answer.body, "internal error\n");
  });

  it("serves the latest cosigned checkpoint to monitors, with the log's signature and its cosignature", async (t) => {
    const witness = makeWitness();
    await witness.addCheckpoint(request(0n, [], log.checkpoint));
    const server = await listenWitness(witness);
    t.after(() => server.close());
    const res = await fetch(new URL(`${originHash(ORIGIN)}/checkpoint`, server.url));
    assert.equal(res.status, 200);
    const note = await res.text();
    const opened = openNote(note, [logKey.verifier, parseVerifierKey(witness.vkey)]);
    assert.equal(opened.sigs.length, 2);
    assert.equal((await fetch(new URL(`${originHash("example.org/x")}/checkpoint`, server.url))).status, 404);
  });

  it("refuses a log it does not know without recording anything", async () => {
    const witness = makeWitness();
    await assert.rejects(
      witness.addCheckpoint(
        request(
          0n,
          [],
          await signNote("other.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", [logKey.signer]),
        ),
      ),
      (e: WitnessRefusal) => e.status === 404 && e.code === TLOG_ERRORS.UNKNOWN_LOG,
    );
    assert.deepEqual(witness.origins(), [ORIGIN]);
    assert.equal(await witness.latestByOriginHash(originHash("other.example/log")), undefined);
  });
});
