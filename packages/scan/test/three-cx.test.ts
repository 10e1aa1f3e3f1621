/**
 * The 3CX shape, built from scratch: the previous release is an app with an ffmpeg-like
 * library (v5.1.2) and a cleanly signed d3dcompiler-like DLL; the next release has the same
 * library version with other bytes and new LoadLibraryW/GetProcAddress imports, and the DLL
 * now carries an encrypted-looking payload appended inside its Authenticode certificate
 * table (CVE-2013-3900: Windows still calls it validly signed). The scan must block, naming
 * each piece; the same release with a clean minor update must not. Driven through the
 * library and through the `bulwark` executable as a user runs it.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { tempDir } from "@bulwark/testkit";
import { type Finding, scanRelease } from "../src/index.js";
import { makeSigningIdentity, writePe } from "./corpus/index.js";
import { asar, type Files, noise, writeTarGz } from "./release-builders.js";

const signer = makeSigningIdentity("Test Platform Code Signing");
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../cli/bin/bulwark.js");

function ffmpeg(code: Uint8Array, functions: readonly string[]): Uint8Array {
  return writePe({
    dll: true,
    sections: [
      { name: ".text", data: code, executable: true },
      { name: ".rdata", data: Buffer.from("avcodec_open2\0av_read_frame\0") },
    ],
    imports: [{ dll: "KERNEL32.dll", functions }],
    version: { FileVersion: "5.1.2", ProductVersion: "5.1.2", OriginalFilename: "ffmpeg.dll" },
  });
}

function d3dcompiler(appended?: Uint8Array): Uint8Array {
  return writePe({
    dll: true,
    sections: [{ name: ".text", data: noise(8192, 7), executable: true }],
    imports: [{ dll: "KERNEL32.dll", functions: ["GetLastError"] }],
    version: { FileVersion: "10.0.20348.1", OriginalFilename: "d3dcompiler_47.dll" },
    sign: { key: signer.key, cert: signer.cert, ...(appended === undefined ? {} : { appendToCertTable: appended }) },
  });
}

const APP = writePe({
  sections: [{ name: ".text", data: noise(4096, 3), executable: true }],
  imports: [{ dll: "ffmpeg.dll", functions: ["avcodec_open2"] }],
  version: { FileVersion: "18.12.416", OriginalFilename: "3CXDesktopApp.exe" },
});

function release(version: string, files: Files): Files {
  return {
    "app/3CXDesktopApp.exe": APP,
    "app/resources/app.asar": asar({
      "package.json": `{"name":"desktop-app","version":"${version}"}`,
      "main.js": "require('./ui')",
    }),
    ...files,
  };
}

const PREVIOUS = release("18.12.407", {
  "app/ffmpeg.dll": ffmpeg(noise(4096, 1), ["CreateFileW", "ReadFile"]),
  "app/d3dcompiler_47.dll": d3dcompiler(),
});

function paths(t: Parameters<typeof tempDir>[0], next: Files): { previous: string; next: string } {
  const dir = tempDir(t);
  return {
    previous: writeTarGz(path.join(dir, "app-18.12.407.tar.gz"), PREVIOUS),
    next: writeTarGz(path.join(dir, "app-18.12.416.tar.gz"), next),
  };
}

const TROJANED = release("18.12.416", {
  "app/ffmpeg.dll": ffmpeg(noise(4096, 2), ["CreateFileW", "GetProcAddress", "LoadLibraryW", "ReadFile"]),
  "app/d3dcompiler_47.dll": d3dcompiler(noise(16 * 1024, 9)),
});

function byId(findings: readonly Finding[], id: string, file?: string): Finding | undefined {
  return findings.find((f) => f.id === id && (file === undefined || f.file === file));
}

describe("the 3CX-shaped release", () => {
  it("is blocked, with each piece named in the evidence", async (t) => {
    const { previous, next } = paths(t, TROJANED);
    const { report } = await scanRelease(next, { previous });
    assert.equal(report.verdict, "block");
    // Each piece, found by its own layer:
    assert.equal(byId(report.findings, "diff.binary.version-unchanged", "app/ffmpeg.dll")?.evidence.version, "5.1.2");
    assert.deepEqual(byId(report.findings, "diff.binary.loader-import-added", "app/ffmpeg.dll")?.evidence.added, [
      "kernel32.dll!GetProcAddress",
      "kernel32.dll!LoadLibraryW",
    ]);
    assert.equal(
      byId(report.findings, "signature.pe.cert-table-appended-data", "app/d3dcompiler_47.dll")?.severity,
      "high",
    );
    // ... and the combination that blocks, naming them all:
    const shape = byId(report.findings, "verdict.3cx-shape");
    assert.equal(shape?.severity, "critical");
    assert.deepEqual(shape?.evidence, {
      changedWithoutVersionChange: [
        "diff.binary.version-unchanged (app/ffmpeg.dll)",
        // The signed DLL's bytes changed too (the payload), its version did not.
        "diff.binary.version-unchanged (app/d3dcompiler_47.dll)",
      ],
      newLoaderImports: [
        "kernel32.dll!GetProcAddress in app/ffmpeg.dll",
        "kernel32.dll!LoadLibraryW in app/ffmpeg.dll",
      ],
      signatureAnomalies: ["signature.pe.cert-table-appended-data (app/d3dcompiler_47.dll)"],
    });
  });

  it("a clean minor release of the same app reports nothing above low", async (t) => {
    const { previous, next } = paths(
      t,
      release("18.12.416", {
        "app/ffmpeg.dll": PREVIOUS["app/ffmpeg.dll"] as Uint8Array,
        "app/d3dcompiler_47.dll": PREVIOUS["app/d3dcompiler_47.dll"] as Uint8Array,
      }),
    );
    const { report } = await scanRelease(next, { previous });
    assert.equal(report.verdict, "clean");
    assert.deepEqual(
      report.findings.filter((f) => f.severity !== "low" && f.severity !== "info").map((f) => f.id),
      [],
    );
  });

  it("compares two single-file releases under different names as one binary (MyApp-1.9.dll against MyApp.dll)", async (t) => {
    const dir = tempDir(t);
    const previous = path.join(dir, "ffmpeg-1.9.dll");
    const next = path.join(dir, "ffmpeg.dll");
    writeFileSync(previous, PREVIOUS["app/ffmpeg.dll"] as Uint8Array);
    writeFileSync(next, TROJANED["app/ffmpeg.dll"] as Uint8Array);
    const { report } = await scanRelease(next, { previous });
    assert.equal(byId(report.findings, "diff.binary.loader-import-added")?.file, "ffmpeg.dll");
    assert.equal(byId(report.findings, "diff.file.added"), undefined);
  });

  it("bulwark scan exits 13 (block) and its SARIF names the pieces", async (t) => {
    const { previous, next } = paths(t, TROJANED);
    const run = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(process.execPath, [BIN, "scan", next, "--previous", previous, "--format", "sarif"], (error, stdout) =>
        resolve({ code: error === null ? 0 : (error.code as number), stdout }),
      );
    });
    assert.equal(run.code, 13);
    const sarif = JSON.parse(run.stdout) as { runs: Array<{ results: Array<{ ruleId: string; level: string }> }> };
    const results = sarif.runs[0]?.results ?? [];
    for (const id of [
      "verdict.3cx-shape",
      "diff.binary.version-unchanged",
      "diff.binary.loader-import-added",
      "signature.pe.cert-table-appended-data",
    ]) {
      assert.ok(
        results.some((r) => r.ruleId === id && r.level === "error"),
        id,
      );
    }
  });
});
