#!/usr/bin/env node
// The `bulwark` command. Built by `npm ci` (tsc -b); see packages/cli/src/main.ts.
import { main } from "../dist/src/main.js";

// Output piped into `head` and closed early is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await main(process.argv.slice(2));
