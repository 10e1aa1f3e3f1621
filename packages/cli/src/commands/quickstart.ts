import { defineCommand } from "../command.js";
import { EXIT } from "../exit-codes.js";
import { runQuickstart } from "../quickstart/run.js";

export default defineCommand({
  name: "quickstart",
  summary: "a narrated tour: publish, install, update, attacks refused, kill switch, release log, verified builds",
  description: `Creates a vendor repository in a temporary folder, publishes demo-app 1.0.0 and
1.1.0, serves them on 127.0.0.1, installs and updates an endpoint with the client, then
plays an attacker who controls the update server (swapped bytes, an older snapshot, an
unsigned release) and the vendor's kill switch; then the transparency scenes: every release
is logged and cosigned by two witnesses (on 127.0.0.1), a release published with stolen
online keys but never logged is refused by the client, and one logged for chosen victims
only is reported by the monitor; then the 3CX scenes: three independent builders under a
2-of-3 policy in root, one of them compromised, whose build is refused at publish and,
listed with stolen online keys, by the client. No external services;
everything is removed afterwards. Exit 0 when every scene went as expected. This is \`npm start\`.`,
  positionals: [],
  options: [],
  async run(_args, ctx) {
    const { ok, scenes } = await runQuickstart(ctx);
    return { data: { ok, scenes }, exitCode: ok ? EXIT.OK : EXIT.FAILURE };
  },
});
