import { CliError } from "../errors.js";
import { EXIT } from "../exit-codes.js";

/** Asks a person for secrets. Tests and scripts use environment variables instead. */
export interface Prompter {
  /** Reads a line without echoing it. */
  secret(question: string): Promise<string>;
  readonly interactive: boolean;
}

/** Prompts on the terminal (stdin/stderr), with echo off. */
export class TerminalPrompter implements Prompter {
  get interactive(): boolean {
    return process.stdin.isTTY === true && process.stderr.isTTY === true;
  }

  async secret(question: string): Promise<string> {
    if (!this.interactive) {
      throw new CliError(
        "NO_TERMINAL",
        `${question.replace(/:\s*$/, "")} is needed and there is no terminal to ask on`,
        EXIT.USAGE,
        "set BULWARK_PASSPHRASE (or BULWARK_PASSPHRASE_<ROLE>) in the environment",
      );
    }
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding("utf8");
    return new Promise((resolve, reject) => {
      let value = "";
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (ch === "\r" || ch === "\n") {
            cleanup();
            process.stderr.write("\n");
            resolve(value);
            return;
          }
          if (ch === "\u0003") {
            cleanup();
            reject(new CliError("CANCELLED", "cancelled", EXIT.FAILURE));
            return;
          }
          if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
          else value += ch;
        }
      };
      const cleanup = () => {
        stdin.off("data", onData);
        stdin.setRawMode(false);
        stdin.pause();
      };
      stdin.on("data", onData);
    });
  }
}
