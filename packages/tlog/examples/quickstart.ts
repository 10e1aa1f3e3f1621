/** The README's example, run by the tests: a release log in a folder, read back and proven. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  FolderStore,
  generateKey,
  hashLeaf,
  LogReader,
  LogWriter,
  marshalTlogProof,
  parseSignerKey,
  parseVerifierKey,
  verifyTlogProof,
} from "@bulwark/tlog";

const folder = mkdtempSync(path.join(tmpdir(), "tlog-quickstart-"));

// The log operator: a key pair, then a log in a folder that any static server can serve.
const origin = "example.com/releases";
const { skey, vkey } = generateKey(origin); // keep skey secret, publish vkey
const log = await LogWriter.create(new FolderStore(folder), {
  origin,
  signer: parseSignerKey(skey),
  verifier: parseVerifierKey(vkey),
});
const release = new TextEncoder().encode("app-1.2.0.tar.gz sha256:9f86d081884c7d65");
const { firstIndex } = await log.append([release]); // one signed checkpoint per batch

// Anyone: verify the checkpoint and every tile, then make an offline proof of the release.
const reader = new LogReader(new FolderStore(folder), { origin, logVerifier: parseVerifierKey(vkey) });
const latest = await reader.checkpoint();
await reader.audit(latest.checkpoint, { entries: true });
const hashes = await reader.inclusionProof(latest.checkpoint, firstIndex, hashLeaf(release));
const proof = marshalTlogProof({ index: firstIndex, hashes, checkpoint: latest.signedNote });

// A client with only the log's vkey checks the proof for the bytes it downloaded.
const verified = verifyTlogProof(proof, release, { origin, logVerifier: parseVerifierKey(vkey) });
console.log(`release is entry ${verified.proof.index} of ${verified.checkpoint.checkpoint.size}`);
rmSync(folder, { recursive: true });
