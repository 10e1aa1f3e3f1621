// The repository lock moved to @bulwark/publisher; this re-export keeps `agent status`
// (rewritten by other work in progress) building until it imports `alive` from there.
export { alive } from "@bulwark/publisher";
