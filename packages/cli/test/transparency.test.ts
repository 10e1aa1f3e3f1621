/**
 * Release transparency end to end, over loopback HTTP: the root requires the vendor's
 * release log and 2 of 2 witnesses (served in process). `repo publish` logs each release
 * and publishes its proof beside it; a client installs a logged release after verifying
 * the proof, and refuses, with nothing downloaded: a release listed with stolen online keys
 * but never logged, a proof of another artifact, a proof with too few cosignatures, a proof
 * from another log key, an oversized proof. A publish whose witnesses fall below the
 * threshold fails before timestamp.json changes, and succeeds once they are back.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { CLIENT_ERRORS, ClientError } from "@bulwark/client";
import {
  addSignatureLines,
  appendReleases,
  Ed25519Signer,
  LogWriter,
  MemoryStore,
  marshalTlogProof,
  parseTlogProof,
  releaseEntryFor,
  TLOG_ERRORS,
  TlogError,
} from "@bulwark/tlog";
import { tarGz } from "../src/quickstart/demo-archive.js";
import { APP, currentLink, demoFiles, endpoint, installedFiles } from "./e2e-helpers.js";
import { runCli } from "./helpers.js";
import { ORIGIN, placeProof, proofFiles, publishJson, readProof, vendorWithLog } from "./transparency-helpers.js";
import { listDirectly, refusedInstall, sha256, trojanBuild } from "./verified-builds-helpers.js";

const P100 = `${APP}/1.0.0/${APP}-1.0.0.tar.gz`;
const P101 = `${APP}/1.0.1/${APP}-1.0.1.tar.gz`;

describe("release transparency: publish logs, clients require proofs", () => {
  it("installs a logged release after verifying its proof; refuses one listed with stolen keys but never logged", async (t) => {
    const { vendor } = await vendorWithLog(t);
    const v100 = tarGz(demoFiles("1.0.0"));
    await vendor.add("1.0.0", v100);
    const published = await publishJson(vendor);
    assert.equal(published.code, 0, published.stderr);
    const report = published.json<{
      log: { origin: string; entries: number; firstIndex: string; cosignedBy: string[] };
    }>();
    assert.deepEqual(report.log, {
      origin: ORIGIN,
      entries: 1,
      backfilled: [],
      firstIndex: "0",
      size: "1",
      cosignedBy: ["w1", "w2"],
    });

    // The proof sits beside the artifact (hash-prefixed) and under the plain name; it is no TUF target.
    const files = proofFiles(vendor, P100, v100);
    assert.equal(readFileSync(files.prefixed, "utf8"), readFileSync(files.plain, "utf8"));
    const proof = parseTlogProof(readFileSync(files.prefixed));
    const entry = JSON.parse(Buffer.from(proof.extra ?? []).toString()) as Record<string, unknown>;
    assert.deepEqual(
      [entry.name, entry.version, entry.path, entry.sha256, entry.length],
      [APP, "1.0.0", P100, sha256(v100), v100.length],
    );
    // targets 2 came with the log policy's root (signed by the new online key); 3 lists 1.0.0.
    const targetsFile = readFileSync(path.join(vendor.dir, "public", "metadata", "3.targets.json"));
    assert.deepEqual(entry.targets, { role: "targets", version: 3, sha256: sha256(targetsFile) });
    const ep = endpoint(t, vendor);
    const logged: string[] = [];
    ep.client.on("release-logged", (e: { message: string; witnesses: string[] }) => logged.push(e.message));
    assert.ok(!(await ep.client.releases()).some((r) => r.target.path.endsWith(".tlog-proof")));
    assert.deepEqual(await ep.client.update(), { action: "installed", to: "1.0.0" });
    assert.deepEqual(installedFiles(ep), demoFiles("1.0.0"));
    assert.match(
      logged.join("\n"),
      /is entry 0 of updates\.example\.com\/log \(tree size 1\), cosigned by w1, w2 \(2 required\)/,
    );

    // The attacker holds the online keys (targets, snapshot, timestamp) and lists 1.0.1: never logged.
    await listDirectly(vendor, { version: "1.0.1", fileName: `${APP}-1.0.1.tar.gz`, bytes: trojanBuild("1.0.1") });
    const error = await refusedInstall(
      ep,
      "1.0.1",
      CLIENT_ERRORS.NOT_IN_LOG,
      /is not in the transparency log updates\.example\.com\/log/,
    );
    assert.ok(error instanceof ClientError);
    await assert.rejects(ep.client.update(), { code: CLIENT_ERRORS.NOT_IN_LOG });
    assert.equal(currentLink(ep), "versions/1.0.0");
    const downloads = readdirSync(path.join(ep.dataDir, "downloads"));
    assert.ok(!downloads.some((f) => f.includes("1.0.1")), `nothing of 1.0.1 was downloaded: ${downloads.join(", ")}`);
  });

  it("refuses a proof of another artifact, too few cosignatures, another log key and an oversized proof", async (t) => {
    const { vendor, witnesses } = await vendorWithLog(t);
    const v100 = tarGz(demoFiles("1.0.0"));
    await vendor.add("1.0.0", v100);
    await vendor.publish();
    const genuine = readProof(vendor, P100, v100);
    const trojan = trojanBuild("1.0.1");
    await listDirectly(vendor, { version: "1.0.1", fileName: `${APP}-1.0.1.tar.gz`, bytes: trojan });

    // One witness's cosignature only: the root requires both.
    const w2Line = genuine.split("\n").find((l) => l.startsWith(`— ${witnesses[1]?.signer.name} `));
    assert.ok(w2Line);
    const oneCosigner = genuine.replace(`${w2Line}\n`, "");

    // Another log with the root's origin, its checkpoint even cosigned by both witness keys.
    const forger = new Ed25519Signer(ORIGIN, Buffer.alloc(32, 7));
    const other = await LogWriter.create(new MemoryStore(), {
      origin: ORIGIN,
      signer: forger,
      verifier: forger.verifier(),
    });
    const forgedEntry = releaseEntryFor(
      { name: APP, version: "1.0.1" },
      { path: P101, length: trojan.length, sha256: sha256(trojan) },
      { role: "targets", version: 3, metadata: Buffer.from("any") },
    );
    const [forged] = (await appendReleases(other, [forgedEntry])).proofs;
    assert.ok(forged);
    const parsed = parseTlogProof(forged.proof);
    const text = parsed.checkpoint.slice(0, parsed.checkpoint.lastIndexOf("\n\n") + 1);
    const lines = witnesses.map((w) => w.signer.cosignatureLine(text, BigInt(Math.floor(Date.now() / 1000))));
    const otherLog = marshalTlogProof({ ...parsed, checkpoint: addSignatureLines(parsed.checkpoint, lines) });

    const cases: ReadonlyArray<{ name: string; version: string; proof: string | Buffer; message: RegExp }> = [
      { name: "a proof of another artifact", version: "1.0.1", proof: genuine, message: /is for another artifact/ },
      {
        name: "a proof with too few witness cosignatures",
        version: "1.0.0",
        proof: oneCosigner,
        message: /cosigned by fewer than 2 of the root's 2 witnesses/,
      },
      {
        name: "a proof signed by another log key",
        version: "1.0.1",
        proof: otherLog,
        message: /not signed by the log key the root names/,
      },
      {
        name: "an oversized proof",
        version: "1.0.1",
        proof: Buffer.alloc(70 * 1024, "a"),
        message: /over the 65536 bytes allowed/,
      },
      { name: "a malformed proof", version: "1.0.1", proof: "not a proof\n", message: /does not verify/ },
    ];
    for (const c of cases) {
      const [targetPath, bytes] = c.version === "1.0.0" ? [P100, v100] : [P101, trojan];
      placeProof(vendor, targetPath, bytes, c.proof);
      const ep = endpoint(t, vendor);
      const error = await refusedInstall(ep, c.version, CLIENT_ERRORS.BAD_LOG_PROOF, c.message);
      assert.ok(error.cause instanceof TlogError || c.name === "an oversized proof", c.name);
      if (c.version === "1.0.0") placeProof(vendor, P100, v100, genuine);
    }
    // The genuine 1.0.0 proof is back: 1.0.0 installs.
    const ep = endpoint(t, vendor);
    const release = (await ep.client.releases()).find((r) => r.version === "1.0.0");
    assert.ok(release);
    await ep.client.install(release);
    assert.equal(currentLink(ep), "versions/1.0.0");
  });

  it("fails a publish whose witnesses fall below the threshold before timestamp.json changes; publishes once they are back", async (t) => {
    const { vendor, logDir, logVkey, witnesses } = await vendorWithLog(t);
    const w2 = witnesses[1];
    assert.ok(w2);
    await vendor.release("1.0.0");
    const ep = endpoint(t, vendor);
    await ep.client.update();
    const timestamp = path.join(vendor.dir, "public", "metadata", "timestamp.json");
    const before = readFileSync(timestamp);

    await w2.down();
    const v110 = tarGz(demoFiles("1.1.0"));
    await vendor.add("1.1.0", v110);
    const dryRun = await runCli(["repo", "publish", vendor.dir, "--dry-run", "--json"]);
    assert.deepEqual(
      dryRun.json<{ log: unknown }>().log,
      { origin: ORIGIN, entries: 1, backfilled: [] },
      "a dry run logs nothing",
    );
    const failed = await publishJson(vendor);
    assert.equal(failed.code, 1, failed.stderr);
    const error = failed.json<{ error: { code: string; message: string; hint: string } }>().error;
    assert.equal(error.code, TLOG_ERRORS.WITNESS_QUORUM);
    assert.match(
      error.message,
      /fewer than 2 of the root's 2 witnesses cosigned.*w2.*Nothing was published.*stays in the log/s,
    );
    assert.deepEqual(readFileSync(timestamp), before, "timestamp.json is unchanged");
    const files = proofFiles(vendor, `${APP}/1.1.0/${APP}-1.1.0.tar.gz`, v110);
    assert.ok(!existsSync(path.dirname(files.prefixed)), "nothing of 1.1.0 is public");
    assert.deepEqual(
      (await ep.client.releases()).map((r) => r.version),
      ["1.0.0"],
      "clients still see the previous state",
    );
    assert.deepEqual(await ep.client.update(), { action: "none", current: "1.0.0" });
    const status = await runCli(["log", "status", logDir, "--json"]);
    assert.equal(status.json<{ size: string }>().size, "2", "the 1.1.0 entry stays logged");

    // w2 is back at another address: bulwark.json tells the publisher where.
    await w2.up();
    const config = JSON.parse(readFileSync(path.join(vendor.dir, "bulwark.json"), "utf8")) as Record<string, unknown>;
    const log = config.log as { dir: string };
    writeFileSync(
      path.join(vendor.dir, "bulwark.json"),
      JSON.stringify({ ...config, log: { ...log, witnesses: [{ name: "w2", url: w2.url }] } }, null, 2),
    );
    const retried = await publishJson(vendor);
    assert.equal(retried.code, 0, retried.stderr);
    assert.deepEqual(retried.json<{ log: { firstIndex: string; cosignedBy: string[] } }>().log.cosignedBy, [
      "w1",
      "w2",
    ]);
    assert.deepEqual(await ep.client.update(), { action: "installed", from: "1.0.0", to: "1.1.0" });

    // Logged twice (the failed publish's entry stays), listed once: the monitor sees no problem.
    writeFileSync(path.join(vendor.work, "root.json"), vendor.root());
    const monitor = await runCli([
      ...["log", "monitor", "--log", logDir, "--log-vkey", logVkey, "--json"],
      ...["--repo", vendor.server.url, "--root", path.join(vendor.work, "root.json")],
    ]);
    assert.equal(monitor.code, 0, monitor.stdout);
    assert.deepEqual(monitor.json<{ entries: { checked: number } }>().entries.checked, 3);
  });
});
