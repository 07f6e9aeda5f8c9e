import { ValidationError } from "./errors.js";
import { isLogLevel, LOG_LEVELS } from "./levels.js";
import type { CleanupPolicy } from "./types.js";

export function validateCleanupPolicy(policy: CleanupPolicy): void {
  if (typeof policy !== "object" || policy === null) {
    throw new ValidationError(
      "policy",
      "must be an object: { olderThan?, olderThanByLevel?, maxEntries?, maxBytes? }",
    );
  }
  if (
    policy.olderThan !== undefined &&
    !(policy.olderThan instanceof Date && Number.isFinite(policy.olderThan.getTime()))
  ) {
    throw new ValidationError("olderThan", "must be a valid Date");
  }
  if (policy.olderThanByLevel !== undefined) {
    if (typeof policy.olderThanByLevel !== "object" || policy.olderThanByLevel === null)
      throw new ValidationError("olderThanByLevel", "must be an object of levels to Dates");
    for (const [level, date] of Object.entries(policy.olderThanByLevel)) {
      if (!isLogLevel(level))
        throw new ValidationError("olderThanByLevel", `unknown level "${level}" (${LOG_LEVELS.join(", ")})`);
      if (date !== undefined && !(date instanceof Date && Number.isFinite(date.getTime())))
        throw new ValidationError("olderThanByLevel", `${level}: must be a valid Date`);
    }
  }
  // safe integers only: SQLite reads 1e20 as a REAL and refuses it as a LIMIT
  if (
    policy.maxEntries !== undefined &&
    !(Number.isSafeInteger(policy.maxEntries) && policy.maxEntries >= 0)
  ) {
    throw new ValidationError("maxEntries", "must be a non-negative integer (at most 2^53 - 1)");
  }
  if (policy.maxBytes !== undefined && !(Number.isSafeInteger(policy.maxBytes) && policy.maxBytes > 0)) {
    throw new ValidationError("maxBytes", "must be a positive integer");
  }
}
