/**
 * The three config files the publisher reads — bulwark.json, a log folder's log.json, a
 * witness folder's witness.json — against their schemas: what Bulwark writes reads back
 * unchanged (with its `"$schema"`), a misspelt key is named with the known one suggested,
 * and a wrong value names its field.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "@bulwark/testkit";
import { Ed25519Signer } from "@bulwark/tlog";
import { DEFAULT_EXPIRY } from "@bulwark/tuf";
import { ConfigError } from "../src/config-file.js";
import { LogDir, logLayout } from "../src/log/log-dir.js";
import { readWitnessConfig, witnessLayout, writeWitnessConfig } from "../src/log/witness-dir.js";
import { DEFAULT_CONFIG, formatConfig, parseConfig, type RepoConfig } from "../src/store/config.js";

function problemsOf(fn: () => unknown, code: string): readonly string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.code, code);
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

async function problemsOfAsync(fn: () => Promise<unknown>, code: string): Promise<readonly string[]> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.code, code);
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe("bulwark.json", () => {
  const full: RepoConfig = {
    formatVersion: 1,
    expiry: { ...DEFAULT_EXPIRY, timestamp: 2 * 86400 },
    refreshBefore: { timestamp: 3600, snapshot: 86400, targets: 7 * 86400 },
    hashedBinsThreshold: 0,
    keys: [
      { id: "aa", roles: ["root"], scheme: "ed25519", offline: true },
      { id: "bb", roles: ["targets", "snapshot"], scheme: "ed25519", file: "keys/targets.pem" },
      { id: "cc", roles: ["timestamp"], scheme: "ecdsa-sha2-nistp256", command: "kms-sign --key ts" },
    ],
    log: { dir: "../log", witnesses: [{ name: "w1", url: "https://w1.example/" }] },
  };

  it("reads back what Bulwark writes, naming its schema", () => {
    for (const config of [DEFAULT_CONFIG, full]) {
      const text = formatConfig(config);
      assert.equal((JSON.parse(text) as { $schema?: string }).$schema, "bulwark.schema.json");
      assert.deepEqual(parseConfig(Buffer.from(text)), config);
    }
  });

  it("fills in defaults for what a hand-written file leaves out", () => {
    assert.deepEqual(parseConfig(json({ formatVersion: 1 })), DEFAULT_CONFIG);
    assert.deepEqual(parseConfig(json({ formatVersion: 1, expiry: { timestamp: "12h" } })).expiry, {
      ...DEFAULT_EXPIRY,
      timestamp: 12 * 3600,
    });
  });

  it("names a misspelt key and suggests the known one, at any depth", () => {
    const problems = problemsOf(
      () =>
        parseConfig(
          json({
            formatVersion: 1,
            expiry: { timestmap: "1d" },
            refreshbefore: {},
            keys: [{ id: "a", roles: [], scheme: "ed25519", fiel: "k.pem", file: "k.pem" }],
          }),
        ),
      "BAD_CONFIG",
    );
    assert.deepEqual([...problems].sort(), [
      "`expiry.timestmap`: unknown key; did you mean `timestamp`?",
      "`keys[0].fiel`: unknown key; did you mean `file`?",
      "`refreshbefore`: unknown key; did you mean `refreshBefore`?",
    ]);
  });

  it("names each wrong value's field", () => {
    const problems = problemsOf(
      () =>
        parseConfig(
          json({
            formatVersion: 2,
            expiry: { root: "a year" },
            hashedBinsThreshold: -1,
            keys: [
              { id: "a", roles: ["root"], scheme: "rsa", file: "a.pem" },
              { id: "b", roles: ["root"], scheme: "ed25519" },
            ],
            log: { dir: "l", witnesses: [{ name: "w", url: "ftp://w" }] },
          }),
        ),
      "BAD_CONFIG",
    ).join("\n");
    for (const field of [
      "formatVersion",
      "expiry.root",
      "hashedBinsThreshold",
      "keys[0].scheme",
      "keys[1]",
      "log.witnesses[0].url",
    ])
      assert.ok(problems.includes(`\`${field}\`:`), `no ${field} in ${problems}`);
    assert.match(problems, /`expiry\.root`: must be a duration such as "7d"/);
    assert.match(problems, /`keys\[1\]`: needs exactly one of "file", "command" or "offline": true/);
  });
});

describe("log.json and witness.json", () => {
  const seed = () => {
    const der = generateKeyPairSync("ed25519").privateKey.export({ format: "der", type: "pkcs8" });
    return new Uint8Array(der.subarray(der.length - 32));
  };

  it("log.json: log init's file reads back; a misspelt key or a path outside the folder is refused", async (t) => {
    const dir = tempDir(t, "bulwark-log-config-");
    const vkey = new Ed25519Signer("log.example/app", seed()).verifier().vkey;
    const config = { origin: "log.example/app", vkey, key: "keys/log.pem" };
    await LogDir.writeConfig(dir, config);
    const file = logLayout(dir).config;
    assert.equal((JSON.parse(readFileSync(file, "utf8")) as { $schema?: string }).$schema, "log.schema.json");
    assert.deepEqual((await LogDir.open(dir)).config, config);

    writeFileSync(file, JSON.stringify({ origen: "x", vkey, key: "../log.pem" }));
    const problems = await problemsOfAsync(() => LogDir.open(dir), "BAD_LOG_CONFIG");
    assert.deepEqual([...problems].sort(), [
      "`key`: must be a path inside the folder",
      "`origen`: unknown key; did you mean `origin`?",
      "`origin`: Invalid input: expected string, received undefined",
    ]);
  });

  it("witness.json: witness init's file reads back; a misspelt key is refused", async (t) => {
    const dir = tempDir(t, "bulwark-witness-config-");
    const config = { name: "w1", vkey: "w1+01234567+BAAA", key: "keys/witness.pem" };
    await writeWitnessConfig(dir, config);
    const file = witnessLayout(dir).config;
    assert.equal((JSON.parse(readFileSync(file, "utf8")) as { $schema?: string }).$schema, "witness.schema.json");
    assert.deepEqual(await readWitnessConfig(dir), config);

    writeFileSync(file, JSON.stringify({ ...config, vKey: config.vkey, vkey: undefined }));
    assert.deepEqual([...(await problemsOfAsync(() => readWitnessConfig(dir), "BAD_WITNESS_CONFIG"))].sort(), [
      "`vKey`: unknown key; did you mean `vkey`?",
      "`vkey`: Invalid input: expected string, received undefined",
    ]);
    assert.equal(path.basename(file), "witness.json");
  });
});
