// Which prober handles which file extension. Supporting another format means writing its prober
// module and adding its extensions here; probeMedia does not change.
import type { FormatProber } from '../prober';
import { aiffProber } from './aiff';
import { asfProber } from './asf';
import { auProber } from './au';
import { flacProber } from './flac';
import { gsmProber } from './gsm';
import { mp3Prober } from './mp3';
import { mp4Prober } from './mp4';
import { mpegPsProber } from './mpeg-ps';
import { oggProber } from './ogg';
import { wavProber } from './wav';
import { webmProber } from './webm';

// A Map, not an object literal: extensions come from customers' file names, and `constructor`
// must not find Object's.
export const FORMAT_PROBERS: ReadonlyMap<string, FormatProber> = new Map([
  ['wav', wavProber],
  ['mp3', mp3Prober],
  ['mp4', mp4Prober],
  ['m4a', mp4Prober],
  ['flac', flacProber],
  ['ogg', oggProber],
  ['aiff', aiffProber],
  ['aif', aiffProber],
  ['au', auProber],
  ['gsm', gsmProber],
  ['webm', webmProber],
  ['mkv', webmProber],
  ['mka', webmProber],
  ['wma', asfProber],
  ['wmv', asfProber],
  ['asf', asfProber],
  ['mpg', mpegPsProber],
  ['mpeg', mpegPsProber],
]);

/** Formats with no public parser (WebEx `arf`): accepted and paired, never read. */
export const UNPROBED_CONTAINERS: ReadonlySet<string> = new Set(['arf']);
