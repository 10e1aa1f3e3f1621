import { TOKEN_ROLES, type TokenRole } from "@bulwark/gateway";
import { defineCommand } from "../command.js";
import { usage } from "../errors.js";
import { GATEWAY_CLIENT_OPTIONS, withGateway } from "../gateway/client-options.js";

/** `bulwark gateway token create --role ROLE --name NAME`: an API token, through the API. */
export default defineCommand({
  name: "gateway token create",
  summary: "make an API token with a role (admin, approver, viewer); printed once",
  description: `Makes a token on the gateway at --url (or BULWARK_GATEWAY_URL); needs an admin token.
Roles: admin (everything), approver (approvals and reads), viewer (reads only). The token
is printed once; the gateway keeps only its SHA-256. Its issue is recorded in the audit trail.

Example:
  bulwark gateway token create --role viewer --name grafana`,
  positionals: [],
  options: [
    { name: "role", type: "string", valueName: "ROLE", required: true, description: TOKEN_ROLES.join(", ") },
    { name: "name", type: "string", valueName: "NAME", required: true, description: "who or what it is for" },
    ...GATEWAY_CLIENT_OPTIONS,
  ],
  async run({ options }, ctx) {
    const role = options.role as TokenRole;
    if (!TOKEN_ROLES.includes(role)) throw usage(`--role must be one of ${TOKEN_ROLES.join(", ")}`);
    const made = await withGateway(options, ctx, (client) => client.createToken(options.name, role));
    ctx.out.line(`token ${made.id} (${made.role}, ${made.name}), shown once: ${made.token}`);
    return { data: made };
  },
});
