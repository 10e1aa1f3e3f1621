// The scan's false-positive rate on real releases (issue 15): consecutive published versions
// of npm packages that ship native binaries, fetched with `npm pack` into the system's temp
// folder (never into the repository), each scanned against the one before it. Every real
// release is taken as clean, so every finding above low is a false positive.
//   node bench/scan-false-positives.mjs            the default packages and versions
// Needs the npm registry; prints a Markdown table for docs/scan.md.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { scanRelease } from "../packages/scan/dist/src/index.js";

/** Packages with native binaries (ELF, PE, Mach-O), and consecutive versions of each. */
const SERIES = [
  ["@esbuild/linux-x64", ["0.24.0", "0.24.1", "0.24.2", "0.25.0", "0.25.1", "0.25.2"]],
  ["@esbuild/win32-x64", ["0.24.2", "0.25.0", "0.25.1", "0.25.2"]],
  ["@esbuild/darwin-arm64", ["0.24.2", "0.25.0", "0.25.1", "0.25.2"]],
  ["@biomejs/cli-linux-x64", ["2.0.0", "2.0.4", "2.0.5", "2.0.6"]],
  ["@biomejs/cli-win32-x64", ["2.0.4", "2.0.5", "2.0.6"]],
  ["@biomejs/cli-darwin-arm64", ["2.0.4", "2.0.5", "2.0.6"]],
  // Script-only controls: a large compiler bundle, and Electron's updater.
  ["typescript", ["5.8.2", "5.8.3"]],
  ["electron-updater", ["6.6.1", "6.6.2"]],
];

const dir = path.join(os.tmpdir(), "bulwark-scan-false-positives");
mkdirSync(dir, { recursive: true });

function pack(name, version) {
  const file = path.join(dir, `${name.replace("@", "").replace("/", "-")}-${version}.tgz`);
  if (!existsSync(file))
    execFileSync("npm", ["pack", `${name}@${version}`, "--pack-destination", dir], { stdio: "ignore" });
  return file;
}

const rows = [];
let pairs = 0;
let above = 0;
let blocked = 0;
const byId = new Map();
for (const [name, versions] of SERIES) {
  for (let i = 1; i < versions.length; i++) {
    const { report } = await scanRelease(pack(name, versions[i]), { previous: pack(name, versions[i - 1]) });
    const high = report.findings.filter((f) => !["low", "info"].includes(f.severity));
    for (const f of high) byId.set(f.id, (byId.get(f.id) ?? 0) + 1);
    pairs += 1;
    above += high.length > 0 ? 1 : 0;
    blocked += report.verdict === "block" ? 1 : 0;
    const counts = Object.entries(report.counts)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${n} ${s}`)
      .join(", ");
    rows.push(
      `| ${name} ${versions[i - 1]} → ${versions[i]} | ${report.verdict} | ${counts || "none"} | ${high.map((f) => f.id).join(", ") || "—"} |`,
    );
    console.error(`${name} ${versions[i - 1]} -> ${versions[i]}: ${report.verdict}`);
  }
}
console.log(`| release pair | verdict | findings | above low |
|---|---|---|---|
${rows.join("\n")}

${pairs} pairs: ${above} with a finding above low (${((100 * above) / pairs).toFixed(0)} %), ${blocked} blocked.${
  byId.size > 0 ? ` Above-low findings by id: ${[...byId].map(([id, n]) => `${id} ×${n}`).join(", ")}.` : ""
}`);
