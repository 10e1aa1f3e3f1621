/**
 * Releases through a log and its witnesses over loopback HTTP: two witnesses cosign a good
 * checkpoint, proofs verify offline against a 2-of-2 policy; a witness that lost track is
 * caught up after one 409; a witness that is down, slow or forked-against is reported and
 * the quorum refused; release proofs refuse tampering.
 */
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import {
  appendReleases,
  collectCosignatures,
  LogWriter,
  listenWitness,
  MemoryStore,
  marshalTlogProof,
  parseCosignatureVerifierKey,
  parseTlogProof,
  parseWitnessPolicy,
  policyEndpoints,
  witness as policyWitness,
  TLOG_ERRORS,
  TlogError,
  type TlogWitness,
  verifyReleaseProof,
  verifyWitnessedCheckpoint,
  type WitnessEndpoint,
  witnessGroup,
} from "../src/index.js";
import { logKey, logOptions, makeWitness, memoryLog, ORIGIN, proofFrom, release } from "./log-fixtures.js";

type After = { after(fn: () => Promise<void> | void): void };

async function serve(t: After, name: string): Promise<{ witness: TlogWitness; endpoint: WitnessEndpoint }> {
  const witness = makeWitness(name);
  const server = await listenWitness(witness);
  t.after(() => server.close());
  return { witness, endpoint: { name, url: server.url, verifier: parseCosignatureVerifierKey(witness.vkey) } };
}

const verifyOptions = (endpoints: readonly WitnessEndpoint[], k = endpoints.length) => ({
  origin: ORIGIN,
  logVerifier: logKey.verifier,
  policy: witnessGroup(
    k,
    endpoints.map((e) => policyWitness(e.name, e.verifier)),
  ),
});

describe("appendReleases with witnesses", () => {
  it("two witnesses cosign a good checkpoint; each proof verifies offline against 2 of 2", async (t) => {
    const w1 = await serve(t, "witness.example/w1");
    const w2 = await serve(t, "witness.example/w2");
    const writer = await LogWriter.create(new MemoryStore(), logOptions());
    const endpoints = [w1.endpoint, w2.endpoint];
    const policy = verifyOptions(endpoints).policy;
    const first = await appendReleases(writer, [release("1.0.0"), release("1.0.1")], { witnesses: endpoints, policy });
    assert.equal(first.witnesses.filter((r) => r.lines).length, 2);
    const second = await appendReleases(writer, [release("1.1.0")], { witnesses: endpoints, policy });
    assert.equal(second.firstIndex, 2n);
    assert.equal(second.size, 3n);
    // The published checkpoint carries both cosignatures: 2 of 2 verify, and 2 of 2 with one stripped do not.
    assert.equal(new TextDecoder().decode(await writer.store.get("checkpoint")), second.checkpoint);
    const options = { origin: ORIGIN, logVerifier: logKey.verifier, policy };
    assert.equal(verifyWitnessedCheckpoint(second.checkpoint, options).cosignatures.length, 2);
    const oneCosignature = second.checkpoint.replace(/\u2014 witness\.example\/w2 .*\n/, "");
    assert.throws(
      () => verifyWitnessedCheckpoint(oneCosignature, options),
      (e: TlogError) => e.code === TLOG_ERRORS.WITNESS_QUORUM,
    );
    for (const p of [...first.proofs, ...second.proofs]) {
      const verified = verifyReleaseProof(p.proof, {
        ...verifyOptions(endpoints),
        target: { path: p.entry.path, length: p.entry.length, sha256: p.entry.sha256 },
      });
      assert.deepEqual(verified.entry, p.entry);
      assert.equal(verified.checkpoint.cosignatures.length, 2);
    }
  });

  it("catches up a witness that missed checkpoints: one 409, then a proof from its size", async (t) => {
    const w1 = await serve(t, "witness.example/w1");
    const writer = await memoryLog(["1.0.0", "1.0.1", "1.0.2"]);
    // The witness never saw this log: the hint (size 3) is answered with 409 "0".
    const result = await appendReleases(writer, [release("1.1.0")], { witnesses: [w1.endpoint] });
    assert.ok(result.witnesses[0]?.lines, String(result.witnesses[0]?.error));
    // Next time it is at 4; a hint of 2 is corrected with a consistency proof from 4.
    const again = await collectCosignatures(
      (await appendReleases(writer, [release("1.2.0")])).checkpoint,
      [w1.endpoint],
      { oldSize: 2n, size: 5n, proofFor: (from) => proofFrom(writer, from) },
    );
    assert.ok(again.results[0]?.lines, String(again.results[0]?.error));
  });

  it("refuses the quorum when a witness is down, and says which", async (t) => {
    const w1 = await serve(t, "witness.example/w1");
    const down: WitnessEndpoint = {
      name: "witness.example/down",
      url: "http://127.0.0.1:9/",
      verifier: parseCosignatureVerifierKey(makeWitness("witness.example/down").vkey),
    };
    const writer = await LogWriter.create(new MemoryStore(), logOptions());
    const policy = verifyOptions([w1.endpoint, down]).policy;
    await assert.rejects(
      appendReleases(writer, [release("1.0.0")], { witnesses: [w1.endpoint, down], policy, timeoutMs: 2000 }),
      (e: TlogError) => {
        assert.equal(e.code, TLOG_ERRORS.WITNESS_QUORUM);
        assert.match(e.message, /witness\.example\/down/);
        return true;
      },
    );
    // The entry stays logged, cosigned by the witness that answered.
    assert.equal(writer.size, 1n);
    const published = new TextDecoder().decode(await writer.store.get("checkpoint"));
    assert.match(published, /witness\.example\/w1/);
  });

  it("gives up on a witness that does not answer within the timeout", async (t) => {
    const silent = http.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    t.after(() => {
      silent.closeAllConnections();
      silent.close();
    });
    const w1 = await serve(t, "witness.example/w1");
    const slow = { ...w1.endpoint, url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/` };
    const writer = await memoryLog(["1.0.0"]);
    const started = Date.now();
    const collected = await collectCosignatures(writer.checkpoint, [slow], {
      oldSize: 0n,
      size: 1n,
      proofFor: async () => [],
      timeoutMs: 200,
    });
    assert.equal(collected.results[0]?.error?.code, TLOG_ERRORS.WITNESS_FAILED);
    assert.match(collected.results[0]?.error?.message ?? "", /within 200 ms/);
    assert.ok(Date.now() - started < 2000);
  });

  it("reports a witness that cosigned a fork of the same size (split view)", async (t) => {
    const w1 = await serve(t, "witness.example/w1");
    const fork = await memoryLog(["1.0.0"], "evil");
    await collectCosignatures(fork.checkpoint, [w1.endpoint], { oldSize: 0n, size: 1n, proofFor: async () => [] });
    const honest = await memoryLog(["1.0.0"]);
    const collected = await collectCosignatures(honest.checkpoint, [w1.endpoint], {
      oldSize: 1n,
      size: 1n,
      proofFor: async () => [],
    });
    assert.equal(collected.results[0]?.error?.code, TLOG_ERRORS.SPLIT_VIEW);
    assert.equal(collected.note, honest.checkpoint);
  });

  it("reads witnesses and their URLs from a policy file", async () => {
    const w = makeWitness("witness.example/w9");
    const policy = parseWitnessPolicy(
      `witness w9 ${w.vkey} https://w9.example/\nwitness nourl ${makeWitness("x.example/w").vkey}\ngroup g any w9 nourl\nquorum g\n`,
    );
    assert.deepEqual(
      policyEndpoints(policy.quorum).map((e) => [e.name, e.url]),
      [["w9", "https://w9.example/"]],
    );
  });
});

describe("verifyReleaseProof", () => {
  it("refuses a proof whose entry was swapped, a proof without an entry, and one for another target", async () => {
    const writer = await LogWriter.create(new MemoryStore(), logOptions());
    const { proofs } = await appendReleases(writer, [release("1.0.0"), release("1.0.1")]);
    const options = { origin: ORIGIN, logVerifier: logKey.verifier };
    const [a, b] = proofs as [(typeof proofs)[0], (typeof proofs)[0]];
    const swapped = marshalTlogProof({
      ...parseTlogProof(a.proof),
      extra: parseTlogProof(b.proof).extra as Uint8Array,
    });
    assert.throws(
      () => verifyReleaseProof(swapped, options),
      (e: TlogError) => e.code === TLOG_ERRORS.BAD_PROOF,
    );
    const { extra: _, ...bare } = parseTlogProof(a.proof);
    assert.throws(
      () => verifyReleaseProof(marshalTlogProof(bare), options),
      (e: TlogError) => e.code === TLOG_ERRORS.MALFORMED_PROOF,
    );
    assert.throws(
      () =>
        verifyReleaseProof(a.proof, { ...options, target: { path: b.entry.path, length: 1, sha256: b.entry.sha256 } }),
      (e: TlogError) => e.code === TLOG_ERRORS.BAD_ENTRY,
    );
    // Without cosignatures, a policy needing one witness refuses the proof.
    const w = makeWitness();
    assert.throws(
      () =>
        verifyReleaseProof(a.proof, {
          ...options,
          policy: witnessGroup(1, [policyWitness("w", parseCosignatureVerifierKey(w.vkey))]),
        }),
      (e: TlogError) => e instanceof TlogError && e.code === TLOG_ERRORS.WITNESS_QUORUM,
    );
  });
});
