/**
 * Debian's nginx running the configuration docs/serving.md documents, for the test that
 * checks it and the serving benchmark: the doc's ```nginx block, pointed at a folder and a
 * loopback port, inside a complete nginx.conf whose state lives in a folder of its own.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** The nginx executable, or undefined where nginx is not installed. */
export const NGINX = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((p) => spawnSync(p, ["-v"]).status === 0);

/** The ```nginx block of `docFile` (docs/serving.md). */
export function documentedNginxSite(docFile: string): string {
  const m = /```nginx\n([\s\S]*?)```/.exec(readFileSync(docFile, "utf8"));
  if (m === null) throw new Error(`${docFile} has no nginx block`);
  return m[1] as string;
}

/** Options of {@link writeNginxConfig}. */
export interface NginxSetup {
  /** docs/serving.md. */
  readonly docFile: string;
  /** The folder to serve (in place of the doc's /srv/updates/public). */
  readonly root: string;
  readonly port: number;
  /** nginx's own folder: config, pid, logs, temporary files. */
  readonly dir: string;
  readonly workerConnections?: number;
  readonly backlog?: number;
}

/** Writes `dir/nginx.conf` serving `root` on 127.0.0.1:`port` with the documented site; its path. */
export function writeNginxConfig(setup: NginxSetup): string {
  const { dir, root, port } = setup;
  mkdirSync(path.join(dir, "tmp"), { recursive: true });
  const documented = documentedNginxSite(setup.docFile);
  const listen = `listen 127.0.0.1:${port}${setup.backlog === undefined ? "" : ` backlog=${setup.backlog}`};`;
  const site = documented.replace("listen 80;", listen).replace("root /srv/updates/public;", `root ${root};`);
  if (site === documented) throw new Error("the documented nginx site no longer has `listen 80;` and the /srv root");
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((k) => `${k}_temp_path ${dir}/tmp;`).join("\n");
  const conf = `${process.getuid?.() === 0 ? "user root root;\n" : ""}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections ${setup.workerConnections ?? 256}; }
http {
access_log off;
${temp}
${site}
}
`;
  const file = path.join(dir, "nginx.conf");
  writeFileSync(file, conf);
  return file;
}

/** Starts nginx (in the foreground) with the config {@link writeNginxConfig} wrote. */
export function startNginx(config: string): ChildProcess {
  return spawn(NGINX as string, ["-c", config, "-p", path.dirname(config)], { stdio: "ignore" });
}
