import "./env.ts";
import { app } from "./http/app.ts";
import { scheduled } from "./poll/scheduled.ts";

export { LiveMonitor } from "./live/live-monitor.ts";

export default {
  fetch: app.fetch,
  scheduled,
} satisfies ExportedHandler<Env>;
