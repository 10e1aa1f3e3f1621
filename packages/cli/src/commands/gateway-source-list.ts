import { defineCommand } from "../command.js";
import { GATEWAY_CLIENT_OPTIONS, withGateway } from "../gateway/client-options.js";

/** `bulwark gateway source list`: the gateway's sources, through its API. */
export default defineCommand({
  name: "gateway source list",
  summary: "list the gateway's sources",
  description: `Lists the sources of the gateway at --url (or BULWARK_GATEWAY_URL), with a token of any role.

Example:
  bulwark gateway source list --json`,
  positionals: [],
  options: [...GATEWAY_CLIENT_OPTIONS],
  async run({ options }, ctx) {
    const sources = await withGateway(options, ctx, (client) => client.listSources());
    if (sources.length === 0) ctx.out.line("no sources yet: add one with `bulwark gateway source add`");
    for (const s of sources) {
      const where = "feedUrl" in s.config ? s.config.feedUrl : "url" in s.config ? s.config.url : s.config.metadataUrl;
      ctx.out.line(`${s.id}  ${s.kind}  ${where}  (added ${s.createdAt})`);
    }
    return { data: { sources } };
  },
});
