/** Share of the queue's capacity (entries or bytes) from which health is degraded... */
export const QUEUE_HIGH_WATER = 0.9;
/**
 * ...and below which it is ok again. One threshold flapped: under overload the depth swings
 * around 90% with every batch, and /readyz answered 503 then 200 many times a second (41 of 76
 * polls in 8 s), taking the server in and out of its load balancer.
 */
export const QUEUE_LOW_WATER = 0.7;

/** Whether the queue counts as nearly full now, given whether it did and its share of capacity. */
export function pastHighWater(wasPast: boolean, share: number): boolean {
  return share >= QUEUE_HIGH_WATER || (wasPast && share >= QUEUE_LOW_WATER);
}
