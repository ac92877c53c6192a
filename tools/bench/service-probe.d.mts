/** What this process's ioredis clients sent so far (service-probe.mjs). */
export interface RoundTripCounts {
  roundTrips: number;
  commands: number;
  byCommand: Record<string, number>;
  /** CPU time (user + system) this process used so far, ms. */
  cpuMs: number;
}
export function roundTripCounts(): RoundTripCounts;
