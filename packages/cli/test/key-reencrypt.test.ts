/**
 * `bulwark key reencrypt`: key files written before ADR 12 (OpenSSL's encrypted PKCS#8,
 * PBKDF2 with 2,048 iterations) are upgraded in place to scrypt and AES-256-GCM, once;
 * the keys still sign afterwards. The first test runs the real executable at the
 * production cost (the test-only low cost switched off).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import {
  decryptKeyFile,
  INSECURE_TEST_KDF_VARIABLE,
  KEY_FILE_COST,
  KEY_FILE_LABEL,
  keyFileFormat,
} from "@bulwark/publisher";
import { PrivateKeySigner } from "@bulwark/tuf";
import { PASSPHRASE_ENV, runBin, runCli, tempDir } from "./helpers.js";

const PASSPHRASE = PASSPHRASE_ENV.BULWARK_PASSPHRASE;
const PRODUCTION = { [INSECURE_TEST_KDF_VARIABLE]: "" };

/** Rewrites a key file as Bulwark wrote key files before ADR 12. */
async function downgrade(file: string): Promise<void> {
  const key = await decryptKeyFile(readFileSync(file), file, async () => PASSPHRASE);
  writeFileSync(file, new PrivateKeySigner(key, "ed25519").exportPem(PASSPHRASE), { mode: 0o600 });
  assert.equal(keyFileFormat(readFileSync(file)), "pkcs8-pbkdf2");
}

function keyFiles(dir: string): string[] {
  const config = JSON.parse(readFileSync(path.join(dir, "bulwark.json"), "utf8")) as { keys: Array<{ file: string }> };
  return config.keys.map((k) => path.join(dir, k.file));
}

interface Report {
  upgraded: number;
  files: Array<{ file: string; role: string; format: string; status: string }>;
}

describe("bulwark key reencrypt", () => {
  it("upgrades a repository's and a builder's old key files at the production cost, once; the keys still sign", async (t) => {
    const base = tempDir(t);
    const dir = path.join(base, "repo");
    assert.equal((await runBin(["repo", "init", dir, "--single-key", "--quiet"], { env: PRODUCTION })).code, 0);
    const builder = path.join(base, "builder.pem");
    assert.equal((await runBin(["attest", "keygen", "--out", builder, "--quiet"], { env: PRODUCTION })).code, 0);
    const files = [...keyFiles(dir), builder];
    for (const file of files) await downgrade(file);

    const wrong = await runBin(["key", "reencrypt", dir], {
      env: { ...PRODUCTION, BULWARK_PASSPHRASE: "not the passphrase at all" },
    });
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /KEY_UNREADABLE/);
    assert.ok(wrong.stderr.includes(keyFiles(dir)[0] as string), `names the key file: ${wrong.stderr}`);
    assert.equal(keyFileFormat(readFileSync(keyFiles(dir)[0] as string)), "pkcs8-pbkdf2", "left as it was");

    const run = await runBin(["key", "reencrypt", dir, "--key", builder, "--json"], { env: PRODUCTION });
    assert.equal(run.code, 0, run.stderr);
    const report = run.json<Report>();
    assert.equal(report.upgraded, files.length);
    assert.deepEqual(
      report.files.map((f) => [f.file, f.format, f.status]),
      files.map((f) => [f, "pkcs8-pbkdf2", "upgraded"]),
    );
    assert.equal(report.files.at(-1)?.role, "builder");
    const upgraded = files.map((f) => readFileSync(f, "utf8"));
    for (const text of upgraded) {
      assert.ok(text.startsWith(`-----BEGIN ${KEY_FILE_LABEL}-----\n`));
      const body = text.split("\n").slice(1, -2).join("");
      const envelope = JSON.parse(Buffer.from(body, "base64").toString("utf8")) as { kdf: { params: unknown } };
      assert.deepEqual(envelope.kdf.params, KEY_FILE_COST);
    }

    // The upgraded keys sign: the repository's timestamp, and a builder's attestation.
    const refresh = await runBin(["repo", "refresh", dir, "--force", "--quiet"], { env: PRODUCTION });
    assert.equal(refresh.code, 10, refresh.stderr); // 10: re-signed and published
    const artifact = path.join(base, "app.tgz");
    writeFileSync(artifact, "app");
    const attest = await runCli([
      "attest",
      "--artifact",
      artifact,
      "--key",
      builder,
      "--builder-id",
      "https://builder.example/b",
      "--source-uri",
      "git+https://example.com/app",
      "--source-digest",
      `sha1:${"a".repeat(40)}`,
      "--out",
      path.join(base, "app.intoto.jsonl"),
    ]);
    assert.equal(attest.code, 0, attest.stderr);

    const again = await runCli(["key", "reencrypt", dir, "--key", builder]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /0 upgraded, 2 already current\./);
    assert.deepEqual(
      files.map((f) => readFileSync(f, "utf8")),
      upgraded,
      "a second run changes nothing",
    );
  });

  it("upgrades a log folder's key, and asks for a folder or --key", async (t) => {
    const base = tempDir(t);
    const init = await runCli(["log", "init", "log", "--origin", "example.com/log"], { cwd: base });
    assert.equal(init.code, 0, init.stderr);
    const key = path.join(base, "log", "keys", "log.pem");
    await downgrade(key);
    const run = await runCli(["key", "reencrypt", "log"], { cwd: base });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /upgraded {2}log\/keys\/log\.pem \(log; was pkcs8-pbkdf2\)/);
    assert.equal(keyFileFormat(readFileSync(key)), "scrypt-aes-256-gcm");
    const none = await runCli(["key", "reencrypt"], { cwd: base });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--key/);
  });
});
