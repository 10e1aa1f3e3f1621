// What one benchmark run measures: sizes, runs and the time bound, from the command line.
//   npm run bench                     full sizes, 7 interleaved runs per peer after a warm-up
//   npm run bench -- --quick          tiny sizes, 2 runs, no results file (CI's smoke run)
//   npm run bench -- --runs 5 --bound 30

const MiB = 2 ** 20;
const GiB = 2 ** 30;

const FULL = {
  flat: [1_000, 10_000, 100_000],
  bins: 100_000,
  bigTargets: [10 * MiB, GiB],
  publishTargets: 100_000,
  runs: 7,
  boundS: 20,
  // Machine limits: bytes hashed, bytes served over loopback.
  sha256Bytes: 64 * MiB,
  loopbackBytes: 256 * MiB,
};

const QUICK = {
  flat: [200],
  bins: 200,
  bigTargets: [MiB],
  publishTargets: 200,
  runs: 2,
  boundS: 10,
  sha256Bytes: 16 * MiB,
  loopbackBytes: 16 * MiB,
};

/** Free space needed to run the 1 GiB scenario (the file, one download per peer, tuf-js's temporary copy). */
export const BIG_TARGET_FREE_BYTES = 4 * GiB;

/** Targets at least this large are generated on disk once and reused, never held in memory. */
export const ON_DISK_TARGET_BYTES = 64 * MiB;

function option(argv, name) {
  const i = argv.indexOf(name);
  if (i === -1) return undefined;
  const value = Number(argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
  return value;
}

/** The settings for `argv` (process.argv.slice(2)). */
export function readSettings(argv) {
  const quick = argv.includes("--quick");
  const base = quick ? QUICK : FULL;
  const runs = option(argv, "--runs") ?? base.runs;
  const boundS = option(argv, "--bound") ?? base.boundS;
  return { ...base, quick, runs: Math.floor(runs), boundMs: boundS * 1000 };
}
