import "./env.ts";
import { app } from "./http/app.ts";
import type { PollMessage } from "./poll/dispatch.ts";
import { queue } from "./poll/queue.ts";
import { scheduled } from "./poll/scheduled.ts";

export { LiveMonitor } from "./live/monitor.ts";

export default {
  fetch: app.fetch,
  scheduled,
  queue,
} satisfies ExportedHandler<Env, PollMessage>;
