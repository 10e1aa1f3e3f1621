// The clients compared, each run as a whole Node process per sample, and the bound past
// which a run is killed and reported as "over N s".
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/** Bulwark first: ratios are "peer ÷ Bulwark". */
export const PEERS = [
  { id: "bulwark", name: "Bulwark", library: "@bulwark/tuf" },
  { id: "tuf-js", name: "tuf-js 5.0.1", library: "tuf-js" },
];

/**
 * Runs `peer` on `job` (see client-job.mjs) in a new process with TMPDIR set to `tmpDir`, so
 * temporary downloads stay on this disk and are removed with it even after a kill.
 * Resolves to { wallMs, cpuMs, maxRssKb, phases }, { over: true } when killed at `boundMs`,
 * or { error } when the client failed.
 */
export function runPeer(peer, job, { boundMs, tmpDir }) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [path.join(here, "client.mjs"), JSON.stringify({ ...job, library: peer.library })],
      {
        stdio: ["ignore", "pipe", "inherit"], // a crash's stack trace shows on the benchmark's stderr
        env: { ...process.env, TMPDIR: tmpDir },
      },
    );
    let stdout = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    let over = false;
    const timer = setTimeout(() => {
      over = true;
      child.kill("SIGKILL");
    }, boundMs);
    child.on("close", (code, signal) => {
      const wallMs = performance.now() - started;
      clearTimeout(timer);
      if (over) return resolve({ over: true });
      let result;
      try {
        result = JSON.parse(stdout.trim().split("\n").at(-1));
      } catch {
        result = { error: `${signal ? `killed by ${signal}` : `exit ${code}`} without a result line` };
      }
      if (code !== 0 || result.error) return resolve({ error: result.error ?? `exit ${code ?? signal}` });
      resolve({ wallMs, ...result });
    });
  });
}
