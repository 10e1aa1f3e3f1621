/**
 * The audit of plain TUF repositories made with @bulwark/tuf's writer: read through the
 * one repository inspector from a folder or over loopback HTTP, with every problem of the
 * walk a finding.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { serveFiles, setup, tempDir } from "@bulwark/testkit";
import { type ExpiryPolicy, type JsonValue, PrivateKeySigner, Repository, writeRepositoryFiles } from "@bulwark/tuf";
import { auditFeed } from "../src/audit.js";
import type { AuditReport } from "../src/report.js";
import { TRANSPARENCY_LOG_FIELD } from "../src/tuf/bulwark-policies.js";

type T = Parameters<typeof setup>[0] & { after(fn: () => void | Promise<void>): void };

/** A published repository with one delegated role, written to a folder. */
async function repository(t: T) {
  const env = await setup(t);
  env.repo.addTarget({ path: "app/a.txt", data: Buffer.from("a") });
  const team = PrivateKeySigner.generate();
  env.repo.delegate("targets", { name: "team", paths: ["team/*"], terminating: true, signers: [team] });
  await env.repo.publish();
  const dir = tempDir(t);
  await writeRepositoryFiles(dir, env.repo.files());
  return { ...env, dir, metadata: path.join(dir, "metadata") };
}

function ids(r: AuditReport): string[] {
  return r.findings.map((f) => f.id);
}

describe("auditFeed: TUF repositories", () => {
  it("reads a repository folder, trusting its root on first use", async (t) => {
    const { metadata } = await repository(t);
    const r = await auditFeed(metadata);
    assert.equal(r.feed.type, "tuf");
    assert.equal(r.source.location, metadata);
    assert.ok(!ids(r).some((id) => id.endsWith(".missing") || id.endsWith(".does-not-verify")), ids(r).join(", "));
    assert.equal(r.feed.facts.find((f) => f.name === "delegations")?.value, "1 (1 terminating)");
  });

  it("reads the same repository over http on loopback, where plain http is only a note", async (t) => {
    const { repo } = await repository(t);
    const server = await serveFiles(repo.files());
    t.after(() => server.close());
    const r = await auditFeed(`${server.url}metadata/`);
    assert.equal(r.feed.type, "tuf");
    assert.ok(r.findings.some((f) => f.id === "transport.loopback" && f.severity === "info"));
    assert.ok(!r.findings.some((f) => f.id === "transport.plain-http"), ids(r).join(", "));
    assert.ok(!ids(r).some((id) => id.endsWith(".missing")), ids(r).join(", "));
  });

  it("a delegated role that is not published is a high finding, and the audit goes on", async (t) => {
    const { metadata, repo } = await repository(t);
    const version = repo.snapshot.signed.meta.get("team.json")?.version;
    rmSync(path.join(metadata, `${version}.team.json`));
    const r = await auditFeed(metadata);
    const missing = r.findings.find((f) => f.id === "tuf.delegated.missing");
    assert.equal(missing?.severity, "high");
    assert.equal(missing?.subject, "team");
    assert.equal(missing?.title, `${version}.team.json is missing`);
    assert.ok(
      r.feed.facts.some((f) => f.name === "targets"),
      "targets was still read",
    );
  });
});

const DAY = 86_400_000;

/**
 * A repository made with the library, written to a folder: `oneKey` signs every role with
 * one key; `expiry` in days per role; `log` is root's transparency-log policy.
 */
async function made(
  t: T,
  options: { oneKey?: boolean; expiryDays?: Partial<Record<keyof ExpiryPolicy, number>>; log?: unknown } = {},
): Promise<string> {
  const single = PrivateKeySigner.generate();
  const key = () => (options.oneKey ? single : PrivateKeySigner.generate());
  const expiry = Object.fromEntries(Object.entries(options.expiryDays ?? {}).map(([r, d]) => [r, d * 86_400]));
  const repo = await Repository.create({
    signers: { root: [key()], timestamp: [key()], snapshot: [key()], targets: [key()] },
    expiry,
  });
  if (options.log !== undefined) {
    const root = repo.rotateRoot();
    root.unrecognized = { ...root.unrecognized, [TRANSPARENCY_LOG_FIELD]: options.log as JsonValue };
  }
  repo.addTarget({ path: "app/a.txt", data: Buffer.from("a") });
  await repo.publish();
  const dir = tempDir(t);
  await writeRepositoryFiles(dir, repo.files());
  return path.join(dir, "metadata");
}

function verdicts(r: AuditReport): Record<string, string> {
  return Object.fromEntries(r.attacks.map((a) => [a.attack, a.verdict]));
}

const witness = (name: string) => ({ name, vkey: `${name}.example+00000000+AAAA` });

describe("auditFeed: TUF verdicts follow the findings", () => {
  it("one online key that signs root, targets and timestamp: nothing is prevented", async (t) => {
    const r = await auditFeed(await made(t, { oneKey: true }));
    assert.ok(ids(r).includes("tuf.root.key-online"), ids(r).join(", "));
    const v = verdicts(r);
    for (const attack of [
      "arbitrary-install",
      "rollback",
      "freeze",
      "mix-and-match",
      "endless-data",
      "targeted-release",
    ]) {
      assert.equal(v[attack], "possible", attack);
    }
    assert.match(r.attacks[0]?.detail ?? "", /kept online/);
    // With the server already able to install anything, the build machine adds little.
    assert.equal(r.findings.find((f) => f.id === "build.no-independent-builders")?.severity, "low");
  });

  it("a targets key that also signs timestamp is online: a finding, and arbitrary install is possible", async (t) => {
    const shared = PrivateKeySigner.generate();
    const repo = await Repository.create({
      signers: {
        root: [PrivateKeySigner.generate()],
        timestamp: [shared],
        snapshot: [PrivateKeySigner.generate()],
        targets: [shared],
      },
    });
    await repo.publish();
    const dir = tempDir(t);
    await writeRepositoryFiles(dir, repo.files());
    const r = await auditFeed(path.join(dir, "metadata"));
    const f = r.findings.find((x) => x.id === "tuf.targets.key-online");
    assert.equal(f?.severity, "high");
    assert.equal(f?.subject, "timestamp");
    assert.equal(verdicts(r)["arbitrary-install"], "possible");
  });

  it("freeze is bounded by the earliest expiry: a snapshot that expires before timestamp", async (t) => {
    const r = await auditFeed(await made(t, { expiryDays: { timestamp: 30, snapshot: 2 } }));
    const freeze = r.attacks.find((a) => a.attack === "freeze");
    assert.equal(freeze?.verdict, "limited");
    assert.match(freeze?.detail ?? "", /\(snapshot, in /);
  });

  it("an already expired root counts: the freeze bound is over", async (t) => {
    const metadata = await made(t, { expiryDays: { root: 2, timestamp: 30, snapshot: 30 } });
    const r = await auditFeed(metadata, { now: Date.now() + 3 * DAY });
    assert.ok(ids(r).includes("tuf.root.expired"), ids(r).join(", "));
    const freeze = r.attacks.find((a) => a.attack === "freeze");
    assert.equal(freeze?.verdict, "limited");
    assert.match(freeze?.detail ?? "", /^root has already expired/);
  });

  const logs: ReadonlyArray<[string, unknown, string, string | undefined]> = [
    ["one witness", { origin: "log.example", witnesses: [witness("w1")], threshold: 1 }, "limited", "a single witness"],
    [
      "three witnesses, any one enough (k = 1)",
      { origin: "log.example", witnesses: [witness("w1"), witness("w2"), witness("w3")], threshold: 1 },
      "limited",
      "any one of the 3 witnesses",
    ],
    [
      "2 of 3 witnesses",
      { origin: "log.example", witnesses: [witness("w1"), witness("w2"), witness("w3")], threshold: 2 },
      "prevented",
      undefined,
    ],
  ];
  for (const [name, log, targeted, title] of logs) {
    it(`a transparency log cosigned by ${name}: targeted release ${targeted}`, async (t) => {
      const r = await auditFeed(await made(t, { log }));
      const f = r.findings.find((x) => x.id === "bulwark.transparency-log.single-witness");
      if (title === undefined) assert.equal(f, undefined, ids(r).join(", "));
      else {
        assert.equal(f?.severity, "medium");
        assert.match(f?.title ?? "", new RegExp(`^${title}`));
      }
      assert.equal(verdicts(r)["targeted-release"], targeted);
    });
  }
});
