/**
 * Passphrases of encrypted keys, asked of the caller's {@link PassphraseCallback} at most
 * once per role and operation, and refused when too short. Never stored anywhere else.
 */
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import type { PassphraseCallback } from "../options.js";

/** The shortest passphrase accepted for a key file. */
export const MIN_PASSPHRASE_LENGTH = 8;

/** The environment variable that conventionally holds the passphrase of `role`'s keys. */
export function passphraseVariable(role: string): string {
  return `BULWARK_PASSPHRASE_${role.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/** The passphrases of one operation, by role. */
export class Passphrases {
  private readonly known = new Map<string, string>();

  constructor(private readonly callback: PassphraseCallback | undefined) {}

  /**
   * The passphrase of `role`'s keys.
   * @throws {PublisherError} `NO_PASSPHRASE` without a callback; `WEAK_PASSPHRASE` when
   *   shorter than {@link MIN_PASSPHRASE_LENGTH}; whatever the callback throws.
   */
  async get(role: string, purpose: "unlock" | "create" = "unlock"): Promise<string> {
    const cached = this.known.get(role);
    if (cached !== undefined) return cached;
    if (this.callback === undefined) {
      throw new PublisherError(
        PUBLISHER_ERRORS.NO_PASSPHRASE,
        `the ${role} keys need a passphrase, and none was given`,
        {
          hint: "pass a `passphrase` callback in the options",
        },
      );
    }
    const value = await this.callback(role, purpose);
    if (value.length < MIN_PASSPHRASE_LENGTH) {
      throw new PublisherError(
        PUBLISHER_ERRORS.WEAK_PASSPHRASE,
        `the passphrase for the ${role} keys is shorter than ${MIN_PASSPHRASE_LENGTH} characters`,
      );
    }
    this.known.set(role, value);
    return value;
  }
}
