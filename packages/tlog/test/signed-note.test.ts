/**
 * c2sp.org/signed-note against ../shared/vectors/signed-note/notes.json: key parsing,
 * key IDs, name validation, exact signing output and opening with Go x/mod semantics.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { b64, describeVectors, hex, readVectorJson, SKIP_VECTORS, toHex } from "@bulwark/testkit";
import {
  CosignatureV1Verifier,
  type EcdsaVerifier,
  Ed25519Signer,
  Ed25519Verifier,
  generateKey,
  isValidKeyName,
  type NoteSigner,
  type NoteVerifier,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  TLOG_ERRORS,
  TlogError,
  UnverifiedNoteError,
} from "../src/index.js";

const skip = SKIP_VECTORS;

interface KeyCase {
  id: string;
  name: string;
  keyId: string;
  type: number;
  vkey: string;
  skey?: string;
  publicKeyHex: string;
  seedHex?: string;
}
interface SigRef {
  name: string;
  keyId: string;
}
interface OpenCase {
  desc: string;
  msg?: string;
  msgBase64?: string;
  verifiers: string[];
  want: { text?: string; sigs?: SigRef[]; unverifiedSigs?: SigRef[]; error?: string };
  apiSpecific?: boolean;
}
interface Notes {
  keys: KeyCase[];
  vkeys: { vkey: string; valid: boolean; name?: string; keyId?: string; type?: number; reason?: string }[];
  skeys: { skey: string; valid: boolean; name?: string; keyId?: string; seedHex?: string }[];
  names: { name: string; valid: boolean }[];
  sign: {
    desc: string;
    signers: string[];
    text: string;
    existingNote?: string;
    wantNote?: string;
    wantError?: string;
  }[];
  open: OpenCase[];
}

const v = skip ? undefined : readVectorJson<Notes>("signed-note", "notes.json");
const notes = () => v as Notes;

const hex8 = (n: number) => n.toString(16).padStart(8, "0");
const refs = (sigs: readonly { name: string; keyId: number }[]) =>
  sigs.map((s) => ({ name: s.name, keyId: hex8(s.keyId) }));

function signerFor(id: string): NoteSigner {
  const k = notes().keys.find((key) => key.id === id) as KeyCase;
  return k.skey !== undefined ? parseSignerKey(k.skey) : new Ed25519Signer(k.name, hex(k.seedHex as string));
}

function isCode(code: string) {
  return (e: unknown) => e instanceof TlogError && e.code === code;
}

describeVectors("signed-note keys", () => {
  it("parses all 22 published keys, with their key IDs and public keys", () => {
    assert.equal(notes().keys.length, 22);
    for (const k of notes().keys) {
      const verifier = parseVerifierKey(k.vkey);
      assert.equal(verifier.name, k.name, k.id);
      assert.equal(hex8(verifier.keyId), k.keyId, k.id);
      assert.equal(verifier.type, k.type, k.id);
      assert.equal(verifier.vkey, k.vkey, `${k.id} re-encodes canonically`);
      const material =
        verifier instanceof Ed25519Verifier || verifier instanceof CosignatureV1Verifier
          ? verifier.publicKey
          : (verifier as EcdsaVerifier).spki;
      assert.equal(toHex(material), k.publicKeyHex, k.id);
      if (k.skey !== undefined) {
        const signer = parseSignerKey(k.skey);
        assert.equal(hex8(signer.keyId), k.keyId);
        assert.equal(toHex(signer.publicKey), k.publicKeyHex);
      }
      if (k.seedHex !== undefined)
        assert.equal(toHex(new Ed25519Signer(k.name, hex(k.seedHex)).publicKey), k.publicKeyHex);
    }
  });

  it("accepts exactly the valid vkeys (18 cases)", () => {
    assert.equal(notes().vkeys.length, 18);
    for (const c of notes().vkeys) {
      if (c.valid) {
        const verifier = parseVerifierKey(c.vkey);
        assert.equal(verifier.name, c.name);
        assert.equal(hex8(verifier.keyId), c.keyId);
        assert.equal(verifier.type, c.type);
      } else {
        assert.throws(() => parseVerifierKey(c.vkey), isCode(TLOG_ERRORS.BAD_KEY), c.reason);
      }
    }
  });

  it("accepts exactly the valid skeys (6 cases)", () => {
    assert.equal(notes().skeys.length, 6);
    for (const c of notes().skeys) {
      if (c.valid) {
        const signer = parseSignerKey(c.skey);
        assert.equal(signer.name, c.name);
        assert.equal(hex8(signer.keyId), c.keyId);
      } else {
        assert.throws(() => parseSignerKey(c.skey), isCode(TLOG_ERRORS.BAD_KEY), c.skey);
      }
    }
  });

  it("validates key names as Go's isValidName (12 cases; U+0085 and U+00A0 are spaces, U+FEFF is not)", () => {
    assert.equal(notes().names.length, 12);
    for (const c of notes().names) assert.equal(isValidKeyName(c.name), c.valid, JSON.stringify(c.name));
  });

  it("generates keys that round-trip", async () => {
    const { skey, vkey } = generateKey("example.com/log");
    const signer = parseSignerKey(skey);
    const verifier = parseVerifierKey(vkey);
    assert.equal(signer.keyId, verifier.keyId);
    const note = await signNote("hello\n", [signer]);
    assert.equal(openNote(note, [verifier]).text, "hello\n");
    assert.throws(() => generateKey("bad name"), { code: "TLOG_USAGE" });
  });
});

describeVectors("signed-note signing", () => {
  it("signs with exact bytes, adds signatures after existing ones, and refuses text without a final newline", async () => {
    assert.equal(notes().sign.length, 3);
    for (const c of notes().sign) {
      const signers = c.signers.map(signerFor);
      if (c.wantError !== undefined) {
        await assert.rejects(signNote(c.text, signers), isCode(TLOG_ERRORS.MALFORMED_NOTE), c.desc);
        continue;
      }
      if (c.existingNote !== undefined) {
        // Open without knowing its signer: the existing signature is kept as unverified.
        let existing: Parameters<typeof signNote>[0] | undefined;
        try {
          openNote(c.existingNote, []);
        } catch (e) {
          existing = (e as UnverifiedNoteError).note;
        }
        assert.equal(await signNote(existing as Parameters<typeof signNote>[0], signers), c.wantNote, c.desc);
      } else {
        assert.equal(await signNote(c.text, signers), c.wantNote, c.desc);
      }
    }
  });
});

describeVectors("signed-note opening", () => {
  it("opens all 24 notes with Go x/mod semantics", () => {
    assert.equal(notes().open.length, 24);
    for (const c of notes().open) {
      const msg = c.msg ?? b64(c.msgBase64 as string);
      const verifiers = c.verifiers.map(parseVerifierKey);
      const { want } = c;
      if (c.apiSpecific && want.error === "ambiguous key") {
        // Bulwark's list counts an identical key listed twice once (see the next test for
        // two different keys sharing a name and key ID, which is ambiguous).
        assert.deepEqual(refs(openNote(msg, verifiers).sigs), [{ name: "EnochRoot", keyId: "af0cfe78" }], c.desc);
        continue;
      }
      switch (want.error) {
        case undefined: {
          const note = openNote(msg, verifiers);
          assert.equal(note.text, want.text, c.desc);
          assert.deepEqual(refs(note.sigs), want.sigs, c.desc);
          assert.deepEqual(refs(note.unverifiedSigs), want.unverifiedSigs, c.desc);
          break;
        }
        case "unverified":
          assert.throws(
            () => openNote(msg, verifiers),
            (e: unknown) => {
              assert.ok(e instanceof UnverifiedNoteError, c.desc);
              assert.equal(e.code, TLOG_ERRORS.UNVERIFIED);
              assert.equal(e.note.text, want.text, c.desc);
              assert.deepEqual(refs(e.note.sigs), want.sigs, c.desc);
              assert.deepEqual(refs(e.note.unverifiedSigs), want.unverifiedSigs, c.desc);
              return true;
            },
          );
          break;
        case "malformed":
          assert.throws(() => openNote(msg, verifiers), isCode(TLOG_ERRORS.MALFORMED_NOTE), c.desc);
          break;
        case "invalid signature":
          assert.throws(() => openNote(msg, verifiers), isCode(TLOG_ERRORS.INVALID_SIGNATURE), c.desc);
          break;
        default:
          assert.fail(`unexpected want.error ${want.error}`);
      }
    }
  });

  it("rejects a signature line matching two different trusted keys (ambiguous key)", () => {
    const enoch = notes().keys.find((k) => k.id === "EnochRoot") as KeyCase;
    const real = parseVerifierKey(enoch.vkey);
    const impostor: NoteVerifier = {
      name: real.name,
      keyId: real.keyId,
      type: 1,
      vkey: `${real.name}+${hex8(real.keyId)}+different`,
      verify: () => true,
    };
    const note = notes().sign[1]?.wantNote as string;
    assert.throws(() => openNote(note, [real, impostor]), isCode(TLOG_ERRORS.AMBIGUOUS_KEY));
  });

  it("keeps a leading byte-order mark in the text and rejects lone surrogates", async () => {
    const signer = signerFor("PeterNeumann");
    const note = await signNote("\uFEFFhi\n", [signer]);
    assert.equal(openNote(note, [parseVerifierKey(notes().keys[0]?.vkey as string)]).text, "\uFEFFhi\n");
    assert.throws(() => openNote("\uD800\n\n— a AAAAAAA=\n", []), isCode(TLOG_ERRORS.MALFORMED_NOTE));
    await assert.rejects(signNote("a\u0007\n", [signer]), isCode(TLOG_ERRORS.MALFORMED_NOTE));
  });
});
