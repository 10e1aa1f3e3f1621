/**
 * The quickstart's staged rollout: the vendor publishes demo-app 1.1.0 to 50 % of endpoints
 * first (`release rollout --percent 50`, in signed metadata), four servers run an update
 * cycle, and only those whose cohort position is under 50 % take 1.1.0 (the others install
 * 1.0.0, the newest release offered to them); then 100 %, and the rest follow. Each
 * server's client ID is fixed here so the tour is the same every time; an agent makes a
 * random one and keeps it in its data/client-id.
 */
import { rolloutPosition } from "@bulwark/client";
import type { Endpoints } from "./endpoints.js";
import type { SceneKit } from "./verified-builds.js";

const RELEASE = "demo-app@1.1.0";
/** The fleet, by name; each one's client ID is its name. */
export const SERVERS = ["server-1", "server-2", "server-3", "server-4"] as const;

/** One server's line: its cohort position and what it runs. */
function line(name: string, position: number, percent: number, version: string): string {
  const cohort =
    percent >= 100
      ? "; 100 % is every endpoint"
      : position * 100 < percent
        ? ` < ${percent / 100}: in the first ${percent} %`
        : ` ≥ ${percent / 100}: not yet`;
  return `  ${name} (cohort position ${position.toFixed(2)}${cohort}) runs ${version}`;
}

/** The scene of the module comment, recorded on `kit`; `file` is demo-app 1.1.0's archive. */
export async function stagedRolloutScene(kit: SceneKit, endpoints: Endpoints, file: string): Promise<void> {
  const must = async (argv: string[]) => {
    const { code, data } = await kit.run(argv);
    if (code !== 0) throw new Error(`bulwark ${argv.join(" ")} failed: ${JSON.stringify(data)}`);
    return data;
  };
  kit.step("The vendor publishes demo-app 1.1.0 to 50 % of endpoints first (a staged rollout, in signed metadata)");
  await must(["release", "add", kit.repo, file, "--name", "demo-app", "--version", "1.1.0"]);
  await must(["release", "rollout", kit.repo, RELEASE, "--percent", "50"]);
  kit.say("  the rollout publishes the staged 1.1.0 at 50 % at once: it is never offered to every endpoint");
  await kit.sync();
  const got = new Map<string, string>();
  const check = async (percent: number, names: readonly string[]) => {
    for (const name of names) {
      await endpoints.make(name, name);
      const attempt = await endpoints.attempt(name);
      const version = attempt.error ? `nothing (${attempt.error})` : await endpoints.installed(name);
      got.set(name, version);
      kit.say(line(name, rolloutPosition(name, RELEASE), percent, version));
    }
  };
  await check(50, SERVERS);
  const inHalf = SERVERS.filter((s) => rolloutPosition(s, RELEASE) * 100 < 50);
  const halfRight = SERVERS.every((s) => (got.get(s) === "1.1.0") === inHalf.includes(s));
  const first = SERVERS.filter((s) => got.get(s) === "1.1.0");

  kit.step("Nothing went wrong on the first half: the vendor raises the rollout to 100 %; the others follow");
  await must(["release", "rollout", kit.repo, RELEASE, "--percent", "100"]);
  await kit.sync();
  await check(
    100,
    SERVERS.filter((s) => got.get(s) !== "1.1.0"),
  );
  const allRight = SERVERS.every((s) => got.get(s) === "1.1.0");
  kit.record(
    "staged rollout of 1.1.0",
    "staged",
    halfRight && allRight && first.length > 0 && first.length < SERVERS.length ? "staged" : "not staged",
    `50 %: ${first.join(", ") || "none"} of ${SERVERS.length} took it; 100 %: ${allRight ? "all" : "not all"}`,
  );
}
