/**
 * Prometheus metrics in the text exposition format (version 0.0.4): requests by route and
 * status, a latency histogram by route, and, read from the database when scraped, jobs and
 * releases by state (shared by every process, so any one of them reports the whole gateway).
 */

/** The latency histogram's bucket bounds, in seconds. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

const escapeLabel = (value: string): string => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const labels = (pairs: Readonly<Record<string, string>>): string =>
  `{${Object.entries(pairs)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(",")}}`;

/** This process's request counters and latencies. */
export class ApiMetrics {
  private readonly requests = new Map<string, { method: string; route: string; status: string; count: number }>();
  private readonly latency = new Map<string, { buckets: number[]; sum: number; count: number }>();

  /** Counts one answered request; `route` is the route's pattern, never the raw path. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    const counter = this.requests.get(key) ?? { method, route, status: String(status), count: 0 };
    counter.count += 1;
    this.requests.set(key, counter);
    const histogram = this.latency.get(route) ?? { buckets: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 };
    LATENCY_BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) histogram.buckets[i] = (histogram.buckets[i] ?? 0) + 1;
    });
    histogram.sum += seconds;
    histogram.count += 1;
    this.latency.set(route, histogram);
  }

  /** The exposition text, with the gauges of `states` (releases and jobs by state). */
  render(states: {
    readonly releases: ReadonlyMap<string, number>;
    readonly jobs: ReadonlyMap<string, number>;
  }): string {
    const out: string[] = [
      "# HELP bulwark_gateway_http_requests_total API requests answered, by route and status.",
      "# TYPE bulwark_gateway_http_requests_total counter",
    ];
    for (const c of this.requests.values()) {
      out.push(
        `bulwark_gateway_http_requests_total${labels({ method: c.method, route: c.route, status: c.status })} ${c.count}`,
      );
    }
    out.push(
      "# HELP bulwark_gateway_http_request_duration_seconds Time to answer an API request.",
      "# TYPE bulwark_gateway_http_request_duration_seconds histogram",
    );
    for (const [route, h] of this.latency) {
      LATENCY_BUCKETS.forEach((bound, i) => {
        out.push(
          `bulwark_gateway_http_request_duration_seconds_bucket${labels({ route, le: String(bound) })} ${h.buckets[i]}`,
        );
      });
      out.push(`bulwark_gateway_http_request_duration_seconds_bucket${labels({ route, le: "+Inf" })} ${h.count}`);
      out.push(`bulwark_gateway_http_request_duration_seconds_sum${labels({ route })} ${h.sum}`);
      out.push(`bulwark_gateway_http_request_duration_seconds_count${labels({ route })} ${h.count}`);
    }
    const gauge = (name: string, help: string, values: ReadonlyMap<string, number>) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
      for (const [state, n] of values) out.push(`${name}${labels({ state })} ${n}`);
    };
    gauge("bulwark_gateway_jobs", "Jobs in the queue, by state.", states.jobs);
    gauge("bulwark_gateway_releases", "Upstream releases, by state.", states.releases);
    return `${out.join("\n")}\n`;
  }
}
