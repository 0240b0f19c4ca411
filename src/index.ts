import "./env.ts";
import { handleAlertBatch } from "./alerts/consumer.ts";
import { isAlertQueue, type AlertQueueMessage } from "./alerts/queue-message.ts";
import { app } from "./http/app.ts";
import type { PollQueueMessage } from "./poll/dispatch.ts";
import { handlePollBatch } from "./poll/queue.ts";
import { scheduled } from "./cron/scheduled.ts";

export { LiveMonitor } from "./live/monitor.ts";

export default {
  fetch: app.fetch,
  scheduled,
  // Each queue has its own consumer logic: dispatch by the queue's name.
  async queue(
    batch: MessageBatch<PollQueueMessage | AlertQueueMessage>,
    env: Env,
    _ctx: ExecutionContext,
  ): Promise<void> {
    if (isAlertQueue(batch.queue))
      await handleAlertBatch(batch as MessageBatch<AlertQueueMessage>, env);
    else await handlePollBatch(batch as MessageBatch<PollQueueMessage>, env);
  },
} satisfies ExportedHandler<Env, PollQueueMessage | AlertQueueMessage>;
