/** The dialog of an operator's action on an account, asking for a reason (and an amount). */
import { ReasonDialog } from "../../components/reason-dialog.tsx";

/** The actions an operator may take on an account. */
export type Action = "reset" | "live" | "release" | "poll" | "adjust";

const TITLES: Record<Action, string> = {
  reset: "Reset account",
  live: "Force live monitoring",
  release: "Release live monitoring",
  poll: "Poll now",
  adjust: "Record an adjustment",
};

const CONFIRMS: Record<Action, string> = {
  reset: "Reset",
  live: "Force live",
  release: "Release",
  poll: "Poll",
  adjust: "Record",
};

export function ActionDialog(props: {
  action: Action;
  amount: string;
  onAmount: (amount: string) => void;
  onConfirm: (reason: string) => Promise<void>;
  onClose: () => void;
}) {
  const { action, amount, onAmount, onConfirm, onClose } = props;
  return (
    <ReasonDialog
      title={TITLES[action]}
      confirm={CONFIRMS[action]}
      onConfirm={onConfirm}
      onClose={onClose}
    >
      {action === "adjust" && (
        <>
          <label for="amount">Amount (account currency; negative for a withdrawal)</label>
          <input
            id="amount"
            type="number"
            step="0.01"
            required
            value={amount}
            onInput={(e) => onAmount((e.target as HTMLInputElement).value)}
          />
        </>
      )}
    </ReasonDialog>
  );
}
