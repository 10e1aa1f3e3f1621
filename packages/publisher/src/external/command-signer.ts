/**
 * The external-signer interface: a command that receives the bytes to sign on stdin and
 * prints the signature on stdout, as hex or base64 (one line). Any KMS, HSM or hardware
 * key can be wired in with a small script; the private key never enters this process.
 *
 *   "command": "aws kms sign --key-id alias/tuf-targets --message fileb:///dev/stdin ..."
 *
 * The command runs through /bin/sh with BULWARK_KEY_ID and BULWARK_SCHEME set.
 */
import { spawn } from "node:child_process";
import type { Key, Signer } from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";

/** Longest an external signer may take (a person touching a hardware key included). */
export const EXTERNAL_SIGNER_TIMEOUT_MS = 120_000;

/** A {@link Signer} that runs an external command; it refuses an answer that does not verify. */
export class CommandSigner implements Signer {
  constructor(
    readonly keyId: string,
    readonly publicKey: Key,
    private readonly command: string,
    private readonly timeoutMs = EXTERNAL_SIGNER_TIMEOUT_MS,
  ) {}

  sign(data: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const child = spawn("/bin/sh", ["-c", this.command], {
        stdio: ["pipe", "pipe", "pipe"],
        env: { ...process.env, BULWARK_KEY_ID: this.keyId, BULWARK_SCHEME: this.publicKey.scheme },
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const timer = setTimeout(() => child.kill("SIGKILL"), this.timeoutMs);
      child.stdout.on("data", (b: Buffer) => out.push(b));
      child.stderr.on("data", (b: Buffer) => err.push(b));
      child.on("error", (cause) => {
        clearTimeout(timer);
        reject(
          new PublisherError(
            PUBLISHER_ERRORS.EXTERNAL_SIGNER,
            `the external signer for key ${this.keyId.slice(0, 12)} could not start`,
            { cause },
          ),
        );
      });
      child.on("close", (code, sig) => {
        clearTimeout(timer);
        const text = Buffer.concat(out).toString("utf8").trim();
        if (code !== 0 || text === "") {
          const why = sig ? `was killed (${sig}${sig === "SIGKILL" ? ", timeout" : ""})` : `exited with ${code}`;
          const detail = Buffer.concat(err).toString("utf8").trim().split("\n")[0] ?? "";
          reject(
            new PublisherError(
              PUBLISHER_ERRORS.EXTERNAL_SIGNER,
              `the external signer for key ${this.keyId.slice(0, 12)} ${why}${detail ? `: ${detail}` : ""}`,
            ),
          );
          return;
        }
        const bytes =
          /^[0-9a-fA-F]+$/.test(text) && text.length % 2 === 0 ? Buffer.from(text, "hex") : Buffer.from(text, "base64");
        // Check the answer before it is used: a signer that signs something else is refused here.
        if (!this.publicKey.verify(data, bytes.toString("hex"))) {
          reject(
            new PublisherError(
              PUBLISHER_ERRORS.EXTERNAL_SIGNER,
              `the external signer for key ${this.keyId.slice(0, 12)} answered a signature that does not verify`,
            ),
          );
          return;
        }
        resolve(bytes);
      });
      child.stdin.on("error", () => undefined);
      child.stdin.end(Buffer.from(data));
    });
  }
}
