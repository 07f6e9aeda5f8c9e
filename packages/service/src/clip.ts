/** A value quoted in an error message, cut to 40 characters: enough to recognize it, never a whole log line. */
export function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
