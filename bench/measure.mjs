// One scenario measured for every peer: the repository served on 127.0.0.1, a warm-up run
// of each peer, then `runs` runs interleaved A B A B, each a whole client process.
//
// Modes:
//   cold      a fresh client (only the trusted root.json): refresh + lookup
//   warm      the client's metadata already cached, nothing new on the server: refresh + lookup
//   download  a fresh client: refresh + lookup + download and verify the target
//   verify    metadata and the downloaded target cached: refresh + lookup, then the cached
//             target verified (findCachedTarget) several times in the same process
import { cpSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { PEERS, runPeer } from "./peers.mjs";
import { serveDirectory } from "./static-server.mjs";
import { median, summary } from "./stats.mjs";

/** Cached verifications per process in "verify" mode: fewer for big files. */
function verifyRepeats(repo) {
  return (repo.targetLength ?? 0) >= 2 ** 28 ? 2 : 5;
}

function clientDirs(repo, peer) {
  const dir = path.join(repo.dir, "clients", peer.id);
  return {
    dir,
    metadataDir: path.join(dir, "metadata"),
    targetDir: path.join(dir, "targets"),
    tmpDir: path.join(dir, "tmp"),
  };
}

function resetClient(repo, dirs) {
  rmSync(dirs.dir, { recursive: true, force: true });
  for (const d of [dirs.metadataDir, dirs.targetDir, dirs.tmpDir]) mkdirSync(d, { recursive: true });
  cpSync(repo.rootFile, path.join(dirs.metadataDir, "root.json"));
}

/** The job of run `i` (-1: the warm-up), and whether the client starts fresh. */
function plan(scenario, i) {
  const { mode } = scenario;
  const warmUp = i < 0;
  return {
    fresh: mode === "cold" || mode === "download" || warmUp,
    download: mode === "download" || (mode === "verify" && warmUp),
    verifyCached: mode === "verify" && !warmUp ? verifyRepeats(scenario.repo) : 0,
  };
}

function summarize(peer, state) {
  const { samples } = state;
  if (state.over || state.error || samples.length === 0) return { peer, ...state, samples };
  const phases = {};
  for (const key of Object.keys(samples[0].phases)) {
    const values = samples.flatMap((s) => s.phases[key] ?? []);
    phases[key] = key === "verify" ? summary(values) : median(values);
  }
  return {
    peer,
    samples,
    wall: summary(samples.map((s) => s.wallMs)),
    cpuMs: median(samples.map((s) => s.cpuMs)),
    rssMb: median(samples.map((s) => s.maxRssKb)) / 1024,
    phases,
  };
}

/**
 * Measures `scenario` ({ repo, mode }) for every peer. A peer that goes over `boundMs`
 * (or fails) is not run again in this scenario.
 */
export async function measureScenario(scenario, { runs, boundMs }) {
  const { repo } = scenario;
  const server = await serveDirectory(repo.publicDir);
  const states = new Map(PEERS.map((p) => [p.id, { samples: [], over: false, error: undefined }]));
  try {
    for (let i = -1; i < runs; i++) {
      for (const peer of PEERS) {
        const state = states.get(peer.id);
        if (state.over || state.error) continue;
        const dirs = clientDirs(repo, peer);
        const { fresh, download, verifyCached } = plan(scenario, i);
        if (fresh) resetClient(repo, dirs);
        const job = {
          metadataDir: dirs.metadataDir,
          metadataUrl: `${server.url}/metadata/`,
          targetDir: dirs.targetDir,
          targetUrl: `${server.url}/targets/`,
          targetPath: repo.targetPath,
          download,
          verifyCached,
        };
        const result = await runPeer(peer, job, { boundMs, tmpDir: dirs.tmpDir });
        if (result.over) state.over = true;
        else if (result.error) state.error = result.error;
        else if (i >= 0) state.samples.push(result);
      }
    }
  } finally {
    await server.close();
    rmSync(path.join(repo.dir, "clients"), { recursive: true, force: true });
  }
  return { ...scenario, peers: PEERS.map((p) => summarize(p, states.get(p.id))) };
}
