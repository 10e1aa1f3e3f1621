import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import type { KeyEntry } from "@bulwark/publisher";
import { Metadata, Updater } from "@bulwark/tuf";
import { type CliRun, initRepo, runCli, serveFolder, tempDir } from "./helpers.js";

type TestContext = { after(fn: () => void | Promise<void>): void };

/** A client that trusts `root` (the original root.json); each call is a new run of the app. */
function client(t: TestContext, root: Uint8Array, url: string): () => Updater {
  const dir = path.join(tempDir(t, "bulwark-client-"), "metadata");
  mkdirSync(dir);
  writeFileSync(path.join(dir, "root.json"), root);
  return () => new Updater({ metadataDir: dir, metadataBaseUrl: `${url}metadata/` });
}

function ok(run: CliRun): CliRun {
  assert.equal(run.code, 0, `exit ${run.code}: ${run.stderr}`);
  return run;
}

function errorCode(run: CliRun): string | undefined {
  return run.json<{ error?: { code: string } }>().error?.code;
}

/**
 * Moves the root keys to `vault` (another machine, in real life) and marks them
 * `"offline": true` in bulwark.json. Returns the moved key files by key ID.
 */
function takeRootKeysOffline(dir: string, vault: string): Map<string, string> {
  const configFile = path.join(dir, "bulwark.json");
  const config = JSON.parse(readFileSync(configFile, "utf8")) as { keys: KeyEntry[] };
  const moved = new Map<string, string>();
  config.keys = config.keys.map((entry) => {
    if (!entry.roles.includes("root") || !("file" in entry)) return entry;
    const to = path.join(vault, path.basename(entry.file));
    renameSync(path.join(dir, entry.file), to);
    moved.set(entry.id, to);
    return { id: entry.id, roles: entry.roles, scheme: entry.scheme, offline: true as const };
  });
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  return moved;
}

interface ImportReport {
  imported: string[];
  ready: boolean;
  thresholds: Array<{ root: string; version: number; threshold: number; signed: string[]; met: boolean }>;
}

describe("offline root signing", () => {
  it("signs a root change with offline keys: export, sign twice (2 of 3), import, publish; the client follows", async (t) => {
    const dir = await initRepo(t, []);
    const pub = path.join(dir, "public");
    const root1 = readFileSync(path.join(pub, "metadata", "1.root.json"));
    const url = await serveFolder(t, pub);
    const updater = client(t, root1, url);
    await updater().refresh();

    const vault = tempDir(t, "bulwark-vault-");
    const rootKeys = takeRootKeysOffline(dir, vault);
    assert.equal(rootKeys.size, 3);

    const add = ok(await runCli(["key", "add", dir, "--role", "timestamp"]));
    assert.match(add.stdout, /root changed/);
    assert.match(add.stdout, /bulwark repo export/);
    const refused = await runCli(["repo", "publish", dir]);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /ROOT_SIGNATURES_NEEDED/);
    assert.match(refused.stderr, /hint: .*repo export.*bulwark sign.*repo import/);

    const file = path.join(vault, "root-2.json");
    const exported = ok(await runCli(["repo", "export", dir, file, "--json"])).json<{ version: number }>();
    assert.equal(exported.version, 2);
    const again = await runCli(["repo", "export", dir, file, "--json"]);
    assert.equal(errorCode(again), "FILE_EXISTS", "an export never overwrites collected signatures");
    const signedPart = Metadata.fromBytes(readFileSync(file)).parsedSignedBytes;
    assert.ok(signedPart, "exported in the canonical layout");

    // A key the root does not list is refused: here, the new timestamp key.
    const config = JSON.parse(readFileSync(path.join(dir, "bulwark.json"), "utf8")) as { keys: KeyEntry[] };
    const timestampKey = config.keys.find((e) => e.roles.includes("timestamp") && "file" in e);
    assert.ok(timestampKey && "file" in timestampKey);
    const wrongKey = await runCli(["sign", file, "--key", path.join(dir, timestampKey.file), "--json"]);
    assert.equal(wrongKey.code, 2);
    assert.equal(errorCode(wrongKey), "NOT_A_SIGNING_KEY");

    const [first, second] = [...rootKeys] as [[string, string], [string, string], [string, string]];
    const s1 = ok(await runCli(["sign", file, "--key", first[1], "--json"])).json<{
      keyId: string;
      signature: string;
    }>();
    assert.equal(s1.keyId, first[0]);
    assert.match(s1.signature, /^[0-9a-f]{128}$/);
    const half = ok(await runCli(["repo", "import", dir, file, "--json"])).json<ImportReport>();
    assert.deepEqual(half.imported, [first[0]]);
    assert.equal(half.ready, false);
    assert.equal(errorCode(await runCli(["repo", "publish", dir, "--json"])), "ROOT_SIGNATURES_NEEDED");

    ok(await runCli(["sign", file, "--key", second[1]]));
    const signed = Metadata.fromBytes(readFileSync(file));
    assert.deepEqual(signed.parsedSignedBytes, signedPart, "`sign` never changes `signed`");
    assert.equal(signed.signatures.size, 2);
    const full = ok(await runCli(["repo", "import", dir, file, "--json"])).json<ImportReport>();
    assert.deepEqual(full.imported, [second[0]]);
    assert.equal(full.ready, true);
    assert.deepEqual(
      full.thresholds.map((s) => [s.root, s.version, s.threshold, s.signed.length, s.met]),
      [
        ["current", 1, 2, 2, true],
        ["new", 2, 2, 2, true],
      ],
    );

    const published = ok(await runCli(["repo", "publish", dir, "--json"])).json<{ versions: Record<string, number> }>();
    assert.equal(published.versions.root, 2);
    const u = updater();
    await u.refresh();
    assert.equal(u.trustedSet.root.signed.version, 2);
    assert.equal(u.trustedSet.root.signed.role("timestamp").keyids.length, 2);
    assert.deepEqual(new Set(u.trustedSet.root.signatures.keys()), new Set([first[0], second[0]]));
  });

  it("refuses an import whose signed part differs from the staged root, or whose signature does not verify", async (t) => {
    const dir = await initRepo(t, []);
    const vault = tempDir(t, "bulwark-vault-");
    const rootKeys = [...takeRootKeysOffline(dir, vault).values()];
    ok(await runCli(["key", "add", dir, "--role", "snapshot"]));
    const stale = path.join(vault, "stale.json");
    ok(await runCli(["repo", "export", dir, stale]));
    ok(await runCli(["sign", stale, "--key", rootKeys[0] as string]));
    // Root changes again after the export: the signatures are over other bytes now.
    ok(await runCli(["role", "threshold", dir, "snapshot", "2"]));
    const mismatch = await runCli(["repo", "import", dir, stale, "--json"]);
    assert.equal(mismatch.code, 1);
    assert.equal(errorCode(mismatch), "ROOT_MISMATCH");

    const current = path.join(vault, "current.json");
    ok(await runCli(["repo", "export", dir, current]));
    ok(await runCli(["sign", current, "--key", rootKeys[1] as string]));
    const json = JSON.parse(readFileSync(current, "utf8")) as { signatures: Array<{ keyid: string; sig: string }> };
    const sig = json.signatures[0] as { sig: string };
    sig.sig = `${sig.sig.slice(0, -2)}${sig.sig.endsWith("00") ? "01" : "00"}`;
    writeFileSync(current, JSON.stringify(json));
    const tampered = await runCli(["repo", "import", dir, current, "--json"]);
    assert.equal(errorCode(tampered), "BAD_SIGNATURE");
    const staged = Metadata.fromBytes(readFileSync(path.join(dir, "staged", "metadata", "root.json")), "root");
    assert.equal(staged.signatures.size, 0, "nothing was imported");
  });
});

describe('"offline": true where it has no effect', () => {
  it("refuses a bulwark.json that marks the timestamp key offline (it signs unattended), saying why and what to do", async (t) => {
    const dir = await initRepo(t, []);
    const configFile = path.join(dir, "bulwark.json");
    const config = JSON.parse(readFileSync(configFile, "utf8")) as { keys: KeyEntry[] };
    const at = config.keys.findIndex((e) => e.roles.includes("timestamp"));
    const entry = config.keys[at];
    assert.ok(entry);
    config.keys[at] = { id: entry.id, roles: entry.roles, scheme: entry.scheme, offline: true };
    writeFileSync(configFile, JSON.stringify(config));

    for (const argv of [
      ["repo", "status", dir],
      ["repo", "refresh", dir],
    ]) {
      const run = await runCli([...argv, "--json"]);
      assert.equal(run.code, 2, `${argv.join(" ")}: ${run.stdout}`);
      const error = run.json<{ error: { code: string; message: string } }>().error;
      assert.equal(error.code, "BAD_CONFIG");
      assert.match(error.message, new RegExp(`\`keys\\[${at}\\]\\.offline\`: "offline": true is for root keys only`));
      assert.match(error.message, /bulwark repo export.*bulwark sign.*bulwark repo import/);
      assert.match(error.message, /a timestamp key must sign here, at every publish/);
      assert.match(error.message, /Give the key's "file", or an external signer "command"/);
    }
  });

  it("refuses `key add --offline` for a snapshot key, and still takes an offline root key", async (t) => {
    const dir = await initRepo(t, []);
    const work = tempDir(t, "bulwark-offline-");
    const pub = path.join(work, "key.pub.pem");
    const { publicKey } = generateKeyPairSync("ed25519");
    writeFileSync(pub, publicKey.export({ format: "pem", type: "spki" }));
    const refused = await runCli(["key", "add", dir, "--role", "snapshot", "--offline", "--public-key", pub, "--json"]);
    assert.equal(refused.code, 2);
    const error = refused.json<{ error: { code: string; message: string; hint?: string } }>().error;
    assert.equal(error.code, "OFFLINE_NOT_ROOT");
    assert.match(error.message, /a snapshot key must sign here/);
    assert.match(error.hint ?? "", /--external-command/);

    ok(await runCli(["key", "add", dir, "--role", "root", "--offline", "--public-key", pub]));
    const keys = (JSON.parse(readFileSync(path.join(dir, "bulwark.json"), "utf8")) as { keys: KeyEntry[] }).keys;
    assert.ok(keys.some((e) => "offline" in e && e.roles.includes("root")));
    ok(await runCli(["repo", "status", dir]));
  });
});
