/**
 * What a vendor's log hears from a witness, over loopback: a witness holding a tree this log
 * never produced (the attacker's privately extended copy, cosigned first) means the log key
 * was used elsewhere, an incident, and says so with TLOG_SPLIT_VIEW; a witness that is down
 * is an outage (TLOG_WITNESS_FAILED) and does not say so; a witness that cannot read the
 * log's tiles says to upload them (TLOG_DATA_UNAVAILABLE).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { listen, type TestLike } from "@bulwark/testkit";
import {
  collectCosignatures,
  formatAddCheckpointRequest,
  formatReleaseEntry,
  LOG_KEY_INCIDENT,
  type LogWriter,
  listenWitness,
  parseCosignatureVerifierKey,
  TLOG_ERRORS,
  type TlogWitness,
  type WitnessEndpoint,
} from "../src/index.js";
import { appendTo, logOptions, makeWitness, memoryLog, ORIGIN, proofFrom, release } from "./log-fixtures.js";

async function serve(t: TestLike, witness: TlogWitness): Promise<WitnessEndpoint> {
  const server = await listenWitness(witness);
  t.after(() => server.close());
  return { name: "w1", url: server.url, verifier: parseCosignatureVerifierKey(witness.vkey) };
}

/** A witness that cosigned the log at size 2, then the attacker's private extension to 3. */
async function witnessOfAPrivateExtension(t: TestLike) {
  const witness = makeWitness();
  const endpoint = await serve(t, witness);
  const honest = await memoryLog(["1.0.0", "1.0.1"]);
  await witness.addCheckpoint(formatAddCheckpointRequest({ oldSize: 0n, proof: [], checkpoint: honest.checkpoint }));
  const trojan = await memoryLog(["1.0.0", "1.0.1"]);
  await trojan.append([formatReleaseEntry(release("1.1.0", "trojan"))]);
  await witness.addCheckpoint(
    formatAddCheckpointRequest({ oldSize: 2n, proof: await proofFrom(trojan, 2n), checkpoint: trojan.checkpoint }),
  );
  return { endpoint, honest };
}

async function ask(endpoint: WitnessEndpoint, log: LogWriter, oldSize: bigint) {
  const collected = await collectCosignatures(log.checkpoint, [endpoint], {
    oldSize,
    size: log.size,
    proofFor: (from) => proofFrom(log, from),
    timeoutMs: 2000,
  });
  return collected.results[0]?.error;
}

describe("a witness holding a tree this log never produced", () => {
  const cases: ReadonlyArray<{ name: string; next: string[] }> = [
    { name: "another tree of the log's size", next: ["1.1.0"] },
    { name: "a tree the log's larger tree does not extend", next: ["1.1.0", "1.2.0"] },
    { name: "a larger tree than the log has", next: [] },
  ];
  for (const c of cases) {
    it(`says the log key was used elsewhere (an incident, not an outage): ${c.name}`, async (t) => {
      const { endpoint, honest } = await witnessOfAPrivateExtension(t);
      await appendTo(honest, c.next);
      const error = await ask(endpoint, honest, 2n);
      assert.equal(error?.code, TLOG_ERRORS.SPLIT_VIEW, String(error));
      assert.match(error?.message ?? "", /used elsewhere \u2014 an incident, not an outage/);
      assert.ok(error?.message.includes(LOG_KEY_INCIDENT));
    });
  }

  it("an outage is not an incident: a witness that is down is TLOG_WITNESS_FAILED", async (t) => {
    const url = await listen(t, (req) => req.socket.destroy());
    const endpoint = { ...(await serve(t, makeWitness())), url };
    const error = await ask(endpoint, await memoryLog(["1.0.0"]), 0n);
    assert.equal(error?.code, TLOG_ERRORS.WITNESS_FAILED);
    assert.doesNotMatch(error?.message ?? "", /incident/);
  });

  it("a witness that cannot read the log's tiles says to upload them (TLOG_DATA_UNAVAILABLE, 424)", async (t) => {
    const url = await listen(t, (_req, res) => res.writeHead(404).end());
    const witness = makeWitness("witness.example/w1", {
      logs: [{ origin: ORIGIN, verifiers: [logOptions().verifier], publicUrl: url }],
    });
    const endpoint = await serve(t, witness);
    const error = await ask(endpoint, await memoryLog(["1.0.0"]), 0n);
    assert.equal(error?.code, TLOG_ERRORS.DATA_UNAVAILABLE);
    assert.match(error?.message ?? "", /upload the tiles/);
  });
});
