// A published package's `prepack` (run by `npm pack` and `npm publish` in the package folder):
// builds the package, refuses compiled files whose source is gone (tsc -b never removes
// them, and they would ship), and copies the root LICENSE in (npm packs a package's LICENSE
// by itself; the copies are gitignored).
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const pkg = process.cwd();
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-b", path.join(pkg, "tsconfig.json")], { stdio: "inherit" });

const stale = readdirSync(path.join(pkg, "dist", "src"), { recursive: true, encoding: "utf8" })
  .filter((file) => file.endsWith(".js"))
  .filter((file) => !existsSync(path.join(pkg, "src", file.replace(/\.js$/, ".ts"))));
if (stale.length > 0) {
  console.error(`${path.basename(pkg)}: dist/src has compiled files without a source: ${stale.join(", ")}`);
  console.error("Remove them and build again: rm -rf packages/*/dist && npx tsc -b");
  process.exit(1);
}

copyFileSync(new URL("../LICENSE", import.meta.url), path.join(pkg, "LICENSE"));
