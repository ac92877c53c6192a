// Which prober handles which file extension. Supporting another format means writing its prober
// module and adding its extensions here; probeMedia does not change.
import type { FormatProber } from '../prober';
import { wavProber } from './wav';

// A Map, not an object literal: extensions come from customers' file names, and `constructor`
// must not find Object's.
export const FORMAT_PROBERS: ReadonlyMap<string, FormatProber> = new Map([['wav', wavProber]]);

/** Formats with no public parser (WebEx `arf`): accepted and paired, never read. */
export const UNPROBED_CONTAINERS: ReadonlySet<string> = new Set(['arf']);
