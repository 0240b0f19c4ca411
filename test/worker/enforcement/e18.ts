/**
 * What the enforcement worker tests share: E18's book (two positions and a pending order,
 * docs/enforcement.md) and the simulator's close counts per session.
 */
import { sim } from "../helpers.ts";

/** E18's open orders, tickets `base + 1..3`: two positions and a pending order. */
export function e18Orders(base: number) {
  return [
    {
      ticket: base + 1,
      symbol: "EURUSD",
      orderType: "Buy",
      lots: 1,
      openPrice: 1.1,
      profit: -6_000,
    },
    {
      ticket: base + 2,
      symbol: "GBPUSD",
      orderType: "Sell",
      lots: 2,
      openPrice: 1.3,
      profit: -5_000,
    },
    {
      ticket: base + 3,
      symbol: "EURUSD",
      orderType: "BuyLimit",
      lots: 1,
      openPrice: 1.05,
      profit: 0,
    },
  ];
}

/** The simulator's `OrderCloseSafe` counts for a session (sim/order-close.ts). */
export interface CloseCounts {
  sends: Record<string, number>;
  sends_to_closed: number;
  sends_after_settled: number;
}

export const closeCounts = (sessionId: string) => sim<CloseCounts>(`/close/${sessionId}`);
