/**
 * Asks for the reason of an action before it is sent (docs/api.md, "Audit trail, reasons and rule versions": every change takes an
 * optional `reason`, 1-500 characters). A modal `<dialog>`: focus moves into it, Escape
 * cancels. Extra fields (an adjustment's amount) are passed as `children`.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

export interface ReasonDialogProps {
  title: string;
  confirm: string;
  onConfirm: (reason: string) => Promise<void>;
  onClose: () => void;
  children?: ComponentChildren;
}

export function ReasonDialog({ title, confirm, onConfirm, onClose, children }: ReasonDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onConfirm(reason.trim());
      onClose();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} onClose={onClose} aria-labelledby="dialog-title">
      <form onSubmit={submit}>
        <h2 id="dialog-title">{title}</h2>
        {children}
        <label for="reason">Reason</label>
        <textarea
          id="reason"
          rows={3}
          maxLength={500}
          required
          value={reason}
          onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
        />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="button" class="quiet" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button type="submit" disabled={busy || reason.trim() === ""}>
            {confirm}
          </button>
        </div>
      </form>
    </dialog>
  );
}
