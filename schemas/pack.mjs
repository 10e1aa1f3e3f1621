// A package's `prepack`: copies the named schemas from this folder into the package's own
// schemas/ folder, since npm packs only files inside the package (`files`: "schemas").
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";

const dest = path.resolve("schemas");
mkdirSync(dest, { recursive: true });
for (const name of process.argv.slice(2)) {
  copyFileSync(new URL(`${name}.schema.json`, import.meta.url), path.join(dest, `${name}.schema.json`));
}
