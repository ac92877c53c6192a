// A metadata file's `recordingFile` value comes from the customer's system and may be a path on
// their side (`sftp/path/to/recording.mp3`, `C:\calls\x.wav`). Only its base name is used, to
// look the recording up inside the tenant's own area; a value that tries to climb out or point
// elsewhere is rejected so a reference can never be mistaken for a path we should open.
import type { Reason } from '@callintake/schemas';

export type ReferenceResult = { ok: true; baseName: string } | { ok: false; reason: Reason };

// Two or more letters so a Windows drive (`C:\calls\x.wav`) is not read as a scheme.
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]+:/;
const DRIVE = /^[A-Za-z]:/;
const SEPARATORS = /[\\/]/;
// Only ASCII escapes are decoded: every character that makes a reference unsafe (`.`, `/`, `\`,
// `:`, controls) is ASCII, and decoding these alone cannot fail on a stray `%` (`100%.wav`).
const ASCII_ESCAPE = /%([0-7][0-9A-Fa-f])/g;
// Double-encoded `%252e%252e` is still traversal to a server that decodes twice.
const MAX_DECODE_ROUNDS = 3;
const MAX_QUOTED_LENGTH = 200;

// Printable ASCII without '%' reads only one way (NFKC and escape decoding leave it as it is);
// without '/' and '\' it is its own base name once a drive is dropped.
const PLAIN_NAME = /^[\x20-\x24\x26-\x2e\x30-\x5b\x5d-\x7e]*$/;

export function referenceBaseName(value: string): ReferenceResult {
  if (PLAIN_NAME.test(value)) return plainBaseName(value);
  for (const form of readings(value)) {
    if (hasControlCharacter(form)) return unsafe(value, 'contains control characters');
    if (URL_SCHEME.test(form)) return unsafe(value, 'is a URL; give the file name of the recording');
    if (form.split(SEPARATORS).includes('..')) return unsafe(value, 'climbs out of its folder with ..');
  }
  const baseName = value.replace(DRIVE, '').split(SEPARATORS).at(-1) ?? '';
  if (baseName === '' || baseName === '.' || baseName === '..') return unsafe(value, 'names no file');
  return { ok: true, baseName };
}

/**
 * referenceBaseName for a PLAIN_NAME, which nearly every reference is (a million-row metadata
 * batch checks one per row): it reads only one way, and has no folders to climb.
 */
function plainBaseName(value: string): ReferenceResult {
  if (URL_SCHEME.test(value)) return unsafe(value, 'is a URL; give the file name of the recording');
  if (value === '..') return unsafe(value, 'climbs out of its folder with ..');
  const baseName = DRIVE.test(value) ? value.slice(2) : value;
  if (baseName === '' || baseName === '.' || baseName === '..') return unsafe(value, 'names no file');
  return { ok: true, baseName };
}

/** The value as written and as any lenient decoder might read it. */
function readings(value: string): Set<string> {
  const forms = new Set<string>();
  let current = value;
  for (let round = 0; round <= MAX_DECODE_ROUNDS; round++) {
    forms.add(current);
    // NFKC folds look-alikes such as fullwidth `．．／` into `../`.
    forms.add(current.normalize('NFKC'));
    const decoded = current.replace(ASCII_ESCAPE, (_escape, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
    if (decoded === current) break;
    current = decoded;
  }
  return forms;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // C0 controls (NUL included), DEL and C1 controls.
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

function unsafe(value: string, why: string): ReferenceResult {
  const shown = value.length > MAX_QUOTED_LENGTH ? `${value.slice(0, MAX_QUOTED_LENGTH)}…` : value;
  return {
    ok: false,
    reason: {
      code: 'unsafe-reference',
      field: 'recordingFile',
      message: `recordingFile ${JSON.stringify(shown)} ${why}; only a recording's file name in the upload area can be referenced`,
    },
  };
}
