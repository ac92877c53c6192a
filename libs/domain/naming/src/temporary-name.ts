// Upload clients write under a temporary name and rename when done (WinSCP `.filepart`, rsync and
// many scripts a leading dot, editors `~`). Taking such a file would capture half a recording.

const TEMPORARY_SUFFIXES = ['.part', '.partial', '.filepart', '.tmp', '~'] as const;

/** True for names of files still being uploaded; they are ignored until renamed. */
export function isTemporaryName(name: string): boolean {
  if (name.startsWith('.')) return true;
  const lower = name.toLowerCase();
  return TEMPORARY_SUFFIXES.some((suffix) => lower.endsWith(suffix));
}
