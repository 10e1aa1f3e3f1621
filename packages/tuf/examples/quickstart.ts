/**
 * `npm start`: a narrated tour of Bulwark's TUF layer on embedded defaults, with no
 * external services. A vendor repository is created in a temporary folder and served on
 * 127.0.0.1; the client (the same CLI the public tuf-conformance suite drives) installs a
 * release, updates, and then faces an attacker who controls the update server.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { serveFiles } from "@bulwark/testkit";
import { Metadata, PrivateKeySigner, Repository, TargetFile } from "../src/index.js";

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const client = path.resolve(here, "../../../../bin/tuf-conformance-client");
const color = process.stdout.isTTY
  ? (code: number, s: string) => `\u001b[${code}m${s}\u001b[0m`
  : (_: number, s: string) => s;
const say = (s: string) => process.stdout.write(`${s}\n`);
const step = (s: string) => say(`\n${color(1, `▸ ${s}`)}`);

interface Outcome {
  scene: string;
  expected: "accepted" | "refused";
  actual: "accepted" | "refused";
  detail: string;
}
const outcomes: Outcome[] = [];

async function clientRun(args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const { stdout } = await run(client, args);
    return { ok: true, out: stdout.trim() };
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    return { ok: false, out: (e.stderr ?? e.message).trim() };
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), "bulwark-quickstart-"));
  const metadataDir = path.join(work, "client", "metadata");
  const targetDir = path.join(work, "client", "targets");
  try {
    step("The vendor creates a TUF repository (ed25519 keys for root, targets, snapshot, timestamp)");
    const signers = {
      root: [PrivateKeySigner.generate()],
      targets: [PrivateKeySigner.generate()],
      snapshot: [PrivateKeySigner.generate()],
      timestamp: [PrivateKeySigner.generate()],
    };
    const repo = await Repository.create({ signers });
    repo.addTarget({ path: "demo-app/demo-app-1.0.0.tar.gz", data: Buffer.from("demo-app 1.0.0\n") });
    await repo.publish();
    const server = await serveFiles(repo.files());
    const metadataUrl = `${server.url}metadata/`;
    const targetsUrl = `${server.url}targets/`;
    say(`  serving ${repo.files().length} files on ${server.url}`);

    step("An endpoint trusts the vendor's root and installs demo-app 1.0.0");
    const rootFile = path.join(work, "root.json");
    writeFileSync(rootFile, repo.publishedBytes("root") as Buffer);
    const download = (name: string, dir = metadataDir) =>
      clientRun([
        "--metadata-dir",
        dir,
        "--metadata-url",
        metadataUrl,
        "--target-name",
        name,
        "--target-base-url",
        targetsUrl,
        "--target-dir",
        targetDir,
        "download",
      ]);
    await clientRun(["--metadata-dir", metadataDir, "init", rootFile]);
    const first = await download("demo-app/demo-app-1.0.0.tar.gz");
    record("install demo-app 1.0.0", "accepted", first);

    step("The vendor publishes demo-app 1.1.0; the endpoint updates");
    const next = repo.addTarget({ path: "demo-app/demo-app-1.1.0.tar.gz", data: Buffer.from("demo-app 1.1.0\n") });
    const oldTimestamp = repo.publishedBytes("timestamp") as Buffer;
    await repo.publish();
    for (const f of repo.files()) server.files.set(f.path, f.data);
    record("update to demo-app 1.1.0", "accepted", await download("demo-app/demo-app-1.1.0.tar.gz"));

    step("An attacker who controls the update server swaps the 1.1.0 bytes");
    const hashed = `targets/demo-app/${next.hashes.get("sha256")}.demo-app-1.1.0.tar.gz`;
    const genuine = server.files.get(hashed) as Uint8Array;
    server.files.set(hashed, Buffer.from("demo-app 6.6.6\n")); // same length, other bytes
    rmSync(path.join(targetDir, encodeURIComponent("demo-app/demo-app-1.1.0.tar.gz")), { force: true });
    record("swapped 1.1.0 bytes", "refused", await download("demo-app/demo-app-1.1.0.tar.gz"));
    server.files.set(hashed, genuine);

    step("The attacker replays an old timestamp to hide the update (rollback attack)");
    server.files.set("metadata/timestamp.json", oldTimestamp);
    record("old timestamp replayed", "refused", await download("demo-app/demo-app-1.1.0.tar.gz"));

    step("The attacker serves targets metadata listing demo-app 9.9.9, signed with the attacker's own key");
    const forged = Metadata.fromBytes(repo.publishedBytes("targets") as Buffer, "targets");
    forged.signed.addTarget(TargetFile.fromData("demo-app/demo-app-9.9.9.tar.gz", Buffer.from("evil")));
    await forged.sign(PrivateKeySigner.generate(), { append: false });
    const targetsFile = `metadata/${forged.signed.version}.targets.json`;
    const genuineTargets = server.files.get(targetsFile) as Uint8Array;
    server.files.set(targetsFile, forged.toBytes({ indent: 0 }));
    server.files.set("metadata/timestamp.json", repo.publishedBytes("timestamp") as Buffer);
    // A new endpoint, which has no verified copy of targets yet.
    const fresh = path.join(work, "client2", "metadata");
    await clientRun(["--metadata-dir", fresh, "init", rootFile]);
    record("forged demo-app 9.9.9", "refused", await download("demo-app/demo-app-9.9.9.tar.gz", fresh));

    step("The attacker is gone: the genuine repository is served again");
    server.files.set(targetsFile, genuineTargets);
    record("update resumes", "accepted", await download("demo-app/demo-app-1.1.0.tar.gz"));

    await server.close();
    step("Summary");
    const width = Math.max(...outcomes.map((o) => o.scene.length));
    for (const o of outcomes) {
      const good = o.expected === o.actual;
      say(`  ${good ? color(32, "✔") : color(31, "✘")} ${o.scene.padEnd(width)}  ${o.actual.padEnd(8)}  ${o.detail}`);
    }
    const files = readFileSync(path.join(targetDir, encodeURIComponent("demo-app/demo-app-1.1.0.tar.gz")), "utf8");
    say(`\n  installed: ${files.trim()}`);
    if (outcomes.some((o) => o.expected !== o.actual)) process.exitCode = 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function record(scene: string, expected: Outcome["expected"], result: { ok: boolean; out: string }): void {
  const actual = result.ok ? "accepted" : "refused";
  const line = (result.out.split("\n")[0] ?? "").replace(/^tuf-conformance-client: /, "");
  outcomes.push({ scene, expected, actual, detail: line.length > 90 ? `${line.slice(0, 89)}…` : line });
  say(`  ${actual}: ${line}`);
}

await main();
