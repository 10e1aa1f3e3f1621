// A static file server on 127.0.0.1 for the benchmark (the repository is plain files).
import { createReadStream, promises as fs } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";

/** Serves `dir` on 127.0.0.1; resolves to { url, close }. */
export async function serveDirectory(dir) {
  const root = path.resolve(dir);
  const server = createServer(async (req, res) => {
    const rel = decodeURIComponent((req.url ?? "/").split("?")[0]);
    const file = path.resolve(root, `.${rel}`);
    if (!file.startsWith(root + path.sep)) return res.writeHead(403).end();
    try {
      const stat = await fs.stat(file);
      if (!stat.isFile()) return res.writeHead(404).end();
      res.writeHead(200, { "content-length": stat.size, "content-type": "application/octet-stream" });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}
