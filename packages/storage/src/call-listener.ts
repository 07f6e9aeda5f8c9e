/**
 * Calls a post-commit listener so that it can never break the writer: a throw, or the rejection
 * of the promise an async listener returns (unhandled, it would end the process), goes to
 * `report`. The listener's promise is not awaited: a slow listener does not hold commits.
 */
export function callListener<T>(
  listener: (value: T) => unknown,
  value: T,
  report: (error: unknown) => void,
): void {
  try {
    const result = listener(value);
    if (isThenable(result)) result.then(undefined, report);
  } catch (error) {
    report(error);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
