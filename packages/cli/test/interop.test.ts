/**
 * A repository created and published by `bulwark` is refreshed, and its target downloaded
 * and verified, by tuf-js 5.0.1 and by Bulwark's own client over loopback HTTP; a tampered
 * target is refused by both.
 */
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { Updater } from "@bulwark/tuf";
import { Updater as TufJsUpdater } from "tuf-js";
import { initRepo, runCli, serveFolder, tempDir } from "./helpers.js";

type Client = "tuf-js 5.0.1" | "bulwark";

async function download(client: Client, url: string, root: Buffer, dir: string, target: string): Promise<string> {
  const metadataDir = path.join(dir, "metadata");
  const targetDir = path.join(dir, "targets");
  mkdirSync(metadataDir, { recursive: true });
  mkdirSync(targetDir, { recursive: true });
  writeFileSync(path.join(metadataDir, "root.json"), root);
  const options = { metadataDir, metadataBaseUrl: `${url}metadata`, targetDir, targetBaseUrl: `${url}targets` };
  const updater = client === "bulwark" ? new Updater(options) : new TufJsUpdater(options);
  await updater.refresh();
  const info = await updater.getTargetInfo(target);
  assert.ok(info, `${client} finds ${target}`);
  // biome-ignore lint/suspicious/noExplicitAny: the two clients' TargetFile types differ only nominally
  const file = await updater.downloadTarget(info as any, path.join(targetDir, "download"));
  return readFileSync(file, "utf8");
}

describe("interoperability of a bulwark-published repository", () => {
  it("is refreshed and its release verified by tuf-js 5.0.1 and by Bulwark's client; a tampered release by neither", async (t) => {
    const dir = await initRepo(t);
    const release = path.join(path.dirname(dir), "app-2.1.0.tar.gz");
    writeFileSync(release, "the genuine app 2.1.0");
    for (const argv of [
      ["release", "add", dir, release, "--name", "app", "--version", "2.1.0", "--channel", "stable"],
      ["repo", "publish", dir],
    ]) {
      const run = await runCli(argv);
      assert.equal(run.code, 0, run.stderr);
    }
    const url = await serveFolder(t, path.join(dir, "public"));
    const root = readFileSync(path.join(dir, "public", "metadata", "1.root.json"));
    const target = "app/2.1.0/app-2.1.0.tar.gz";
    for (const client of ["tuf-js 5.0.1", "bulwark"] as const) {
      assert.equal(await download(client, url, root, tempDir(t), target), "the genuine app 2.1.0", client);
    }
    // The server is compromised: same length, other bytes.
    const served = path.join(dir, "public", "targets", "app", "2.1.0");
    const name = readdirSync(served)[0] as string;
    writeFileSync(path.join(served, name), "the trojaned app 2.1.0".slice(0, 21));
    for (const client of ["tuf-js 5.0.1", "bulwark"] as const) {
      await assert.rejects(download(client, url, root, tempDir(t), target), /hash|length|mismatch/i, client);
    }
  });
});
