import { ValidationError } from "./errors.js";
import type { CleanupPolicy } from "./types.js";

export function validateCleanupPolicy(policy: CleanupPolicy): void {
  if (
    policy.olderThan !== undefined &&
    !(policy.olderThan instanceof Date && Number.isFinite(policy.olderThan.getTime()))
  ) {
    throw new ValidationError("olderThan", "must be a valid Date");
  }
  if (policy.maxEntries !== undefined && !(Number.isInteger(policy.maxEntries) && policy.maxEntries >= 0)) {
    throw new ValidationError("maxEntries", "must be a non-negative integer");
  }
  if (policy.maxBytes !== undefined && !(Number.isSafeInteger(policy.maxBytes) && policy.maxBytes > 0)) {
    throw new ValidationError("maxBytes", "must be a positive integer");
  }
}
