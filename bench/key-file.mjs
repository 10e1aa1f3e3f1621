// Key files at rest (ADR 12): the time to open an encrypted key file, which is what each
// guess at a stolen file's passphrase costs. The current format (scrypt at the production
// cost, then AES-256-GCM) against the format before it (OpenSSL's PKCS#8, PBKDF2 with 2,048
// iterations); medians over a few runs. The goal: at least 100 ms per derivation.
//   node bench/key-file.mjs [--quick]     (also run by bench/run.mjs)
import { generateKeyPairSync } from "node:crypto";
import { pathToFileURL } from "node:url";
import { decryptKeyFile, encryptKeyFile, KEY_FILE_COST } from "@bulwark/publisher";
import { summary } from "./stats.mjs";

/** The goal from issue 12. */
export const KEY_FILE_GOAL_MS = 100;

const PASSPHRASE = "benchmark passphrase";

async function timeOpen(bytes, runs) {
  const samples = [];
  await decryptKeyFile(bytes, "bench.pem", async () => PASSPHRASE); // warm-up
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await decryptKeyFile(bytes, "bench.pem", async () => PASSPHRASE);
    samples.push(performance.now() - started);
  }
  return summary(samples);
}

/** Opening times of a key file in the current and in the previous format. */
export async function benchKeyFile({ quick }) {
  const runs = quick ? 3 : 7;
  const { privateKey } = generateKeyPairSync("ed25519");
  const current = Buffer.from(await encryptKeyFile(privateKey, PASSPHRASE, { cost: KEY_FILE_COST }));
  const legacy = Buffer.from(
    privateKey.export({ format: "pem", type: "pkcs8", cipher: "aes-256-cbc", passphrase: PASSPHRASE }),
  );
  return { runs, cost: KEY_FILE_COST, current: await timeOpen(current, runs), legacy: await timeOpen(legacy, runs) };
}

/** The Markdown section of the report. */
export function renderKeyFileBench(result) {
  const { N, r, p } = result.cost;
  const ms = (s) =>
    `${s.median.toFixed(1)} ms${result.runs > 1 ? ` (min–max ${s.min.toFixed(1)}–${s.max.toFixed(1)})` : ""}`;
  const met = result.current.median >= KEY_FILE_GOAL_MS;
  return [
    "## Key files at rest",
    "",
    "| open an encrypted key file | measured | goal |",
    "|---|---|---|",
    `| scrypt N=${N}, r=${r}, p=${p} (${(128 * N * r) / 2 ** 20} MiB), AES-256-GCM | ${ms(result.current)} | ≥ ${KEY_FILE_GOAL_MS} ms: ${met ? "met" : "**NOT met**"} |`,
    `| before (OpenSSL PKCS#8: PBKDF2-SHA256, 2,048 iterations) | ${ms(result.legacy)} | |`,
    "",
    `Each time is one passphrase guess against a stolen key file; medians of ${result.runs} runs after a warm-up. See docs/adr/0012-key-files-at-rest.md.`,
    "",
  ].join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(renderKeyFileBench(await benchKeyFile({ quick: process.argv.includes("--quick") })));
}
