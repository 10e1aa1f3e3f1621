/**
 * The end of the quickstart: where things are in a kept world, and what to try next there
 * (commands to run against it, the docs to read). Without `--keep`, how to keep one.
 */
import { Endpoints } from "./endpoints.js";
import { LAYOUT, WHAT_IS_WHERE } from "./world.js";

/** Where `bulwark serve` listens by default; a kept world's endpoints point there. */
export const SERVE_URL = "http://127.0.0.1:8080/";

/** The docs a new user reads next, with what each explains. */
const DOCS: ReadonlyArray<readonly [string, string]> = [
  ["README.md", "the vendor workflow: repositories, releases, rollout, keys, CI"],
  ["docs/agent.md", "the endpoint agent and its config file"],
  ["docs/transparency-log.md", "the release log, witnesses and the monitor"],
  ["docs/verified-builds.md", "independent builders and the quorum in root"],
  ["docs/external-signers.md", "KMS, HSM and hardware keys"],
];

/** The commands to try in a kept world (run in its folder), each after a line saying what it shows. */
export function nextCommands(passphrase: string, nextRoot: number): ReadonlyArray<readonly [string, string]> {
  const agent = Endpoints.configFile("endpoint-a");
  const root = `${LAYOUT.repo}/public/metadata/root.json`;
  const file = `${LAYOUT.offline}/root-${nextRoot}.json`;
  return [
    ["the passphrase of every key here", `export BULWARK_PASSPHRASE=${JSON.stringify(passphrase)}`],
    ["roles, versions, expiry, and where each key is (the root keys: offline)", `bulwark repo status ${LAYOUT.repo}`],
    ["every release: channel, rollout, revoked, attested, logged", `bulwark release list ${LAYOUT.repo}`],
    [
      "check every release as a client would (exit 1): the attacker's 1.1.1, 1.1.3 and 1.2.1 are refused, and so is 1.0.0, published before the verified-builds policy",
      `bulwark repo verify ${LAYOUT.repo} --root ${Endpoints.dir("endpoint-a")}/root.json`,
    ],
    [
      "the release log, checked against the root's log policy",
      `bulwark log status ${LAYOUT.releaseLog} --root ${root}`,
    ],
    [
      `serve the repository where the endpoints' agent.json point (${SERVE_URL}), and run endpoint-a's agent once`,
      `bulwark serve ${LAYOUT.repo} & sleep 1; bulwark agent --once --config ${agent}; kill $!`,
    ],
    ["what endpoint-a runs, what it refused and why", `bulwark agent status --config ${agent}`],
    [
      "a root change (a second timestamp key): publish stops with exit 3 until 2 of the 3 offline root keys sign it",
      `bulwark key add ${LAYOUT.repo} --role timestamp; bulwark repo publish ${LAYOUT.repo}`,
    ],
    [
      `sign root version ${nextRoot} where the root keys are (all three here; 2 are enough), bring it back, publish`,
      `bulwark repo export ${LAYOUT.repo} ${file} && for k in ${LAYOUT.rootKeys}/*.pem; do bulwark sign ${file} --key "$k"; done && bulwark repo import ${LAYOUT.repo} ${file} && bulwark repo publish ${LAYOUT.repo}`,
    ],
  ];
}

/**
 * The closing lines: the map and the commands of a kept world in `dir`, or how to keep one.
 * `nextRoot` is the root version a root change there makes.
 */
export function whatNext(
  world: { readonly dir: string; readonly kept: boolean },
  passphrase: string,
  nextRoot: number,
): string[] {
  const lines: string[] = [];
  const column = (rows: ReadonlyArray<readonly [string, string]>) => {
    const width = Math.max(...rows.map(([a]) => a.length));
    for (const [a, b] of rows) lines.push(`  ${a.padEnd(width)}  ${b}`);
  };
  if (world.kept) {
    lines.push(`The world is kept in ${world.dir}:`);
    column(WHAT_IS_WHERE);
    lines.push("", "What to try next there (a shell script: each command after what it shows):", "");
    lines.push(`  cd ${JSON.stringify(world.dir)}`);
    for (const [what, command] of nextCommands(passphrase, nextRoot)) lines.push(`  # ${what}`, `  ${command}`);
    lines.push(
      "",
      "The tour's log server and witnesses ran inside it and are gone: here, what logs a release (publishing",
      "one, a rollout, a revocation) fails with TLOG_WITNESS_QUORUM. In production they are long-running",
      "services, the witnesses run by other parties (docs/transparency-log.md).",
    );
  } else {
    lines.push(
      "What to try next: `bulwark quickstart --keep ./bulwark-tour` makes the same world in ./bulwark-tour and",
      "leaves it there (repository, offline root keys, endpoints and their agent configs), with commands to try.",
    );
  }
  lines.push("", "Read next (in the Bulwark repository):");
  column(DOCS);
  return lines;
}
