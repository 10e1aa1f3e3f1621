/** Loopback HTTP servers for end-to-end tests. */
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestLike } from "./temp.js";

/** Listens with `handler` on 127.0.0.1 until the test ends; returns the base URL (ending in `/`). */
export async function listen(t: TestLike, handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}
