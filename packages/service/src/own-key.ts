/**
 * Sets `target[key]` as an own property, whatever the key. A plain assignment to "__proto__"
 * would set the object's prototype instead (or be ignored for a string), so an attribute or label
 * of that name would vanish, and a kvlist under it could make `service.name` read from the
 * prototype: the sender's keys are data, never the object's shape.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else target[key] = value;
}
