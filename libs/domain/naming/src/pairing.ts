import { splitExtension } from './extensions';
import { referenceBaseName } from './reference';

const ASCII = /^[\x00-\x7f]*$/;
// Printable ASCII but '%', '/', ':' and '\\': a reference that reads one way, with no folder,
// URL scheme or drive; and one with an extension after its last dot, the stem captured.
const PLAIN_REFERENCE = /^[\x20-\x24\x26-\x2e\x30-\x39\x3b-\x5b\x5d-\x7e]*$/;
const PLAIN_WITH_EXTENSION =
  /^([\x20-\x24\x26-\x2e\x30-\x39\x3b-\x5b\x5d-\x7e]+)\.[\x20-\x24\x26-\x2d\x30-\x39\x3b-\x5b\x5d-\x7e]+$/;

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
  // ASCII is already NFC; skipping the normalizer matters for million-row metadata batches.
  return (ASCII.test(stem) ? stem : stem.normalize('NFC')).toLowerCase();
}

/**
 * `pairingKey` of a reference's base name (see referenceBaseName), or undefined when the
 * reference is refused: where a metadata record waits for its recording. The same answer in one
 * pass over the usual name (printable ASCII, no '%', '/', '\\' or ':'), which a metadata batch
 * asks for once per row; anything else takes the long way.
 */
export function referencePairingKey(value: string): string | undefined {
  // Regular expressions rather than a loop over characters: they read a substring's characters
  // where they lie, which a batch's cells (substrings of the file's text) make much faster.
  const named = PLAIN_WITH_EXTENSION.exec(value);
  if (named !== null) return named[1]!.toLowerCase();
  // Without ':' it is no URL and has no drive; without separators it is its own base name.
  if (!PLAIN_REFERENCE.test(value)) return slowReferenceKey(value);
  if (value === '' || value === '.' || value === '..') return undefined;
  return value.toLowerCase();
}

/**
 * Where a recording meets its metadata. A recording another connector registered is named by
 * its external id, which has no extension to strip: `CA.1234` is one id, not `CA` plus `.1234`.
 */
export function recordingPairingKey(recording: { fileName: string; origin?: 'registered' }): string {
  return recording.origin === 'registered' ? stemKey(recording.fileName) : pairingKey(recording.fileName);
}

/**
 * Where a metadata record meets its recording, whichever arrives first: the recording it
 * references (`recordingFile`), else the recording of its own name (`ownName`: a single-record
 * file, or a batch of one row), else nothing yet (a batch row pairs by other means).
 */
export function metadataPairingKey(
  recordingFile: string | undefined,
  ownName: string | undefined,
): string | undefined {
  const reference = recordingFile ? referencePairingKey(recordingFile) : undefined;
  if (reference !== undefined) return reference;
  return ownName === undefined ? undefined : pairingKey(ownName);
}

function slowReferenceKey(value: string): string | undefined {
  const reference = referenceBaseName(value);
  return reference.ok ? pairingKey(reference.baseName) : undefined;
}
