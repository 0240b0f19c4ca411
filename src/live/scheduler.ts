/**
 * The live monitor's clock: ONE in-memory timer for precision (link deadlines, the write
 * batch, a retry) and the Durable Object alarm as the durable heartbeat (at most
 * `heartbeatMs` apart, earlier when something durable is due). The timer does not survive
 * an eviction; the alarm does, and the alarm's run does everything the timer would.
 */

/** Alarm heartbeat period (ms): the watchdog runs at least this often. */
export const HEARTBEAT_MS = 30_000;

/** What the scheduler needs from its owner. */
export interface SchedulerHost {
  now(): number;
  /** Sets the one alarm of the Durable Object (storage.setAlarm). */
  setAlarm(at: number): void;
  /** The timer fired: check deadlines, flush what is due. */
  onTimer(): void;
  /** Times (epoch ms) something durable is due: link deadlines, a write retry. */
  durableDue(): Array<number | undefined>;
  /** True when there is nothing to watch (no subscriptions, nothing pending). */
  idle(): boolean;
  /** The alarm fires at least this often while there is work (ms). */
  heartbeatMs(): number;
}

export class Scheduler {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerAt = 0;
  private alarmAt: number | null = null;

  private readonly host: SchedulerHost;

  constructor(host: SchedulerHost) {
    this.host = host;
  }

  /** The alarm as storage holds it (read once at start). */
  restoreAlarm(at: number | null): void {
    this.alarmAt = at;
  }

  /** The alarm fired: it is no longer set. */
  alarmFired(): void {
    this.alarmAt = null;
  }

  /** Wants the timer at `at` (epoch ms) or earlier; in memory only. */
  soon(at: number | undefined): void {
    if (at === undefined) return;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.host.onTimer();
      },
      Math.max(0, at - this.host.now()),
    );
  }

  /** Wants a wake-up at `at` that survives eviction: the timer, and the alarm as backup. */
  wakeAt(at: number): void {
    this.soon(at);
    this.armAlarm(at);
  }

  /** Keeps exactly one alarm, at the earliest time something is due. */
  armAlarm(extra?: number): void {
    if (extra === undefined && this.host.idle()) return;
    const now = this.host.now();
    const candidates = [now + this.host.heartbeatMs(), extra, ...this.host.durableDue()];
    const at = Math.min(...candidates.filter((t): t is number => t !== undefined));
    if (this.alarmAt !== null && this.alarmAt <= at && this.alarmAt > now) return;
    this.alarmAt = at;
    this.host.setAlarm(at);
  }
}
