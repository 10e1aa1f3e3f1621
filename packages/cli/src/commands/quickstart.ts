import { defineCommand } from "../command.js";
import { EXIT } from "../exit-codes.js";
import { runQuickstart } from "../quickstart/run.js";

export default defineCommand({
  name: "quickstart",
  summary:
    "a narrated tour on production defaults: offline root, publish, install, staged rollout, attacks refused, kill switch, release log, verified builds",
  description: `A narrated tour on production defaults, with no external services. The vendor creates a
repository (root signed by 2 of 3 keys) and moves the root keys out of it, marked
"offline": true in bulwark.json; each root change is then signed where they are kept, with
\`repo export\`, \`sign\` and \`repo import\`. demo-app 1.0.0 is published and served on 127.0.0.1;
endpoints, each with the agent config it prints (endpoints/NAME/agent.json), install it with
\`bulwark agent --once\`; 1.1.0 goes out as a staged rollout (50 %: which endpoints take it,
then 100 %). Then an attacker who controls the update server tries swapped bytes, an older
snapshot and an unsigned release, and the vendor uses the kill switch; the transparency
scenes: every release is logged and cosigned by two witnesses (on 127.0.0.1), a release
published with stolen online keys but never logged is refused, one logged for chosen victims
only is reported by the monitor; and the 3CX scenes: three independent builders under a
2-of-3 policy in root, one of them compromised, whose build is refused at publish and,
listed with stolen online keys, by the client. Ends with a summary and what to try next.

Everything happens in one folder (the world): a temporary one, removed at the end whatever
happened; or, with --keep DIR (a new or empty folder), DIR, left there with a map of it and
commands to try in it (the keys' passphrase is printed). Exit 0 when every scene went as
expected. This is \`npm start\`.

Examples:
  bulwark quickstart
  bulwark quickstart --keep ./bulwark-tour`,
  positionals: [],
  options: [
    {
      name: "keep",
      type: "string",
      valueName: "DIR",
      description: "make the world in DIR (new or empty) and leave it there for exploring",
    },
  ],
  async run({ options }, ctx) {
    const { ok, scenes, world } = await runQuickstart(ctx, options.keep === undefined ? {} : { keep: options.keep });
    return { data: { ok, scenes, world }, exitCode: ok ? EXIT.OK : EXIT.FAILURE };
  },
});
