/**
 * Releases built by the tests: an Electron asar writer (pickle header + JSON table, files
 * back to back), and helpers that write a release as a folder or an archive. Deterministic.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzip, tar } from "@bulwark/testkit/archives";

/** A tree for an asar: a file's bytes, a folder, a link, or a file kept in app.asar.unpacked. */
export type AsarTree = {
  readonly [name: string]: Uint8Array | string | AsarTree | { link: string } | { unpacked: number };
};

function isTree(node: unknown): node is AsarTree {
  return (
    typeof node === "object" &&
    node !== null &&
    !(node instanceof Uint8Array) &&
    !("link" in node) &&
    !("unpacked" in node)
  );
}

/** An asar archive of `tree`; `lie` rewrites the header's table before it is written. */
export function asar(tree: AsarTree, lie?: (table: Record<string, unknown>) => void): Buffer {
  const data: Buffer[] = [];
  let offset = 0;
  const toc = (node: AsarTree): Record<string, unknown> => {
    const files: Record<string, unknown> = {};
    for (const [name, child] of Object.entries(node)) {
      if (typeof child === "string" || child instanceof Uint8Array) {
        const bytes = Buffer.from(child);
        files[name] = { size: bytes.length, offset: String(offset) };
        data.push(bytes);
        offset += bytes.length;
      } else if ("link" in child && typeof child.link === "string") files[name] = { link: child.link };
      else if ("unpacked" in child && typeof child.unpacked === "number")
        files[name] = { size: child.unpacked, unpacked: true };
      else if (isTree(child)) files[name] = { files: toc(child).files };
    }
    return { files };
  };
  const table = toc(tree);
  lie?.(table);
  const json = Buffer.from(JSON.stringify(table));
  const padded = Math.ceil(json.length / 4) * 4;
  const header = Buffer.alloc(16 + padded - json.length + json.length);
  header.writeUInt32LE(4, 0);
  header.writeUInt32LE(padded + 8, 4);
  header.writeUInt32LE(padded + 4, 8);
  header.writeUInt32LE(json.length, 12);
  json.copy(header, 16);
  return Buffer.concat([header, ...data]);
}

/** Files of a release: path → bytes. */
export type Files = Readonly<Record<string, Uint8Array | string>>;

/** Writes `files` under `dir` (created). */
export function writeFolder(dir: string, files: Files): string {
  for (const [name, bytes] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), bytes);
  }
  return dir;
}

/** A tar.gz of `files`, written to `file`. */
export function writeTarGz(file: string, files: Files): string {
  writeFileSync(file, gzip(tar(Object.entries(files).map(([name, data]) => ({ name, data: Buffer.from(data) })))));
  return file;
}

/** `n` bytes that look random (high entropy) but are the same every run. */
export function noise(n: number, seed = 1): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
