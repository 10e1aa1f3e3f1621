import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import type { RequestListener } from "node:http";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { KeyEntry } from "@bulwark/publisher";
import { privateKeyFromPem, resolveKeyId } from "@bulwark/publisher";
import {
  computeHashes,
  Metadata,
  MetaFile,
  type PrivateKeySigner,
  type SignatureScheme,
  type Signer,
  TargetFile,
  UnsignedMetadataError,
  Updater,
} from "@bulwark/tuf";
import { type CliRun, initRepo, listen, PASSPHRASE_ENV, runCli, tempDir } from "./helpers.js";

type TestContext = { after(fn: () => void | Promise<void>): void };

/** Serves a folder over loopback HTTP; `root` may be switched, e.g. to a forged copy. */
async function serveDir(t: TestContext, dir: string): Promise<{ url: string; root: string }> {
  const state = { url: "", root: dir };
  const handler: RequestListener = (req, res) => {
    const rel = decodeURIComponent((req.url ?? "/").split("?")[0] ?? "/").replace(/^\/+/, "");
    const file = path.resolve(state.root, rel);
    if (!file.startsWith(state.root + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    const data = readFileSync(file);
    res.writeHead(200, { "content-length": data.length }).end(data);
  };

  state.url = await listen(t, handler);
  return state;
}

/** A client that starts from `trustedRoot` (the original root.json); each call is a new run of the app. */
function client(t: TestContext, trustedRoot: Uint8Array, server: { url: string }): () => Updater {
  const dir = tempDir(t, "bulwark-client-");
  mkdirSync(path.join(dir, "metadata"));
  mkdirSync(path.join(dir, "targets"));
  writeFileSync(path.join(dir, "metadata", "root.json"), trustedRoot);
  return () =>
    new Updater({
      metadataDir: path.join(dir, "metadata"),
      metadataBaseUrl: `${server.url}metadata/`,
      targetBaseUrl: `${server.url}targets/`,
      targetDir: path.join(dir, "targets"),
    });
}

function ok(run: CliRun): CliRun {
  assert.equal(run.code, 0, `exit ${run.code}: ${run.stderr}`);
  return run;
}

function errorCode(run: CliRun): string | undefined {
  return run.json<{ error?: { code: string } }>().error?.code;
}

function keyEntries(dir: string): KeyEntry[] {
  return (JSON.parse(readFileSync(path.join(dir, "bulwark.json"), "utf8")) as { keys: KeyEntry[] }).keys;
}

function saveKeyEntries(dir: string, keys: KeyEntry[]): void {
  const config = JSON.parse(readFileSync(path.join(dir, "bulwark.json"), "utf8")) as { keys: KeyEntry[] };
  config.keys = keys;
  writeFileSync(path.join(dir, "bulwark.json"), `${JSON.stringify(config, null, 2)}\n`);
}

/** The signer of a key file recorded in bulwark.json, read as an attacker holding it would. */
function fileSigner(dir: string, entry: KeyEntry): Promise<PrivateKeySigner> {
  assert.ok("file" in entry);
  const file = path.join(dir, entry.file);
  return privateKeyFromPem(
    readFileSync(file),
    file,
    async () => PASSPHRASE_ENV.BULWARK_PASSPHRASE,
    entry.scheme,
    entry.id,
  );
}

function entryFor(dir: string, role: string): KeyEntry {
  const entry = keyEntries(dir).find((e) => e.roles.includes(role) && "file" in e);
  assert.ok(entry, `no key file for ${role}`);
  return entry;
}

/**
 * Writes, into the copy `publicDir`, a next targets version listing "evil/app.tgz" and signed
 * by `targetsSigner` only, with snapshot and timestamp re-signed by the repository's own keys:
 * the attack isolates the targets signature check.
 */
async function forgeTargets(dir: string, publicDir: string, targetsSigner: Signer): Promise<void> {
  const meta = (name: string) => path.join(publicDir, "metadata", name);
  const ts = Metadata.fromBytes(readFileSync(meta("timestamp.json")), "timestamp");
  const snapshotVersion = ts.signed.snapshotMeta.version;
  const snap = Metadata.fromBytes(readFileSync(meta(`${snapshotVersion}.snapshot.json`)), "snapshot");
  const targetsVersion = snap.signed.meta.get("targets.json")?.version as number;
  const targets = Metadata.fromBytes(readFileSync(meta(`${targetsVersion}.targets.json`)), "targets");
  targets.signed.version = targetsVersion + 1;
  targets.signed.addTarget(new TargetFile("evil/app.tgz", 4, computeHashes(Buffer.from("evil"))));
  targets.signatures.clear();
  await targets.sign(targetsSigner);
  const targetsBytes = targets.toCanonicalLayoutBytes();
  writeFileSync(meta(`${targetsVersion + 1}.targets.json`), targetsBytes);
  snap.signed.version = snapshotVersion + 1;
  snap.signed.meta.set(
    "targets.json",
    new MetaFile(targetsVersion + 1, targetsBytes.length, computeHashes(targetsBytes)),
  );
  await snap.sign(await fileSigner(dir, entryFor(dir, "snapshot")), { append: false });
  const snapBytes = snap.toCanonicalLayoutBytes();
  writeFileSync(meta(`${snapshotVersion + 1}.snapshot.json`), snapBytes);
  ts.signed.version += 1;
  ts.signed.snapshotMeta = new MetaFile(snapshotVersion + 1, snapBytes.length, computeHashes(snapBytes));
  await ts.sign(await fileSigner(dir, entryFor(dir, "timestamp")), { append: false });
  writeFileSync(meta("timestamp.json"), ts.toCanonicalLayoutBytes());
}

interface ListedKey {
  keyId: string;
  roles: string[];
  scheme: string;
  privateKey: string;
}

async function listKeys(dir: string): Promise<{
  keys: ListedKey[];
  roles: Array<{ role: string; threshold: number; keyids: string[]; delegator: string; paths?: string[] }>;
}> {
  return ok(await runCli(["key", "list", dir, "--json"])).json();
}

async function publish(dir: string): Promise<Record<string, number>> {
  return ok(await runCli(["repo", "publish", dir, "--json"])).json<{ versions: Record<string, number> }>().versions;
}

/** An ed25519 key pair as an external signer holds it: unencrypted private PEM, public PEM. */
function externalKey(dir: string, name: string, type: "ed25519" | "ec" = "ed25519"): { key: string; pub: string } {
  const pair = type === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const key = path.join(dir, `${name}.pem`);
  const pub = path.join(dir, `${name}.pub.pem`);
  writeFileSync(key, pair.privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
  writeFileSync(pub, pair.publicKey.export({ format: "pem", type: "spki" }));
  return { key, pub };
}

/** A node external signer: signs stdin with KEY.pem; `lie` signs other bytes instead. */
function nodeSigner(dir: string, keyFile: string, lie = false): string {
  const script = path.join(dir, lie ? "liar.mjs" : "signer.mjs");
  writeFileSync(
    script,
    `import { createPrivateKey, sign } from "node:crypto";
import { readFileSync } from "node:fs";
const data = readFileSync(0);
const key = createPrivateKey(readFileSync(process.argv[2]));
process.stdout.write(sign(null, ${lie ? 'Buffer.concat([data, Buffer.from("!")])' : "data"}, key).toString("hex") + "\\n");
`,
  );
  return `'${process.execPath}' '${script}' '${keyFile}'`;
}

const DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../docs/external-signers.md");

function opensslAvailable(): boolean {
  try {
    return /^OpenSSL 3\./.test(execFileSync("openssl", ["version"]).toString());
  } catch {
    return false;
  }
}

describe("bulwark key and role commands", () => {
  it("rotates a root key, then the timestamp key: a client that trusted root v1 follows to v2 and v3", async (t) => {
    const dir = await initRepo(t, []);
    const root1 = readFileSync(path.join(dir, "public", "metadata", "1.root.json"));
    const server = await serveDir(t, path.join(dir, "public"));
    const updater = client(t, root1, server);
    await updater().refresh();

    const oldRootKey = (await listKeys(dir)).keys.find((k) => k.roles.includes("root")) as ListedKey;
    assert.match(oldRootKey.privateKey, /^keys\/root\//);
    const rotate = ok(await runCli(["key", "rotate", dir, "--role", "root", oldRootKey.keyId.slice(0, 10), "--json"]));
    const rotated = rotate.json<{ added: string; revoked: string; root: { version: number } }>();
    assert.equal(rotated.revoked, oldRootKey.keyId);
    assert.equal(rotated.root.version, 2);
    assert.ok(existsSync(path.join(dir, oldRootKey.privateKey)), "the revoked root key's file is kept");
    assert.equal((await publish(dir)).root, 2);

    const first = updater();
    await first.refresh();
    const root2 = first.trustedSet.root.signed;
    assert.equal(root2.version, 2);
    assert.ok(!root2.role("root").keyids.includes(oldRootKey.keyId));
    assert.ok(root2.role("root").keyids.includes(rotated.added));
    assert.equal(root2.role("root").threshold, 2);

    const oldTimestampKey = root2.role("timestamp").keyids[0] as string;
    const ts = ok(await runCli(["key", "rotate", dir, "--role", "timestamp", "--json"])).json<{ added: string }>();
    assert.equal((await publish(dir)).root, 3);
    const second = updater();
    await second.refresh();
    assert.equal(second.trustedSet.root.signed.version, 3);
    assert.deepEqual(second.trustedSet.root.signed.role("timestamp").keyids, [ts.added]);
    assert.deepEqual([...(second.trustedSet.timestamp?.signatures.keys() ?? [])], [ts.added]);
    assert.notEqual(ts.added, oldTimestampKey);

    // A client installed with root v1 that never ran in between also gets there.
    const fresh = client(t, root1, server)();
    await fresh.refresh();
    assert.equal(fresh.trustedSet.root.signed.version, 3);
  });

  it("revokes a targets key: a revoked key's signatures stop counting", async (t) => {
    const dir = await initRepo(t, ["--targets-keys", "2", "--targets-threshold", "1"]);
    const pub = path.join(dir, "public");
    const root1 = readFileSync(path.join(pub, "metadata", "1.root.json"));
    const server = await serveDir(t, pub);
    const [kept, revoked] = keyEntries(dir).filter((e) => e.roles.includes("targets")) as [KeyEntry, KeyEntry];
    const revokedSigner = await fileSigner(dir, revoked);

    // While the key is trusted, targets signed by it alone are accepted (threshold 1).
    const before = path.join(tempDir(t), "public");
    cpSync(pub, before, { recursive: true });
    await forgeTargets(dir, before, revokedSigner);
    server.root = before;
    const control = client(t, root1, server)();
    await control.refresh();
    assert.ok(await control.getTargetInfo("evil/app.tgz"));
    server.root = pub;

    const run = ok(await runCli(["key", "revoke", dir, "--role", "targets", revoked.id.slice(0, 8), "--json"]));
    assert.equal(run.json<{ revoked: string }>().revoked, revoked.id);
    assert.ok("file" in revoked && existsSync(path.join(dir, revoked.file)), "key files are never deleted");
    assert.ok(!keyEntries(dir).some((e) => e.id === revoked.id), "a revoked targets key needs no entry");
    const versions = await publish(dir);
    assert.deepEqual([versions.root, versions.targets], [2, 2]);
    const updater = client(t, root1, server);
    await updater().refresh();

    // The same forgery after the revocation is refused, by a client that followed and by a new one.
    const after = path.join(tempDir(t), "public");
    cpSync(pub, after, { recursive: true });
    await forgeTargets(dir, after, revokedSigner);
    server.root = after;
    const refused = (e: unknown) => e instanceof UnsignedMetadataError && e.code === "TUF_UNSIGNED_METADATA";
    await assert.rejects(updater().refresh(), refused);
    await assert.rejects(client(t, root1, server)().refresh(), refused);
    // Signed by the kept key instead, the same change is accepted: only the revoked key stopped counting.
    const honest = path.join(tempDir(t), "public");
    cpSync(pub, honest, { recursive: true });
    await forgeTargets(dir, honest, await fileSigner(dir, kept));
    server.root = honest;
    await client(t, root1, server)().refresh();

    // The last key cannot go: the role would fall below its threshold.
    const last = await runCli(["key", "revoke", dir, "--role", "targets", kept.id, "--json"]);
    assert.equal(last.code, 2);
    assert.equal(errorCode(last), "BELOW_THRESHOLD");
    assert.match(last.stderr, /below its threshold of 1/);
  });

  it("adds and lists keys, sets thresholds, and refuses thresholds no keys can meet", async (t) => {
    const dir = await initRepo(t);
    const added = ok(await runCli(["key", "add", dir, "--role", "targets", "--json"])).json<{
      keyId: string;
      privateKey: string;
      keys: string[];
      root: { signableHere: boolean };
    }>();
    assert.equal(added.keys.length, 2);
    assert.equal(added.root.signableHere, true);
    const pem = readFileSync(path.join(dir, added.privateKey), "utf8");
    assert.match(pem, /^-----BEGIN BULWARK ENCRYPTED PRIVATE KEY-----\n/);
    assert.equal(statSync(path.join(dir, added.privateKey)).mode & 0o777, 0o600);
    const listed = await listKeys(dir);
    const row = listed.keys.find((k) => k.keyId === added.keyId);
    assert.deepEqual(row?.roles, ["targets"]);
    assert.equal(row?.scheme, "ed25519");
    assert.deepEqual(
      listed.roles.find((r) => r.role === "targets"),
      { role: "targets", threshold: 1, keyids: [...added.keys], delegator: "root" },
    );

    const tooHigh = await runCli(["role", "threshold", dir, "targets", "3", "--json"]);
    assert.equal(tooHigh.code, 2);
    assert.equal(errorCode(tooHigh), "BAD_THRESHOLD");
    ok(await runCli(["role", "threshold", dir, "targets", "2"]));
    assert.equal((await publish(dir)).root, 2);
    const root = Metadata.fromBytes(readFileSync(path.join(dir, "public", "metadata", "root.json")), "root");
    assert.equal(root.signed.role("targets").threshold, 2);
    const targets = Metadata.fromBytes(readFileSync(path.join(dir, "public", "metadata", "2.targets.json")), "targets");
    root.verifyDelegate("targets", targets); // signed again, by both keys

    const unknownRole = await runCli(["key", "add", dir, "--role", "nobody", "--json"]);
    assert.equal(errorCode(unknownRole), "UNKNOWN_ROLE");
    const noKey = await runCli(["key", "revoke", dir, "--role", "targets", "zzzz", "--json"]);
    assert.equal(errorCode(noKey), "UNKNOWN_KEY");
    assert.throws(
      () => resolveKeyId(["ab12", "ab34", "cd56"], "ab", "targets"),
      (e: unknown) => (e as { code?: string }).code === "AMBIGUOUS_KEY",
    );
    assert.equal(resolveKeyId(["ab12", "ab34", "cd56"], "AB3", "targets"), "ab34");
  });

  it("delegates paths to a new role with its own keys, and a client walks to it", async (t) => {
    const dir = await initRepo(t);
    const root1 = readFileSync(path.join(dir, "public", "metadata", "1.root.json"));
    const server = await serveDir(t, path.join(dir, "public"));
    const badName = await runCli(["role", "delegate", dir, "../x", "--paths", "x/*", "--json"]);
    assert.equal(badName.code, 2);
    const delegated = ok(
      await runCli([
        "role",
        "delegate",
        dir,
        "plugins",
        "--paths",
        "plugins/*",
        "--paths",
        "extras/*.tgz",
        "--key-count",
        "2",
        "--threshold",
        "2",
        "--terminating",
        "--json",
      ]),
    ).json<{ keys: Array<{ id: string; file: string }> }>();
    assert.equal(delegated.keys.length, 2);
    for (const k of delegated.keys) assert.match(k.file, /^keys\/plugins-/);
    assert.equal((await publish(dir)).plugins, 1);

    const updater = client(t, root1, server);
    const u = updater();
    await u.refresh();
    assert.equal(await u.getTargetInfo("plugins/a.tgz"), undefined);
    const plugins = u.trustedSet.getTargetsRole("plugins");
    assert.equal(plugins?.signatures.size, 2);
    const entry = u.trustedSet.targets?.signed.delegations?.roles?.get("plugins");
    assert.deepEqual(entry?.paths, ["plugins/*", "extras/*.tgz"]);
    assert.equal(entry?.terminating, true);

    ok(await runCli(["role", "threshold", dir, "plugins", "1"]));
    const versions = await publish(dir);
    assert.equal(versions.targets, 3, "the delegator lists the threshold");
    assert.equal(versions.root, undefined, "a delegated role's change leaves root alone");
    const again = updater();
    await again.refresh();
    assert.equal(again.trustedSet.targets?.signed.delegations?.roles?.get("plugins")?.threshold, 1);
    const role = (await listKeys(dir)).roles.find((r) => r.role === "plugins");
    assert.equal(role?.delegator, "targets");
    assert.equal(role?.threshold, 1);
    const twice = await runCli(["role", "delegate", dir, "plugins", "--paths", "p/*", "--json"]);
    assert.equal(errorCode(twice), "ROLE_EXISTS");

    // Given public keys: the role cannot be signed until a signer for its key is here.
    const work = tempDir(t);
    const partner = externalKey(work, "partner");
    const given = ok(
      await runCli(["role", "delegate", dir, "partner", "--paths", "partner/*", "--public-key", partner.pub, "--json"]),
    ).json<{ keys: Array<{ id: string; scheme: KeyEntry["scheme"]; file?: string }> }>();
    const partnerKey = given.keys[0];
    assert.ok(partnerKey && partnerKey.file === undefined);
    assert.ok(!keyEntries(dir).some((e) => e.id === partnerKey.id), "a key held elsewhere has no bulwark.json entry");
    const unsigned = await runCli(["repo", "publish", dir, "--json"]);
    assert.equal(unsigned.code, 3);
    assert.equal(errorCode(unsigned), "SIGNERS_MISSING");
    const partnerId = partnerKey.id;
    saveKeyEntries(dir, [
      ...keyEntries(dir),
      { id: partnerId, roles: ["partner"], scheme: partnerKey.scheme, command: nodeSigner(work, partner.key) },
    ]);
    assert.equal((await publish(dir)).partner, 1);
    const last = updater();
    await last.refresh();
    assert.equal(await last.getTargetInfo("partner/a.tgz"), undefined);
    assert.deepEqual([...(last.trustedSet.getTargetsRole("partner")?.signatures.keys() ?? [])], [partnerId]);
  });

  it("signs targets with an external command, and refuses a failing or lying signer", async (t) => {
    const dir = await initRepo(t);
    const work = tempDir(t);
    const root1 = readFileSync(path.join(dir, "public", "metadata", "1.root.json"));
    const server = await serveDir(t, path.join(dir, "public"));
    const { key, pub } = externalKey(work, "targets");

    // A signer that signs other bytes is refused before anything is staged.
    const liar = await runCli([
      "key",
      "rotate",
      dir,
      "--role",
      "targets",
      "--external-command",
      nodeSigner(work, key, true),
      "--public-key",
      pub,
      "--json",
    ]);
    assert.equal(liar.code, 1);
    assert.equal(errorCode(liar), "EXTERNAL_SIGNER");
    assert.match(liar.stderr, /does not verify/);
    assert.ok(!existsSync(path.join(dir, "staged", "metadata", "root.json")));

    const command = nodeSigner(work, key);
    const rotated = ok(
      await runCli([
        "key",
        "rotate",
        dir,
        "--role",
        "targets",
        "--external-command",
        command,
        "--public-key",
        pub,
        "--json",
      ]),
    ).json<{ added: string; privateKey: string }>();
    assert.match(rotated.privateKey, /^command: /);
    const release = path.join(work, "app-1.0.0.tgz");
    writeFileSync(release, "app 1.0.0");
    ok(await runCli(["release", "add", dir, release, "--name", "app", "--version", "1.0.0"]));
    assert.equal((await publish(dir)).root, 2);

    const u = client(t, root1, server)();
    await u.refresh();
    assert.deepEqual([...(u.trustedSet.targets?.signatures.keys() ?? [])], [rotated.added]);
    const info = await u.getTargetInfo("app/1.0.0/app-1.0.0.tgz");
    assert.ok(info);
    assert.equal(readFileSync(await u.downloadTarget(info), "utf8"), "app 1.0.0");

    // The signer breaks later: publish stops with its message, and clients keep the last good state.
    const entries = keyEntries(dir);
    const setCommand = (cmd: string) =>
      saveKeyEntries(
        dir,
        entries.map((e) => (e.id === rotated.added ? { ...e, command: cmd } : e)),
      );
    const next = path.join(work, "app-1.0.1.tgz");
    writeFileSync(next, "app 1.0.1");
    ok(await runCli(["release", "add", dir, next, "--name", "app", "--version", "1.0.1"]));
    setCommand("echo 'HSM not reachable' >&2; exit 1");
    const failing = await runCli(["repo", "publish", dir, "--json"]);
    assert.equal(failing.code, 1);
    assert.equal(errorCode(failing), "EXTERNAL_SIGNER");
    assert.match(failing.stderr, /exited with 1: HSM not reachable/);
    setCommand(nodeSigner(work, key, true));
    const lying = await runCli(["repo", "publish", dir, "--json"]);
    assert.equal(errorCode(lying), "EXTERNAL_SIGNER");
    assert.match(lying.stderr, /answered a signature that does not verify/);
    const timestamp = Metadata.fromBytes(readFileSync(path.join(dir, "public", "metadata", "timestamp.json")));
    assert.equal(timestamp.signed.version, 2, "nothing was published");
    setCommand(command);
    assert.equal((await publish(dir)).targets, 3);
  });

  it("signs with the openssl pkeyutl script of docs/external-signers.md (ed25519 and ECDSA)", {
    skip: opensslAvailable() ? false : "needs OpenSSL 3",
  }, async (t) => {
    const doc = readFileSync(DOCS, "utf8");
    const block = /<!-- tested: openssl-signer\.sh -->\n```sh\n([\s\S]*?)```/.exec(doc)?.[1];
    assert.ok(block, "the documented script is marked for this test");
    const work = tempDir(t);
    const script = path.join(work, "openssl-signer.sh");
    writeFileSync(script, block);
    chmodSync(script, 0o755);
    const dir = await initRepo(t);
    const root1 = readFileSync(path.join(dir, "public", "metadata", "1.root.json"));
    const server = await serveDir(t, path.join(dir, "public"));
    const ids: string[] = [];
    for (const [name, type, scheme] of [
      ["ed", "ed25519", "ed25519"],
      ["ec", "ec", "ecdsa-sha2-nistp256"],
    ] as const) {
      const { key, pub } = externalKey(work, name, type);
      const run = ok(
        await runCli([
          "key",
          "add",
          dir,
          "--role",
          "targets",
          "--external-command",
          `'${script}' '${key}'`,
          "--public-key",
          pub,
          "--json",
        ]),
      ).json<{ keyId: string; scheme: SignatureScheme }>();
      assert.equal(run.scheme, scheme);
      ids.push(run.keyId);
    }
    ok(await runCli(["role", "threshold", dir, "targets", "3"]));
    await publish(dir);
    const u = client(t, root1, server)();
    await u.refresh();
    const signers = [...(u.trustedSet.targets?.signatures.keys() ?? [])];
    for (const id of ids) assert.ok(signers.includes(id), `targets is signed by ${id.slice(0, 12)}`);
  });
});
