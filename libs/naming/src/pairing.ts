import { splitExtension } from './extensions';

/**
 * The key under which a recording and its metadata pair by name: `X.wav` with `X.json`.
 * Pairing by name is case-insensitive (`Call.WAV` pairs with `call.json`), because the
 * customer's scripts often write media and metadata with different tools; names are also
 * NFC-normalized because macOS clients upload decomposed accents.
 */
export function pairingKey(fileName: string): string {
  return stemKey(splitExtension(fileName).stem);
}

/** The same key for a name that has no extension to strip (an external id). */
export function stemKey(stem: string): string {
  return stem.normalize('NFC').toLowerCase();
}
