#!/usr/bin/env node
// The `bulwark` command. Built by `npm ci` (tsc -b); see packages/cli/src/main.ts.
import { main } from "../dist/src/main.js";

process.exitCode = await main(process.argv.slice(2));
