/** Files for the intel, YARA and SBOM tests: written from the public format specs, never copied from a feed. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";

/** Writes files (text, or JSON for objects) under `dir`, making folders; returns `dir`. */
export function write(dir: string, files: Record<string, string | object>): string {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), typeof content === "string" ? content : JSON.stringify(content));
  }
  return dir;
}

/** A minimal zip (deflated entries, one central directory), as osv.dev's all.zip is laid out; `declaredSize` makes its headers lie. */
export function zip(entries: Record<string, string>, options: { declaredSize?: number } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(entries)) {
    const data = Buffer.from(text);
    const packed = deflateRawSync(data);
    const fileName = Buffer.from(name);
    const header = (signature: number, central: boolean): Buffer => {
      const b = Buffer.alloc(central ? 46 : 30);
      let p = 0;
      b.writeUInt32LE(signature, p);
      p += 4;
      if (central) {
        b.writeUInt16LE(20, p);
        p += 2;
      }
      b.writeUInt16LE(20, p); // version needed
      b.writeUInt16LE(0, p + 2); // flags
      b.writeUInt16LE(8, p + 4); // deflate
      b.writeUInt32LE(0, p + 6); // time, date
      b.writeUInt32LE(crc32(data), p + 10);
      b.writeUInt32LE(packed.length, p + 14);
      b.writeUInt32LE(options.declaredSize ?? data.length, p + 18);
      b.writeUInt16LE(fileName.length, p + 22);
      if (central) b.writeUInt32LE(offset, 42);
      return b;
    };
    const local = Buffer.concat([header(0x04034b50, false), fileName, packed]);
    centrals.push(Buffer.concat([header(0x02014b50, true), fileName]));
    locals.push(local);
    offset += local.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length, 8);
  end.writeUInt16LE(centrals.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
