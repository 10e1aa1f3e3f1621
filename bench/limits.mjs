// This machine's limits, measured in the same run as the clients, so each result can be
// put as a multiple of what the hardware and Node allow. Each is the best of a few tries
// (a limit is a ceiling, not a typical value).
import { execFile } from "node:child_process";
import { createHash, generateKeyPairSync, randomBytes, sign, verify } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ensureRandomFile } from "./generate.mjs";
import { serveDirectory } from "./static-server.mjs";
import { median } from "./stats.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

function best(tries, measure) {
  return Math.max(...Array.from({ length: tries }, measure));
}

/** SHA-256 MB/s (1 MB = 10^6 bytes) over `bytes` random bytes in memory. */
export function sha256MBps(bytes) {
  const buf = randomBytes(bytes);
  return best(5, () => {
    const t = performance.now();
    createHash("sha256").update(buf).digest();
    return buf.length / 1e6 / ((performance.now() - t) / 1000);
  });
}

/** Ed25519 signature verifications per second, of a 256-byte message, for about `ms`. */
export function ed25519VerifiesPerSecond(ms) {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const message = randomBytes(256);
  const signature = sign(null, message, privateKey);
  let count = 0;
  const t = performance.now();
  while (performance.now() - t < ms) {
    for (let i = 0; i < 100; i++) if (verify(null, message, publicKey, signature)) count++;
  }
  return count / ((performance.now() - t) / 1000);
}

/** JSON.parse MB/s of `bytes` (real metadata: the largest flat targets file). */
export function jsonParseMBps(bytes) {
  const text = bytes.toString("utf8");
  const repeat = Math.max(1, Math.ceil(50e6 / bytes.length)); // ≥ 50 MB per try
  return best(5, () => {
    const t = performance.now();
    for (let i = 0; i < repeat; i++) JSON.parse(text);
    return (bytes.length * repeat) / 1e6 / ((performance.now() - t) / 1000);
  });
}

/**
 * Loopback HTTP MB/s: a separate node:http process downloads a `bytes` random file from
 * the benchmark's static server (the one the clients use), discarding it.
 */
export async function loopbackMBps(work, bytes) {
  const file = path.join(work, `random-${bytes}.bin`);
  await ensureRandomFile(file, bytes);
  const server = await serveDirectory(work);
  try {
    let top = 0;
    for (let i = 0; i < 3; i++) {
      const { stdout } = await run(process.execPath, [
        path.join(here, "http-drain.mjs"),
        `${server.url}/${path.basename(file)}`,
      ]);
      const { bytes: got, ms } = JSON.parse(stdout);
      if (got !== bytes) throw new Error(`loopback: got ${got} of ${bytes} bytes`);
      top = Math.max(top, got / 1e6 / (ms / 1000));
    }
    return top;
  } finally {
    await server.close();
  }
}

/** Wall time of an empty Node process (`node -e 0`): the floor of every whole-process run. */
export async function nodeStartMs() {
  const times = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await run(process.execPath, ["-e", "0"]);
    times.push(performance.now() - t);
  }
  return median(times);
}

/** All limits; `metadata` is the bytes JSON.parse is measured on. */
export async function measureLimits({ work, settings, metadata }) {
  return {
    sha256MBps: sha256MBps(settings.sha256Bytes),
    ed25519PerSecond: ed25519VerifiesPerSecond(settings.quick ? 100 : 500),
    jsonParseMBps: jsonParseMBps(metadata),
    loopbackMBps: await loopbackMBps(work, settings.loopbackBytes),
    nodeStartMs: await nodeStartMs(),
  };
}
