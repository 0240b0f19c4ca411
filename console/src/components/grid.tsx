/**
 * The console's tables and paging, shared by every view: a `grid` table with its heading row
 * and a "None." row when it has no rows, and a cursor pager (Previous / page N / Next) over
 * the API's keyset cursors. Views render only their own cells.
 */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";

/** A column heading; `num` right-aligns a column of figures. */
export type Column = string | { label: string; num: true };

/** A right-aligned column of figures. */
export const num = (label: string): Column => ({ label, num: true });

export interface GridProps {
  columns: readonly Column[];
  /** True when there are no rows: one muted row saying `emptyText` is shown. */
  empty: boolean | undefined;
  /** "None." unless given. */
  emptyText?: string;
  /** Smaller type and padding (tables beside others). */
  compact?: boolean;
  label?: string;
  children: ComponentChildren;
}

export function Grid({
  columns,
  empty,
  emptyText = "None.",
  compact = false,
  label,
  children,
}: GridProps) {
  return (
    <table class={compact ? "grid compact" : "grid"} aria-label={label}>
      <thead>
        <tr>
          {columns.map((c, i) =>
            typeof c === "string" ? (
              <th key={i}>{c}</th>
            ) : (
              <th key={i} class="num">
                {c.label}
              </th>
            ),
          )}
        </tr>
      </thead>
      <tbody>
        {children}
        {empty && (
          <tr>
            <td colSpan={columns.length} class="muted">
              {emptyText}
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

/** The pages walked so far as a stack of cursors (`null` is the first page). */
export interface CursorPages {
  /** The cursor of the page shown. */
  cursor: string | null;
  /** 1 for the first page. */
  page: number;
  back(): void;
  next(cursor: string): void;
  /** Back to the first page (filters changed). */
  reset(): void;
}

export function useCursorPages(): CursorPages {
  const [cursors, setCursors] = useState<Array<string | null>>([null]);
  return {
    cursor: cursors[cursors.length - 1] ?? null,
    page: cursors.length,
    back: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
    next: (cursor) => setCursors((c) => [...c, cursor]),
    reset: () => setCursors((c) => (c.length === 1 && c[0] === null ? c : [null])),
  };
}

export interface PagerProps {
  pages: CursorPages;
  /** The next page's cursor from the last answer; null on the last page. */
  nextCursor: string | null | undefined;
  /** Shown after the page number (e.g. a row count). */
  note?: string;
}

export function Pager({ pages, nextCursor, note }: PagerProps) {
  return (
    <div class="pager">
      <button type="button" disabled={pages.page < 2} onClick={pages.back}>
        Previous
      </button>
      <span class="muted">
        page {pages.page}
        {note ? ` · ${note}` : ""}
      </span>
      <button
        type="button"
        disabled={!nextCursor}
        onClick={() => nextCursor && pages.next(nextCursor)}
      >
        Next
      </button>
    </div>
  );
}
