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
import { PrivateKeySigner, writeRepositoryFiles } from "@bulwark/tuf";
import { auditFeed } from "../src/audit.js";
import type { AuditReport } from "../src/report.js";

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

  it("reads the same repository over http, where plain http is an info finding", async (t) => {
    const { repo } = await repository(t);
    const server = await serveFiles(repo.files());
    t.after(() => server.close());
    const r = await auditFeed(`${server.url}metadata/`);
    assert.equal(r.feed.type, "tuf");
    assert.ok(r.findings.some((f) => f.id === "transport.plain-http" && f.severity === "info"));
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
