/**
 * Structured logs: one JSON line per event, with a small set of named events
 * (`events:connected`, `poll:sweep`, `violation:recorded`, ...). Workers Logs indexes the fields.
 */
export function log(event: string, fields: Record<string, unknown> = {}, error?: unknown): void {
  const line: Record<string, unknown> = { event, ...fields };
  if (error !== undefined) {
    line.error =
      error instanceof Error ? { name: error.name, message: error.message } : String(error);
  }
  (error === undefined ? console.log : console.error)(JSON.stringify(line));
}
