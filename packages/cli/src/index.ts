/** @bulwark/cli — the `bulwark` command. The executable is `bin/bulwark.js`. */

export { EXIT } from "./exit-codes.js";
export { main } from "./main.js";
