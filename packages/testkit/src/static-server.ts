/** A static file server on 127.0.0.1 for end-to-end tests over real loopback HTTP. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { RepositoryFile } from "@bulwark/tuf";

export interface StaticServer {
  readonly url: string;
  readonly files: Map<string, Uint8Array>;
  /** Paths requested, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** Serves `files` (paths relative to the root) until closed. */
export async function serveFiles(files: Iterable<RepositoryFile>): Promise<StaticServer> {
  const map = new Map<string, Uint8Array>();
  for (const f of files) map.set(f.path, f.data);
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const p = decodeURIComponent((req.url ?? "/").split("?")[0] ?? "/").replace(/^\//, "");
    requests.push(p);
    const data = map.get(p);
    if (data === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-length": data.length, "content-type": "application/octet-stream" });
    res.end(data);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    files: map,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
