// `bulwark serve` against nginx on the same published repository, in the same run: wrk holds
// N polling connections on metadata/timestamp.json with If-None-Match (each answer a 304,
// what a fleet polling an unchanged repository costs), after a warm-up. Reports requests per
// second, errors (timeouts, sockets, non-2xx/3xx) and the ratio to nginx. Skips, with a
// note, where wrk or nginx is not installed (apt-get install wrk nginx-light).
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { NGINX, startNginx, writeNginxConfig } from "@bulwark/testkit";

const here = path.dirname(fileURLToPath(import.meta.url));
const BULWARK = path.join(here, "..", "packages", "cli", "bin", "bulwark.js");
const DOC = path.join(here, "..", "docs", "serving.md");

const which = (names) => names.find((p) => spawnSync(p, ["-v"]).error === undefined);

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor(url) {
  for (let i = 0; i < 200; i++) {
    try {
      return await fetch(url);
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${url} did not answer`);
}

/** One wrk run; { rps, errors, requests }. */
function wrk(bin, url, etag, connections, seconds) {
  const run = spawnSync(
    bin,
    ["-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", "5s", "-H", `If-None-Match: ${etag}`, url],
    { encoding: "utf8" },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(run.stdout)?.[1] ?? Number.NaN);
  const requests = Number(/(\d+) requests in/.exec(run.stdout)?.[1] ?? 0);
  const sockets = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(run.stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(run.stdout)?.[1] ?? 0);
  const errors = (sockets ? sockets.slice(1).reduce((a, b) => a + Number(b), 0) : 0) + non2xx;
  return { rps, requests, errors };
}

/** Measures both servers on `root` (a published repository's public/ folder). */
export async function benchServe({ work, root, quick }) {
  const wrkBin = which(["/usr/bin/wrk", "wrk"]);
  if (wrkBin === undefined || NGINX === undefined) {
    return { skipped: `${wrkBin === undefined ? "wrk" : "nginx"} is not installed (apt-get install wrk nginx-light)` };
  }
  const connections = quick ? 100 : 1000;
  const seconds = quick ? 1 : 8;
  const results = [];
  for (const name of ["nginx", "bulwark serve"]) {
    const port = await freePort();
    const proc =
      name === "nginx"
        ? startNginx(
            writeNginxConfig({
              docFile: DOC,
              root,
              port,
              dir: path.join(work, "nginx"),
              workerConnections: 4096,
              backlog: 4096,
            }),
          )
        : spawn(process.execPath, [BULWARK, "serve", root, "--port", String(port), "--quiet"], {
            stdio: "ignore",
          });
    try {
      const url = `http://127.0.0.1:${port}/metadata/timestamp.json`;
      const etag = (await waitFor(url)).headers.get("etag");
      wrk(wrkBin, url, etag, connections, quick ? 1 : 3); // warm-up: JIT, connections, caches
      results.push({ name, ...wrk(wrkBin, url, etag, connections, seconds) });
    } finally {
      proc.kill(name === "nginx" ? "SIGQUIT" : "SIGTERM");
    }
  }
  return { connections, seconds, results };
}

export function renderServeBench(result) {
  if (result.skipped) return `## Serving polls\n\nSkipped: ${result.skipped}.\n`;
  const [nginx, bulwark] = result.results;
  const ratio = bulwark.rps / nginx.rps;
  const met = ratio >= 1 / 3 && bulwark.errors === 0;
  const n = (x) => Math.round(x).toLocaleString("en");
  return [
    "## Serving polls (304 on timestamp.json)",
    "",
    "| server | requests/s | requests | errors |",
    "|---|---|---|---|",
    ...result.results.map((r) => `| ${r.name} | ${n(r.rps)} | ${n(r.requests)} | ${r.errors} |`),
    "",
    `${result.connections} connections, ${result.seconds} s after a warm-up, wrk on the same machine (it shares the cores). bulwark serve at ${ratio.toFixed(2)} of nginx with ${bulwark.errors} errors; goal ≥ 0.33 with no errors: ${met ? "met" : "**NOT met**"}.`,
    "",
  ].join("\n");
}
