/**
 * Runs the Worker locally with `wrangler dev` (workerd, the local Queue, the Durable Object),
 * as `npm run dev` and the benchmarks do. Settings reach the Worker through an env file, which
 * leaves any `.dev.vars` of the user alone.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

export interface LocalWorker {
  /** `http://127.0.0.1:<port>` */
  base: string;
  child: ChildProcess;
  /** Resolves with the exit code when wrangler exits. */
  exited: Promise<number | null>;
  /** Fires the cron trigger once (`/__scheduled`). */
  fireCron(): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalWorkerOptions {
  port: number;
  /** Worker vars and secrets. */
  vars: Record<string, string | undefined>;
  /** Where to write the env file (git-ignored). */
  varsFile: string;
  /** "inherit" shows wrangler's output; "ignore" hides it. */
  stdio?: "inherit" | "ignore";
  /** Extra `wrangler dev` arguments. */
  args?: string[];
  /** Called right after the spawn with the stop function, so a caller can clean up even if startup is interrupted. */
  onSpawn?: (stop: () => Promise<void>) => void;
}

/** Starts `wrangler dev`; resolves once `/health` answers. */
export async function startWorker(opts: LocalWorkerOptions): Promise<LocalWorker> {
  writeFileSync(
    opts.varsFile,
    Object.entries(opts.vars)
      .filter(([, v]) => v !== undefined && v !== "")
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join("\n") + "\n",
  );
  const args = [
    "dev",
    "--port",
    String(opts.port),
    "--ip",
    "127.0.0.1",
    "--test-scheduled",
    "--env-file",
    opts.varsFile,
    "--show-interactive-dev-session=false",
    ...(opts.args ?? []),
  ];
  const child = spawn(`${root}node_modules/.bin/wrangler`, args, {
    cwd: root,
    stdio: opts.stdio ?? "inherit",
    detached: true,
    // Offline-friendly: no request.cf download, no telemetry.
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const base = `http://127.0.0.1:${opts.port}`;
  const stop = async () => {
    if (child.exitCode !== null || !child.pid) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      return;
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  };
  opts.onSpawn?.(stop);
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`wrangler dev exited (${child.exitCode}) before it was ready`);
    try {
      const res = await fetch(`${base}/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error("wrangler dev did not answer /health within 120 s");
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    base,
    child,
    exited,
    stop,
    async fireCron() {
      await fetch(`${base}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
    },
  };
}
