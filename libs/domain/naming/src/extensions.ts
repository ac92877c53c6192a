// The file extensions intake recognizes, and the one way to split a name into stem and extension,
// so classification and pairing agree on what "the extension" of a name is.

export const MEDIA_EXTENSIONS = [
  'wav',
  'mp3',
  'mp4',
  'm4a',
  'mpg',
  'mpeg',
  'wma',
  'wmv',
  'webm',
  'aiff',
  'aif',
  'flac',
  'ogg',
  'gsm',
  'arf',
  'au',
] as const;
export type MediaExtension = (typeof MEDIA_EXTENSIONS)[number];

export const METADATA_EXTENSIONS = ['json', 'xml', 'yml', 'yaml', 'csv'] as const;
export type MetadataExtension = (typeof METADATA_EXTENSIONS)[number];

const mediaExtensions: ReadonlySet<string> = new Set(MEDIA_EXTENSIONS);
const metadataExtensions: ReadonlySet<string> = new Set(METADATA_EXTENSIONS);

/** `extension` is lower-case without the dot; pass a result of {@link splitExtension}. */
export function isMediaExtension(extension: string): extension is MediaExtension {
  return mediaExtensions.has(extension);
}

/** `extension` is lower-case without the dot; pass a result of {@link splitExtension}. */
export function isMetadataExtension(extension: string): extension is MetadataExtension {
  return metadataExtensions.has(extension);
}

export interface SplitName {
  /** The name without its extension, in its original case. */
  stem: string;
  /** Lower-case, without the dot; '' when the name has none. */
  extension: string;
}

/**
 * Splits a base name at its last dot. A leading dot does not start an extension (`.wav` is a
 * hidden file with no extension, as in `path.extname`), and a trailing dot gives none either, so
 * `stem + '.' + extension` always reads back as the name when `extension` is not ''.
 */
export function splitExtension(name: string): SplitName {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return { stem: name, extension: '' };
  return { stem: name.slice(0, dot), extension: name.slice(dot + 1).toLowerCase() };
}
