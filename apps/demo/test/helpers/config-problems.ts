// The configuration problems loadConfig reports for an environment (and flags), or none.
import { type CliValues, ConfigValidationError, loadConfig } from "../../src/config.js";

export function problemsOf(env: Record<string, string>, cli: CliValues = {}): string[] {
  try {
    loadConfig(env, cli);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
}
