// One scan in its own process, for `bench/scan.mjs`: prints {ms, maxRssMiB, verdict, ...} as
// JSON. With --baseline it only loads the scan package, to measure the process's own RSS.
import { readFileSync } from "node:fs";
import { scanRelease } from "../packages/scan/dist/src/index.js";

const [, , next, previous] = process.argv;
// VmHWM, the peak resident set of this process (getrusage's maxrss counts the parent's too
// on Linux when the child was forked from a big process).
const mib = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0) / 1024;
if (next === "--baseline") {
  console.log(JSON.stringify({ maxRssMiB: mib() }));
} else {
  const started = performance.now();
  const { report } = await scanRelease(next, { previous });
  console.log(
    JSON.stringify({
      ms: performance.now() - started,
      maxRssMiB: mib(),
      verdict: report.verdict,
      files: report.release.files,
      bytes: report.release.bytes + (report.previous?.bytes ?? 0),
      counts: report.counts,
    }),
  );
}
