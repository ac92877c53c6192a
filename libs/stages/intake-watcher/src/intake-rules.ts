// What intake decides about each entry of an upload area before reading a byte of it: which
// entries it looks at, which it ignores while they upload, which it rejects (and whether it
// moves them to rejected/ or leaves them where they are), and which queue takes the rest. Pure
// apart from listing: the scanner and `ingest validate` both judge with these, so the dry run
// says what the service does.
import { DATA_DIR, NESTED_SCAN_DEPTH, RESERVED_DIRS } from '@callintake/asset-lifecycle';
import { classifyFileName, isTemporaryName } from '@callintake/naming';
import type { AssetKind, Reason } from '@callintake/schemas';
import type { EntryType, StoredEntry, UploadArea } from '@callintake/storage';

export const MAX_MEDIA_BYTES = 2 * 1024 ** 3;

/** An entry of the upload area as intake sees it. */
export interface IntakeCandidate {
  /** Its name under data/: the base name, or `folder/name` for a file in a customer's folder. */
  name: string;
  entry: { name: string; type: EntryType; sizeBytes: number };
  /** In a folder the customer made under data/ (never ingested). */
  nested: boolean;
}

export type TakenKind = Exclude<AssetKind, 'unknown'>;

export type IntakeJudgement =
  /** Still uploading under a temporary name: skipped until renamed, nothing recorded. */
  | { verdict: 'ignored' }
  /**
   * Rejected at intake with `reason`. `leaveInPlace`: a customer's own folder or a link is
   * reported but never moved; anything else goes to rejected/.
   */
  | { verdict: 'rejected'; kind: AssetKind; reason: Reason; leaveInPlace: boolean }
  /** Recorded and handed to the queue for its kind, whose stage judges its content. */
  | { verdict: 'taken'; kind: TakenKind };

/** Names of files still being uploaded (see `isTemporaryName`), in data/ or a folder under it. */
export function isIgnoredAtIntake(candidate: Pick<IntakeCandidate, 'entry'>): boolean {
  return isTemporaryName(candidate.entry.name);
}

/** The verdict intake gives an entry it lists; see IntakeJudgement. */
export function judgeAtIntake(candidate: IntakeCandidate): IntakeJudgement {
  if (isIgnoredAtIntake(candidate)) return { verdict: 'ignored' };
  const classified = classifyFileName(candidate.entry.name).kind;
  const kind: AssetKind = candidate.nested ? 'unknown' : classified;
  const reason = rejectionAtIntake(candidate, classified);
  if (reason) {
    return {
      verdict: 'rejected',
      kind,
      reason,
      leaveInPlace: candidate.nested || candidate.entry.type !== 'file',
    };
  }
  return { verdict: 'taken', kind: kind as TakenKind };
}

function rejectionAtIntake(candidate: IntakeCandidate, kind: AssetKind): Reason | undefined {
  const { entry } = candidate;
  if (candidate.nested) {
    return {
      code: 'nested-directory',
      message: `files must sit directly in ${DATA_DIR}/; "${candidate.name}" is inside a sub-folder and is not ingested`,
    };
  }
  if (entry.type === 'symlink')
    return { code: 'unsupported-type', message: 'symbolic links are not followed; upload the file itself' };
  if (entry.type !== 'file') return { code: 'unsupported-type', message: 'not a regular file' };
  if (kind === 'unknown') {
    return {
      code: 'unsupported-type',
      message: `"${entry.name}" is neither a recording (wav mp3 mp4 m4a mpg mpeg wma wmv webm aiff aif flac ogg gsm arf au), call metadata (json xml yml yaml csv) nor a CRM batch (contacts_*.csv, leads_*.csv, ...)`,
    };
  }
  if (entry.sizeBytes === 0) return { code: 'empty-file', message: 'the file is empty (0 bytes)' };
  if (kind === 'recording' && entry.sizeBytes > MAX_MEDIA_BYTES) {
    return {
      code: 'too-large',
      message: `recordings may be at most 2 GiB; this one is ${entry.sizeBytes} bytes`,
    };
  }
  return undefined;
}

/**
 * The entries intake looks at: direct children of `dataDir` except folders (data/processed and
 * data/rejected are ours; other folders are walked), then the files in customer-made folders
 * up to NESTED_SCAN_DEPTH deep (links and other entries in them are not listed). `dataDir` is
 * `data` in a tenant's upload area; `ingest validate` lists a plain folder with ''.
 */
export async function* intakeCandidates(
  area: Pick<UploadArea, 'list'>,
  dataDir: string = DATA_DIR,
): AsyncGenerator<IntakeCandidate & { entry: StoredEntry }> {
  const prefix = dataDir === '' ? '' : `${dataDir}/`;
  const nestedDirs: Array<{ path: string; depth: number }> = [];
  for await (const entry of area.list(dataDir)) {
    if (entry.type === 'directory') {
      if (!RESERVED_DIRS.has(entry.name)) nestedDirs.push({ path: entry.path, depth: 1 });
      continue;
    }
    yield { name: entry.name, entry, nested: false };
  }
  while (nestedDirs.length) {
    const dir = nestedDirs.shift() as { path: string; depth: number };
    for await (const entry of area.list(dir.path)) {
      if (entry.type === 'directory') {
        if (dir.depth < NESTED_SCAN_DEPTH) nestedDirs.push({ path: entry.path, depth: dir.depth + 1 });
        continue;
      }
      if (entry.type !== 'file') continue;
      yield { name: entry.path.slice(prefix.length), entry, nested: true };
    }
  }
}
