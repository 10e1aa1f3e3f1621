// The results as Markdown: the machine, the goals, this machine's limits, the client
// scenarios (each peer's medians, min–max, and its ratio to Bulwark) and publishing.

import { sizeName } from "./generate.mjs";
import { evaluateGoals, scenarioKey, verdict } from "./goals.mjs";

function ms(value) {
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  return `${value.toFixed(value < 10 ? 1 : 0)} ms`;
}

function rate(mbps) {
  if (mbps >= 1000) return `${(mbps / 1000).toFixed(2)} GB/s`;
  return `${mbps.toFixed(mbps < 10 ? 1 : 0)} MB/s`;
}

const times = (x) => `${x < 0.1 ? x.toFixed(3) : x.toFixed(2)} ×`;

function mb(bytes) {
  return `${(bytes / 1e6).toFixed(bytes < 1e6 ? 2 : 1)} MB`;
}

/** "boot 38 · import 22 · refresh 250 · lookup 0.1 · download 12": where the time went, in ms. */
function phaseText(phases) {
  return Object.entries(phases)
    .map(([name, v]) => {
      if (typeof v === "number") return `${name} ${v.toFixed(v < 10 ? 1 : 0)}`;
      return `${name} ${v.median.toFixed(1)} (${v.min.toFixed(1)}–${v.max.toFixed(1)})`;
    })
    .join(" · ");
}

/** The throughput of this run against the matching machine limit. */
function versusLimit(row, result, limits) {
  const { repo, mode } = row;
  const p = result.phases;
  if (mode === "download") {
    const r = repo.targetLength / 1e6 / (p.download / 1000);
    return `download ${rate(r)} = ${times(r / limits.loopbackMBps)} loopback`;
  }
  if (mode === "verify") {
    const r = repo.targetLength / 1e6 / (p.verify.median / 1000);
    return `verify ${rate(r)} = ${times(r / limits.sha256MBps)} SHA-256`;
  }
  // Below a megabyte a refresh is a handful of round trips, not parsing: no rate.
  if (repo.metadataBytes < 1e6) return `${mb(repo.metadataBytes)} metadata`;
  const r = repo.metadataBytes / 1e6 / (p.refresh / 1000);
  return `${mb(repo.metadataBytes)} metadata at ${rate(r)} = ${times(r / limits.jsonParseMBps)} JSON.parse`;
}

function scenarioName(row) {
  const what = row.repo.targetLength === undefined ? row.repo.name : `${sizeName(row.repo.targetLength)} target`;
  return `${what} ${row.mode}`;
}

function clientRows(rows, limits, goals, boundMs) {
  const out = [
    "| scenario | client | wall | min–max | CPU | peak RSS | in-process phases, ms (median) | vs machine limit | ÷ Bulwark | goal |",
    "|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    const base = row.peers[0];
    const goal = goals.find((g) => g.scenario === scenarioKey(row));
    for (const [i, r] of row.peers.entries()) {
      const cells = [i === 0 ? scenarioName(row) : "", r.peer.name];
      if (r.over) {
        cells.push(`over ${boundMs / 1000} s`, "", "", "", "killed at the bound", "");
        cells.push(i > 0 && base.wall ? `> ${(boundMs / base.wall.median).toFixed(1)} ×` : "");
      } else if (r.error) {
        cells.push("failed", "", "", "", r.error.replaceAll("|", "\\|").slice(0, 160), "", "");
      } else {
        cells.push(ms(r.wall.median), `${ms(r.wall.min)}–${ms(r.wall.max)}`, ms(r.cpuMs), `${r.rssMb.toFixed(0)} MB`);
        cells.push(phaseText(r.phases), versusLimit(row, r, limits));
        cells.push(i > 0 && base.wall ? `${(r.wall.median / base.wall.median).toFixed(2)} ×` : "");
      }
      cells.push(i === 0 && goal ? verdict(goal) : "");
      out.push(`| ${cells.join(" | ")} |`);
    }
  }
  return out;
}

function publishRows(publish, goals) {
  const [flatGoal, addGoal] = goals.filter((g) => g.publishTargets !== undefined);
  const n = publish.n.toLocaleString("en");
  return [
    "| publish (whole `bulwark repo publish` process) | median | min–max | goal |",
    "|---|---|---|---|",
    `| sign and write ${n} targets (flat) | ${ms(publish.flatMs)} | ${ms(publish.flatMinMax[0])}–${ms(publish.flatMinMax[1])} | ${verdict(flatGoal)} |`,
    `| add 1 target to a ${n}-target hashed-bin repository, publish | ${ms(publish.addOneMs)} | ${ms(publish.addOneMinMax[0])}–${ms(publish.addOneMinMax[1])} | ${verdict(addGoal)} |`,
    "",
    `First publish into hashed bins (switch + sign every bin): ${ms(publish.binsFirstMs)}; \`release add\` of one file: ${ms(publish.releaseAddMs)}.`,
  ];
}

/** The whole report, Markdown. */
export function renderReport({ machine, settings, limits, limitsInput, rows, publish, writers, notes }) {
  const goals = evaluateGoals(rows, publish);
  const lines = [`# Bulwark benchmark — ${machine.date.slice(0, 10)} (${machine.host})`, ""];
  lines.push("| machine | |", "|---|---|");
  for (const [k, v] of Object.entries({
    CPU: machine.cpu,
    memory: machine.memory,
    OS: machine.os,
    Node: machine.node,
    commit: machine.commit,
    date: machine.date,
    runs: `${settings.quick ? "quick (tiny sizes); " : ""}${settings.runs} per client after a warm-up, interleaved A B A B; medians and min–max; a run is killed at ${settings.boundMs / 1000} s`,
  })) {
    lines.push(`| ${k} | ${v} |`);
  }
  lines.push("", "## Goals", "", "| goal (from the issues) | bound | measured | |", "|---|---|---|---|");
  for (const g of goals) {
    const mark = g.met === undefined ? "—" : g.met ? "met" : "**NOT met**";
    lines.push(`| ${g.label} | ${g.bound} | ${g.text} | ${mark} |`);
  }
  lines.push("", "## This machine's limits", "", "| limit | value |", "|---|---|");
  lines.push(`| SHA-256, in memory | ${rate(limits.sha256MBps)} |`);
  lines.push(`| Ed25519 verifications | ${Math.round(limits.ed25519PerSecond).toLocaleString("en")} /s |`);
  lines.push(`| \`JSON.parse\` of ${limitsInput} | ${rate(limits.jsonParseMBps)} |`);
  lines.push(`| loopback HTTP, static server → node:http process | ${rate(limits.loopbackMBps)} |`);
  lines.push(`| empty Node process (\`node -e 0\`), wall | ${ms(limits.nodeStartMs)} |`);
  lines.push("", "## Clients, whole processes", "");
  lines.push(...clientRows(rows, limits, goals, settings.boundMs));
  lines.push(
    "",
    "Phases are timed inside the client process: `boot` is Node's start-up before the script runs, `import` loads the",
    "client library, `refresh` includes making the updater, `verify` is each `findCachedTarget` call (median, min–max).",
    "Wall is the parent's spawn-to-exit time. 1 MB = 10^6 bytes.",
  );
  lines.push("", "## Publishing", "", ...publishRows(publish, goals));
  lines.push(
    `In-process writer (Repository API, sign + serialise): ${writers.map((w) => `${w.name} ${ms(w.writerMs)}`).join(", ")}.`,
  );
  if (notes.length > 0) lines.push("", "## Notes", "", ...notes.map((n) => `- ${n}`));
  return { markdown: `${lines.join("\n")}\n`, goals };
}
