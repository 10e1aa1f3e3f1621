/**
 * The attacker who controls the update server and forges a release: metadata signed with
 * a key of the attacker's own, which no endpoint trusts.
 */
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Metadata, MetaFile, PrivateKeySigner, TargetFile } from "@bulwark/tuf";

/**
 * The attacker's forgery: a new targets version listing `version`, a snapshot and a
 * timestamp that point at it, all signed with a key the attacker made. Returns a function
 * that restores the mirror.
 */
export async function forgeRelease(mirror: string, version: string): Promise<() => Promise<void>> {
  const meta = path.join(mirror, "metadata");
  const saved = new Map<string, Buffer>();
  for (const f of await readdir(meta)) saved.set(f, await readFile(path.join(meta, f)));
  const attacker = PrivateKeySigner.generate();
  const timestamp = Metadata.fromBytes(saved.get("timestamp.json") as Buffer, "timestamp");
  const snapshot = Metadata.fromBytes(
    saved.get(`${timestamp.signed.snapshotMeta.version}.snapshot.json`) as Buffer,
    "snapshot",
  );
  const targetsVersion = snapshot.signed.meta.get("targets.json")?.version ?? 1;
  const targets = Metadata.fromBytes(saved.get(`${targetsVersion}.targets.json`) as Buffer, "targets");
  const evil = TargetFile.fromData(`demo-app/${version}/demo-app-${version}.tar.gz`, Buffer.from("evil"));
  evil.custom = { bulwark: { name: "demo-app", version, channel: "stable" } };
  targets.signed.addTarget(evil);
  targets.signed.version += 1;
  await targets.sign(attacker, { append: false });
  const targetsBytes = targets.toCanonicalLayoutBytes();
  snapshot.signed.meta.set("targets.json", new MetaFile(targets.signed.version));
  snapshot.signed.version += 1;
  await snapshot.sign(attacker, { append: false });
  timestamp.signed.snapshotMeta = new MetaFile(snapshot.signed.version);
  timestamp.signed.version += 1;
  await timestamp.sign(attacker, { append: false });
  await writeFile(path.join(meta, `${targets.signed.version}.targets.json`), targetsBytes);
  await writeFile(path.join(meta, `${snapshot.signed.version}.snapshot.json`), snapshot.toCanonicalLayoutBytes());
  await writeFile(path.join(meta, "timestamp.json"), timestamp.toCanonicalLayoutBytes());
  await mkdir(path.join(mirror, "targets", "demo-app", version), { recursive: true });
  return async () => {
    await rm(path.join(meta, `${targets.signed.version}.targets.json`), { force: true });
    await rm(path.join(meta, `${snapshot.signed.version}.snapshot.json`), { force: true });
    await writeFile(path.join(meta, "timestamp.json"), saved.get("timestamp.json") as Buffer);
  };
}
