/**
 * Drives an action through a host (docs/enforcement.md, "Exactly once"): next command, persist,
 * carry it out, take the answer, until the action finishes or must wait. The one rule that
 * makes a send happen at most once per decision: `persist` resolves before the command is
 * carried out; if it throws (storage or database down), nothing is sent and the caller retries
 * later from what was persisted last.
 */
import {
  type ActionState,
  type Answer,
  type Command,
  type OpenedAnswer,
  type RenewAnswer,
  type SendAnswer,
  type StepAction,
  type SummaryAnswer,
  answer,
  isFinished,
  next,
} from "./action.ts";

/** What an action needs from its shell: a clock, storage, the MTAPI calls, the halt switch. */
export interface ActionHost {
  now(): number;
  /** True (an operator's halt) or the reason it is halted (say, "account deleted"); false. */
  halted(): boolean | string | Promise<boolean | string>;
  /**
   * Durably keeps the state; resolves only once it is kept. A halt found by the write itself (a
   * host may check the halt in the statement that keeps the state instead of reading it
   * before): nothing kept, and the answer says which (`true`: an operator's halt; a string:
   * its reason, say "account deleted"); the state is planned again, halted.
   */
  persist(state: ActionState): Promise<void | true | string>;
  readSummary(): Promise<SummaryAnswer>;
  readOpened(): Promise<OpenedAnswer>;
  send(ticket: number, action: StepAction): Promise<SendAnswer>;
  renew(): Promise<RenewAnswer>;
  /**
   * The action must wait until `until` (ms). `true`: waited, go on; `false`: the shell
   * resumes later itself (an alarm, a delayed queue message): stop driving now.
   */
  wait(until: number): Promise<boolean>;
}

/** Runs commands until the action finishes or yields to a later resume; returns the state. */
export async function drive(
  start: ActionState,
  host: ActionHost,
  maxCommands = 10_000,
): Promise<ActionState> {
  let state = start;
  let haltFound: boolean | string = false;
  for (let i = 0; i < maxCommands; i++) {
    const halt = haltFound !== false ? haltFound : await host.halted();
    const planned = next(state, {
      now: host.now(),
      halted: halt !== false,
      ...(typeof halt === "string" ? { haltReason: halt } : {}),
    });
    const refused = await host.persist(planned.state);
    if (refused !== undefined) {
      // Nothing kept, nothing sent: plan again from the same state, knowing the halt.
      haltFound = refused;
      continue;
    }
    state = planned.state;
    const command: Command = planned.command;
    if (command.type === "finished") return state;
    if (command.type === "wait") {
      if (!(await host.wait(command.until))) return state;
      continue;
    }
    const result: Answer = await carryOut(command, host);
    state = answer(state, command, result, host.now());
    if (isFinished(state)) {
      await host.persist(state);
      return state;
    }
  }
  return state;
}

async function carryOut(command: Command, host: ActionHost): Promise<Answer> {
  try {
    switch (command.type) {
      case "read_summary":
        return await host.readSummary();
      case "read_opened":
        return await host.readOpened();
      case "send":
        return await host.send(command.ticket, command.action);
      case "renew":
        return await host.renew();
      default:
        return { ok: false, code: "NO_COMMAND" };
    }
  } catch (err) {
    // A thrown call is an unknown outcome (for a send: settled by OpenedOrders).
    return {
      ok: false,
      code: "NETWORK",
      message: err instanceof Error ? err.message : String(err),
      inFlight: true,
    };
  }
}
