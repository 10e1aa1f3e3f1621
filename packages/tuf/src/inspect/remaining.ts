/** A human description of a time span in milliseconds: "3 days", "5 hours", "expired 2 days ago". */
export function describeRemaining(ms: number): string {
  const abs = Math.abs(ms) / 1000;
  const [n, unit] =
    abs >= 86400 * 2
      ? [Math.floor(abs / 86400), "days"]
      : abs >= 7200
        ? [Math.floor(abs / 3600), "hours"]
        : [Math.floor(abs / 60), "minutes"];
  return ms < 0 ? `expired ${n} ${unit} ago` : `${n} ${unit}`;
}
