/**
 * Key files at rest (ADR 12): scrypt and AES-256-GCM with the cost in the file; older
 * PKCS#8 files still open; a changed file, a weak cost or a wrong passphrase is refused with
 * a typed error naming the file; `reencryptKeyFiles` upgrades old files once.
 *
 * `npm test` sets BULWARK_INSECURE_TEST_KDF=1 (a cost of N=1024) to stay fast; the tests
 * named "at the production cost" pass the production cost, or clear the variable, themselves.
 */
import assert from "node:assert/strict";
import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "@bulwark/testkit";
import { PrivateKeySigner } from "@bulwark/tuf";
import {
  decryptKeyFile,
  encryptKeyFile,
  INSECURE_TEST_KDF_VARIABLE,
  initRepository,
  KEY_FILE_COST,
  KEY_FILE_COST_FLOOR,
  KEY_FILE_LABEL,
  KeyFileError,
  keyFileFormat,
  PUBLISHER_ERRORS,
  PublisherError,
  publish,
  reencryptKeyFiles,
  type ScryptCost,
  TEST_ONLY_KEY_FILE_COST,
  writeKeyFile,
} from "../src/index.js";

const PASSPHRASE = "correct horse battery staple";
const FILE = "/keys/targets-0123.pem";
const unlock = async () => PASSPHRASE;

/** The JSON envelope inside a key file's armour. */
type Envelope = {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
};

function envelopeOf(text: string | Buffer): Envelope {
  const body = text.toString().split("\n").slice(1, -2).join("");
  return JSON.parse(Buffer.from(body, "base64").toString("utf8")) as Envelope;
}

function armour(envelope: unknown): string {
  const body = Buffer.from(JSON.stringify(envelope)).toString("base64");
  return `-----BEGIN ${KEY_FILE_LABEL}-----\n${body.match(/.{1,64}/g)?.join("\n")}\n-----END ${KEY_FILE_LABEL}-----\n`;
}

function der(key: KeyObject): string {
  return key.export({ format: "der", type: "pkcs8" }).toString("hex");
}

/** Runs `fn` with the test-only low cost switched off: what production does. */
async function atProductionCost<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env[INSECURE_TEST_KDF_VARIABLE];
  delete process.env[INSECURE_TEST_KDF_VARIABLE];
  try {
    return await fn();
  } finally {
    if (saved !== undefined) process.env[INSECURE_TEST_KDF_VARIABLE] = saved;
  }
}

const key = generateKeyPairSync("ed25519").privateKey;
/** The cheapest cost this run accepts: the test-only one under `npm test`, else the floor. */
const cheap: ScryptCost =
  process.env[INSECURE_TEST_KDF_VARIABLE] === "1" ? TEST_ONLY_KEY_FILE_COST : KEY_FILE_COST_FLOOR;

describe("key files at rest: scrypt and AES-256-GCM", () => {
  it("round-trips a key at the production cost, which the file records", async () => {
    const text = await encryptKeyFile(key, PASSPHRASE, { cost: KEY_FILE_COST });
    assert.match(text, new RegExp(`^-----BEGIN ${KEY_FILE_LABEL}-----\\n`));
    assert.equal(keyFileFormat(Buffer.from(text)), "scrypt-aes-256-gcm");
    const envelope = envelopeOf(text);
    assert.deepEqual(envelope.kdf.params, { N: 2 ** 16, r: 8, p: 1 });
    assert.equal(envelope.kdf.name, "scrypt");
    assert.equal(envelope.cipher.name, "aes-256-gcm");
    assert.equal(Buffer.from(envelope.kdf.salt, "base64").length, 32);
    assert.equal(Buffer.from(envelope.cipher.nonce, "base64").length, 12);
    const again = await atProductionCost(() => decryptKeyFile(Buffer.from(text), FILE, unlock));
    assert.equal(der(again), der(key));
  });

  it("writes new key files at the production cost unless the test-only variable is set", async (t) => {
    const file = path.join(tempDir(t), "keys", "new.pem");
    await atProductionCost(() => writeKeyFile(file, new PrivateKeySigner(key, "ed25519"), PASSPHRASE));
    assert.deepEqual(envelopeOf(readFileSync(file)).kdf.params, KEY_FILE_COST);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const signer = new PrivateKeySigner(
      await atProductionCost(() => decryptKeyFile(readFileSync(file), file, unlock)),
      "ed25519",
    );
    assert.equal(signer.keyId, new PrivateKeySigner(key, "ed25519").keyId);
  });

  it("refuses a wrong passphrase with a typed error naming the key file", async () => {
    const text = Buffer.from(await encryptKeyFile(key, PASSPHRASE, { cost: cheap }));
    await assert.rejects(
      decryptKeyFile(text, FILE, async () => "not the passphrase"),
      (e: unknown) => {
        assert.ok(e instanceof KeyFileError);
        assert.equal(e.code, "KEY_UNREADABLE");
        assert.equal(e.file, FILE);
        assert.match(e.message, /\/keys\/targets-0123\.pem.*wrong passphrase/);
        assert.ok(!e.message.includes(PASSPHRASE));
        return true;
      },
    );
  });

  describe("refuses a changed file (the GCM tag covers the ciphertext and the envelope)", async () => {
    const original = envelopeOf(await encryptKeyFile(key, PASSPHRASE, { cost: cheap }));
    const flip = (b64: string, at: number) => {
      const bytes = Buffer.from(b64, "base64");
      const i = at < 0 ? bytes.length + at : at;
      bytes[i] = (bytes[i] ?? 0) ^ 1;
      return bytes.toString("base64");
    };
    const cases: ReadonlyArray<{ name: string; edit: (e: Envelope) => void; code: string }> = [
      {
        name: "a flipped ciphertext byte",
        edit: (e) => (e.ciphertext = flip(e.ciphertext, 3)),
        code: "KEY_UNREADABLE",
      },
      { name: "a flipped tag byte", edit: (e) => (e.ciphertext = flip(e.ciphertext, -1)), code: "KEY_UNREADABLE" },
      {
        name: "a truncated ciphertext",
        edit: (e) => (e.ciphertext = Buffer.from(e.ciphertext, "base64").subarray(0, 20).toString("base64")),
        code: "KEY_UNREADABLE",
      },
      { name: "another salt", edit: (e) => (e.kdf.salt = flip(e.kdf.salt, 0)), code: "KEY_UNREADABLE" },
      { name: "another nonce", edit: (e) => (e.cipher.nonce = flip(e.cipher.nonce, 0)), code: "KEY_UNREADABLE" },
      { name: "a doubled N", edit: (e) => (e.kdf.params.N *= 2), code: "KEY_UNREADABLE" },
      { name: "a larger r", edit: (e) => (e.kdf.params.r += 1), code: "KEY_UNREADABLE" },
      { name: "a cost of N=2 (weaker than the floor)", edit: (e) => (e.kdf.params.N = 2), code: "WEAK_KEY_FILE" },
      { name: "r=1 (weaker than the floor)", edit: (e) => (e.kdf.params.r = 1), code: "WEAK_KEY_FILE" },
      {
        name: "N=2^30 (beyond the ceiling: gigabytes to read)",
        edit: (e) => (e.kdf.params.N = 2 ** 30),
        code: "WEAK_KEY_FILE",
      },
      { name: "an N that is not a power of two", edit: (e) => (e.kdf.params.N = 3 * 2 ** 15), code: "BAD_KEY_FILE" },
      { name: "a fractional p", edit: (e) => (e.kdf.params.p = 1.5), code: "BAD_KEY_FILE" },
      { name: "another KDF", edit: (e) => (e.kdf.name = "pbkdf2"), code: "BAD_KEY_FILE" },
      { name: "another cipher", edit: (e) => (e.cipher.name = "aes-256-cbc"), code: "BAD_KEY_FILE" },
      {
        name: "a short nonce",
        edit: (e) => (e.cipher.nonce = Buffer.alloc(8).toString("base64")),
        code: "BAD_KEY_FILE",
      },
      { name: "a missing salt", edit: (e) => delete (e.kdf as Partial<Envelope["kdf"]>).salt, code: "BAD_KEY_FILE" },
    ];
    for (const c of cases) {
      it(`refuses ${c.name} (${c.code})`, async () => {
        const edited = structuredClone(original);
        c.edit(edited);
        await assert.rejects(decryptKeyFile(Buffer.from(armour(edited)), FILE, unlock), (e: unknown) => {
          assert.ok(e instanceof KeyFileError, String(e));
          assert.equal(e.code, c.code);
          assert.equal(e.file, FILE);
          return true;
        });
      });
    }

    it("refuses a cost below the floor at the production setting, even when the file is otherwise sound", async () => {
      const weak = Buffer.from(await encryptKeyFile(key, PASSPHRASE, { cost: TEST_ONLY_KEY_FILE_COST }));
      await assert.rejects(
        atProductionCost(() => decryptKeyFile(weak, FILE, unlock)),
        (e: unknown) => e instanceof KeyFileError && e.code === "WEAK_KEY_FILE" && /N=1024/.test(e.message),
      );
    });

    it("refuses a body that is not an envelope", async () => {
      const garbage = Buffer.from(`-----BEGIN ${KEY_FILE_LABEL}-----\nbm90IGpzb24=\n-----END ${KEY_FILE_LABEL}-----\n`);
      await assert.rejects(decryptKeyFile(garbage, FILE, unlock), { code: "BAD_KEY_FILE" });
      await assert.rejects(decryptKeyFile(Buffer.from("hello"), FILE, unlock), { code: "BAD_KEY_FILE" });
    });
  });

  it("still opens the older files: OpenSSL's encrypted PKCS#8, and a key in clear without asking", async () => {
    const signer = new PrivateKeySigner(key, "ed25519");
    const old = Buffer.from(signer.exportPem(PASSPHRASE));
    assert.equal(keyFileFormat(old), "pkcs8-pbkdf2");
    assert.equal(der(await decryptKeyFile(old, FILE, unlock)), der(key));
    await assert.rejects(
      decryptKeyFile(old, FILE, async () => "wrong passphrase"),
      {
        code: "KEY_UNREADABLE",
        file: FILE,
      },
    );
    const clear = Buffer.from(signer.exportPem());
    assert.equal(keyFileFormat(clear), "clear");
    const never = async (): Promise<string> => assert.fail("asked for a passphrase");
    assert.equal(der(await decryptKeyFile(clear, FILE, never)), der(key));
  });
});

describe("reencryptKeyFiles", () => {
  /** A repository whose key files are rewritten as Bulwark wrote them before ADR 12. */
  async function oldRepository(t: { after(fn: () => void): void }) {
    const dir = path.join(tempDir(t), "repo");
    const asked: string[] = [];
    const options = {
      passphrase: async (role: string, purpose: "unlock" | "create") => {
        asked.push(`${role}:${purpose}`);
        return PASSPHRASE;
      },
    };
    await initRepository(dir, { ...options, singleKey: true });
    const config = JSON.parse(readFileSync(path.join(dir, "bulwark.json"), "utf8")) as {
      keys: Array<{ file: string; roles: string[] }>;
    };
    const files = config.keys.map((k) => path.join(dir, k.file));
    for (const file of files) {
      const current = await decryptKeyFile(readFileSync(file), file, unlock);
      writeFileSync(file, new PrivateKeySigner(current, "ed25519").exportPem(PASSPHRASE), { mode: 0o600 });
    }
    asked.length = 0;
    return { dir, files, options, asked };
  }

  it("upgrades a repository's old key files in place, once, and the keys still sign", async (t) => {
    const { dir, files, options, asked } = await oldRepository(t);
    const before = files.map((f) => der(createPrivateKey({ key: readFileSync(f), passphrase: PASSPHRASE })));
    const first = await reencryptKeyFiles({ dir }, options);
    assert.deepEqual(
      first.map((r) => [path.relative(dir, r.file), r.format, r.status]),
      files.map((f) => [path.relative(dir, f), "pkcs8-pbkdf2", "upgraded"]),
    );
    assert.deepEqual(asked, ["root:unlock"], "each role's passphrase, asked once");
    const upgraded = files.map((f) => readFileSync(f));
    for (const [i, bytes] of upgraded.entries()) {
      assert.equal(keyFileFormat(bytes), "scrypt-aes-256-gcm");
      assert.equal(der(await decryptKeyFile(bytes, files[i] as string, unlock)), before[i]);
      assert.equal(statSync(files[i] as string).mode & 0o777, 0o600);
    }
    const second = await reencryptKeyFiles({ dir }, options);
    assert.deepEqual(
      second.map((r) => r.status),
      files.map(() => "current"),
    );
    assert.deepEqual(
      files.map((f) => readFileSync(f)),
      upgraded,
      "a second run changes nothing",
    );
    await publish(dir, options);
  });

  it("upgrades loose key files given with their role, and stops at a wrong passphrase naming the file", async (t) => {
    const dir = tempDir(t);
    const builder = path.join(dir, "builder.pem");
    writeFileSync(builder, new PrivateKeySigner(key, "ed25519").exportPem(PASSPHRASE));
    const wrong = { passphrase: async () => "another passphrase" };
    await assert.rejects(reencryptKeyFiles({ files: [{ file: builder, role: "builder" }] }, wrong), {
      code: "KEY_UNREADABLE",
      file: builder,
    });
    assert.equal(keyFileFormat(readFileSync(builder)), "pkcs8-pbkdf2", "left as it was");
    const roles: string[] = [];
    const [result] = await reencryptKeyFiles(
      { files: [{ file: "builder.pem", role: "builder" }] },
      {
        cwd: dir,
        passphrase: async (role) => {
          roles.push(role);
          return PASSPHRASE;
        },
      },
    );
    assert.equal(result?.status, "upgraded");
    assert.deepEqual(roles, ["builder"]);
    assert.equal(der(await decryptKeyFile(readFileSync(builder), builder, unlock)), der(key));
  });

  it("refuses a folder that holds no keys it knows", async (t) => {
    await assert.rejects(
      reencryptKeyFiles({ dir: tempDir(t) }, { passphrase: unlock }),
      (e: unknown) => e instanceof PublisherError && e.code === PUBLISHER_ERRORS.NOT_A_REPOSITORY,
    );
  });
});
