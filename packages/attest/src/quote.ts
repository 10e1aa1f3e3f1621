/** Longest untrusted string echoed in an error message or a quorum reason. */
export const MAX_QUOTED_LENGTH = 80;

/**
 * An untrusted string as it may appear in a message: JSON-quoted (so control characters
 * and quotes cannot forge text) and cut to {@link MAX_QUOTED_LENGTH} characters (so a
 * megabyte-long payloadType cannot flood a log).
 */
export function quote(value: string): string {
  const cut = value.length > MAX_QUOTED_LENGTH ? `${value.slice(0, MAX_QUOTED_LENGTH)}…` : value;
  return JSON.stringify(cut);
}
