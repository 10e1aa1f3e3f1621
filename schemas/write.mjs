// `npm run schemas`: writes the JSON Schema of each config file to this folder, from the
// zod schemas Bulwark parses the files with (built first: `npm run schemas` runs tsc -b).
import { writeFileSync } from "node:fs";
import { configSchemaFiles } from "../packages/cli/dist/src/config-schemas.js";

for (const [file, text] of configSchemaFiles()) {
  writeFileSync(new URL(file, import.meta.url), text);
  console.log(`schemas/${file}`);
}
