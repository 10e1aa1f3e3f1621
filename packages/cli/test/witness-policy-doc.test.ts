/**
 * The witness policy file documented in docs/transparency-log.md ("The witness policy
 * file"): its complete example, read from the doc's fenced block, parses with the real
 * parser into what the doc says, and `bulwark log init --witnesses` accepts it.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isSatisfied, parseWitnessPolicy, policyEndpoints, type Witness } from "@bulwark/tlog";
import { runCli, tempDir } from "./helpers.js";

const CHECKOUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

/** The fenced block of docs/transparency-log.md that holds the complete witness policy. */
function documentedPolicy(): string {
  const doc = readFileSync(path.join(CHECKOUT, "docs", "transparency-log.md"), "utf8");
  const blocks = [...doc.matchAll(/```text\n(# witnesses\.policy[^`]*)```/g)];
  assert.equal(blocks.length, 1, "docs/transparency-log.md has one complete witnesses.policy example");
  return blocks[0]?.[1] as string;
}

describe("the documented witness policy", () => {
  it("parses with the real parser into the quorum the doc describes", () => {
    const policy = parseWitnessPolicy(documentedPolicy());
    const witnesses = [...policy.components.values()].filter((c): c is Witness => c.kind === "witness");
    assert.deepEqual(
      witnesses.map((w) => [w.name, w.url]),
      [
        ["w1", "https://w1.partner.example/"],
        ["w2", "https://w2.customer.example/"],
        ["w3", "https://w3.network.example/"],
        ["w4", undefined],
      ],
    );
    const key = (name: string) => witnesses.find((w) => w.name === name)?.verifier.vkey as string;
    // "a checkpoint cosigned by w1 and w3 counts; one cosigned by w1 and w2 does not"
    assert.equal(isSatisfied(policy.quorum, [key("w1"), key("w3")]), true);
    assert.equal(isSatisfied(policy.quorum, [key("w1"), key("w2")]), false);
    assert.equal(isSatisfied(policy.quorum, [key("w3"), key("w4")]), true);
    // "log append asks w1, w2 and w3"
    assert.deepEqual(
      policyEndpoints(policy.quorum).map((e) => e.name),
      ["w1", "w2", "w3"],
    );
    const strict = policy.components.get("strict");
    assert.ok(strict?.kind === "group");
    assert.equal(strict.threshold, 3);
  });

  it("is accepted by `bulwark log init --witnesses`", async (t) => {
    const base = tempDir(t, "bulwark-policy-doc-");
    writeFileSync(path.join(base, "witnesses.policy"), documentedPolicy());
    const init = await runCli(
      ["log", "init", "log", "--origin", "updates.example.com/log", "--witnesses", "witnesses.policy", "--json"],
      { cwd: base },
    );
    assert.equal(init.code, 0, init.stderr);
    assert.equal(init.json<{ witnesses: number }>().witnesses, 4);
    const status = await runCli(["log", "status", "log", "--json"], { cwd: base });
    // The new log's checkpoint is cosigned by nobody: the documented quorum is not met.
    assert.equal(status.code, 1, status.stderr);
    assert.equal(status.json<{ quorum: boolean }>().quorum, false);
  });
});
