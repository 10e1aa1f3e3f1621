// The performance goals set in the issues, and how each is read off the results.
// Goals are reported as met or not; nothing here ever fails the run.

const bulwark = (row) => row?.peers.find((p) => p.peer.id === "bulwark");

/**
 * Each goal: the scenario row ("<repository> <mode>") or publish size it reads, how it reads
 * the value, the bound, and whether lower or higher is better.
 */
export const GOALS = [
  {
    label: "cold refresh, flat 100,000 targets (whole process)",
    scenario: "flat-100000 cold",
    read: (row) => bulwark(row)?.wall?.median,
    limit: 450,
    unit: "ms",
  },
  {
    label: "cold refresh, 100,000 targets in hashed bins (whole process)",
    scenario: "bins-100000 cold",
    read: (row) => bulwark(row)?.wall?.median,
    limit: 120,
    unit: "ms",
  },
  {
    label: "verify a cached 10 MiB target (findCachedTarget)",
    scenario: "target-10MiB verify",
    read: (row) => bulwark(row)?.phases?.verify?.median,
    limit: 15,
    unit: "ms",
  },
  {
    label: "verify the cached 1 GiB target (findCachedTarget)",
    scenario: "target-1GiB verify",
    read: (row) => {
      const ms = bulwark(row)?.phases?.verify?.median;
      return ms === undefined ? undefined : row.repo.targetLength / 1e6 / (ms / 1000);
    },
    limit: 1000,
    unit: "MB/s",
    higherIsBetter: true,
  },
  {
    label: "`bulwark repo publish`, 100,000 targets",
    publishTargets: 100_000,
    read: (publish) => publish.flatMs,
    limit: 1000,
    unit: "ms",
  },
  {
    label: "`bulwark repo publish` after adding one target to 100,000",
    publishTargets: 100_000,
    read: (publish) => publish.addOneMs,
    limit: 200,
    unit: "ms",
  },
];

/** The key a scenario row is known by in GOALS: "<repository> <mode>". */
export function scenarioKey(row) {
  return `${row.repo.name} ${row.mode}`;
}

/** A measured value in the unit its goal is written in. */
function format(value, goal) {
  if (goal.unit === "ms" && goal.limit >= 100) return `${(value / 1000).toFixed(2)} s`;
  if (goal.unit === "ms") return `${value.toFixed(1)} ms`;
  if (goal.unit === "MB/s" && goal.limit >= 1000) return `${(value / 1000).toFixed(2)} GB/s`;
  return `${value.toFixed(0)} ${goal.unit}`;
}

/** A goal's bound as the issues put it: "≤ 0.45 s", "≥ 1 GB/s". */
function boundText(goal) {
  const sign = goal.higherIsBetter ? "≥" : "≤";
  if (goal.unit === "MB/s" && goal.limit >= 1000) return `${sign} ${goal.limit / 1000} GB/s`;
  if (goal.unit === "ms" && goal.limit >= 100) return `${sign} ${goal.limit / 1000} s`;
  return `${sign} ${goal.limit} ${goal.unit}`;
}

/**
 * Each goal with its measured value and verdict: met true/false, or undefined with a
 * reason when this run did not measure it (quick sizes, 1 GiB skipped, a failed run).
 */
export function evaluateGoals(rows, publish) {
  return GOALS.map((goal) => {
    const bound = boundText(goal);
    const measured = goal.scenario
      ? rows.find((r) => scenarioKey(r) === goal.scenario)
      : publish.n === goal.publishTargets
        ? publish
        : undefined;
    const value = measured === undefined ? undefined : goal.read(measured);
    if (value === undefined) {
      // Nothing measured: this run did not have that size (--quick, or the 1 GiB target
      // skipped), or the client went over the bound or failed (the row says which).
      return { ...goal, bound, met: undefined, text: measured ? "not measured (see the row)" : "not run at this size" };
    }
    const met = goal.higherIsBetter ? value >= goal.limit : value <= goal.limit;
    return { ...goal, bound, value, met, text: format(value, goal) };
  });
}

/** "met", "NOT met" or why not measured, for a table cell. */
export function verdict(goal) {
  if (goal.met === undefined) return goal.text;
  return `${goal.bound}: ${goal.met ? "met" : "**NOT met**"}`;
}
