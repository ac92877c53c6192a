// `ingest validate DIR`: the customer's dry run. Judges each file in DIR (as if it were the
// tenant's data/ folder) offline, with no Redis and nothing moved, by calling the services' own
// judges: intake's listing and rules, then the media prober's, metadata parser's or CRM
// ingester's judgement of the content. What needs the service's stored state (a metadata
// update past its window, a re-upload of content already taken) is not judged here. It also
// says which tenant mapping it judged with, and predicts which metadata pairs with which
// recording (predict-pairing.ts).
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { DATA_DIR } from '@callintake/asset-lifecycle';
import { ConfigError, loadTenantsFile } from '@callintake/config';
import { judgeCrmBatch } from '@callintake/crm-ingester';
import { intakeCandidates, judgeAtIntake, type IntakeCandidate } from '@callintake/intake-watcher';
import { duplicateRecordingReason, judgeRecording } from '@callintake/media-prober';
import { judgeMetadataFile } from '@callintake/metadata-parser';
import { recordingPairingKey } from '@callintake/naming';
import {
  parseTenantsFile,
  RejectionError,
  type AssetKind,
  type MediaFacts,
  type MetadataRecord,
  type Reason,
  type TenantConfig,
} from '@callintake/schemas';
import { LocalUploadArea, type StoredEntry, type UploadArea } from '@callintake/storage';
import { predictPairing, type PairingPrediction, type RecordingForPairing } from './predict-pairing';

export interface FileVerdict {
  /** Its name under DIR: the base name, or `folder/name` for a file in a sub-folder. */
  file: string;
  kind: AssetKind | 'temporary';
  verdict: 'accepted' | 'rejected' | 'ignored';
  reason?: Reason;
  warnings: Reason[];
  media?: MediaFacts;
  rows?: { accepted: number; rejected: number };
}

/**
 * The mapping used without a tenants file: the integration guide's example fields
 * (`{"datetime", "email", "filename", "direction"}`), as in CONTRACT.md's tenants example. An
 * empty mapping would reject the guide's own example for a missing userId; with this one a
 * customer's first file is judged the way their mapping will most likely be set up.
 */
export const GUIDE_EXAMPLE_FIELDS = {
  datetime: { to: 'callTime', type: 'datetime' },
  email: { to: 'userId' },
  filename: { to: 'recordingFile' },
  direction: { to: 'direction' },
} as const;

/** Which tenant mapping the files were judged with, for the report. */
export interface MappingUsed {
  tenant: string;
  /** `default`: no tenants file was given; GUIDE_EXAMPLE_FIELDS were used. */
  from: 'tenants-file' | 'default';
  tenantsFile?: string;
  /** Source field -> `target (type)`. */
  fields: Record<string, string>;
  required: string[];
  note: string;
}

export async function tenantFor(options: {
  tenantsPath?: string;
  tenantId?: string;
}): Promise<{ tenant: TenantConfig; mapping: MappingUsed }> {
  if (!options.tenantsPath) {
    if (options.tenantId)
      throw new ConfigError([`--tenant ${options.tenantId}: needs --tenants FILE (or INGEST_TENANTS)`]);
    const parsed = parseTenantsFile({
      tenants: [
        {
          id: 'validate',
          source: { kind: 'local', root: '.' },
          archive: { kind: 'local', root: '.' },
          metadata: { fields: GUIDE_EXAMPLE_FIELDS },
        },
      ],
    });
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const tenant = parsed.value.tenants[0] as TenantConfig;
    return {
      tenant,
      mapping: mappingUsed(tenant, 'default', undefined),
    };
  }
  const tenant = await tenantFromFile(options.tenantsPath, options.tenantId);
  return { tenant, mapping: mappingUsed(tenant, 'tenants-file', resolve(options.tenantsPath)) };
}

async function tenantFromFile(tenantsPath: string, tenantId: string | undefined): Promise<TenantConfig> {
  const { tenants } = await loadTenantsFile(tenantsPath);
  if (tenantId) {
    const tenant = tenants.find((t) => t.id === tenantId);
    if (!tenant)
      throw new ConfigError([
        `--tenant ${tenantId}: not in ${tenantsPath} (has ${tenants.map((t) => t.id).join(', ')})`,
      ]);
    return tenant;
  }
  if (tenants.length !== 1)
    throw new ConfigError([`--tenant: ${tenantsPath} has ${tenants.length} tenants; name one`]);
  return tenants[0] as TenantConfig;
}

function mappingUsed(
  tenant: TenantConfig,
  from: MappingUsed['from'],
  tenantsFile: string | undefined,
): MappingUsed {
  const fields = Object.fromEntries(
    Object.entries(tenant.metadata.fields).map(([source, m]) => [source, `${m.to} (${m.type})`]),
  );
  const note =
    from === 'default'
      ? "no tenants file given (--tenants FILE --tenant ID, or INGEST_TENANTS): judged with the integration guide's example mapping; your tenant's mapping may differ. Other fields pass through under their own names, as custom fields."
      : 'fields the mapping does not name pass through under their own names.';
  return {
    tenant: tenant.id,
    from,
    ...(tenantsFile ? { tenantsFile } : {}),
    fields,
    required: [...tenant.metadata.required],
    note,
  };
}

/**
 * The folder intake would list: DIR itself when it is named `data` or holds no `data/` folder;
 * DIR/data when DIR is an upload area (a folder holding `data/`), because the service reads only
 * data/. Either way `processed/` and `rejected/` inside it are the service's own and skipped.
 */
export async function dataFolderOf(dir: string): Promise<string> {
  const folder = await stat(dir).catch(() => undefined);
  if (!folder?.isDirectory()) throw new ConfigError([`${dir}: not a folder`]);
  if (basename(dir) === DATA_DIR) return dir;
  const inner = join(dir, DATA_DIR);
  const data = await stat(inner).catch(() => undefined);
  return data?.isDirectory() ? inner : dir;
}

/** One verdict, and what pairing needs of an accepted file. */
interface JudgedFile {
  verdict: FileVerdict;
  recording?: RecordingForPairing;
  /** An accepted recording's content hash, for the service's duplicate-content rule. */
  sha256?: string;
  records?: MetadataRecord[];
}

/**
 * Rows of batches kept for the pairing prediction; past this the report says so (a million-row
 * batch is judged row by row, but its pairing would not be read anyway).
 */
export const PAIRING_ROW_LIMIT = 10_000;

export interface FolderJudgement {
  verdicts: FileVerdict[];
  pairing: PairingPrediction;
  /** Batch rows left out of the pairing prediction (over PAIRING_ROW_LIMIT). */
  rowsNotPaired: number;
}

/** What intake and then the stage for its kind would make of each file in `dir`, by name. */
export async function judgeDir(dir: string, tenant: TenantConfig): Promise<FileVerdict[]> {
  return (await judgeFolder(dir, tenant)).verdicts;
}

/** judgeDir, with the predicted pairing of the accepted files. `dir` as dataFolderOf takes it. */
export async function judgeFolder(dir: string, tenant: TenantConfig): Promise<FolderJudgement> {
  const area = new LocalUploadArea(await dataFolderOf(dir));
  const judged: JudgedFile[] = [];
  const budget = { rows: PAIRING_ROW_LIMIT, over: 0 };
  try {
    for await (const candidate of intakeCandidates(area, ''))
      judged.push(await judgeFile(area, candidate, tenant, budget));
  } finally {
    await area.close();
  }
  judged.sort((a, b) => (a.verdict.file < b.verdict.file ? -1 : a.verdict.file > b.verdict.file ? 1 : 0));
  rejectDuplicateRecordings(judged);
  const recordings = judged.flatMap((j) => (j.recording ? [j.recording] : []));
  const records = judged.flatMap((j) => j.records ?? []);
  return {
    verdicts: judged.map((j) => j.verdict),
    pairing: predictPairing(recordings, records, { metadataOnly: tenant.metadata.metadataOnly }),
    rowsNotPaired: budget.over,
  };
}

/**
 * The prober's rule for recordings of one folder (files of one scan): in name order, the first
 * with a pairing key or a content keeps it; a later one is `duplicate-content` (same bytes, looked
 * at first) or `duplicate-recording` (same name up to extension, case and normalisation).
 */
function rejectDuplicateRecordings(judged: JudgedFile[]): void {
  const byKey = new Map<string, string>();
  const byContent = new Map<string, string>();
  for (const entry of judged) {
    if (!entry.recording || entry.verdict.verdict !== 'accepted') continue;
    const { file } = entry.recording;
    const key = recordingPairingKey({ fileName: file });
    const sameBytes = entry.sha256 ? byContent.get(entry.sha256) : undefined;
    const sameKey = byKey.get(key);
    const reason: Reason | undefined = sameBytes
      ? duplicateRecordingReason('content', sameBytes)
      : sameKey
        ? duplicateRecordingReason('name', sameKey)
        : undefined;
    if (reason) {
      entry.verdict = { file, kind: 'recording', verdict: 'rejected', reason, warnings: [] };
      delete entry.recording;
      continue;
    }
    byKey.set(key, file);
    if (entry.sha256) byContent.set(entry.sha256, file);
  }
}

async function sha256Of(stream: AsyncIterable<unknown>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function judgeFile(
  area: UploadArea,
  candidate: IntakeCandidate & { entry: StoredEntry },
  tenant: TenantConfig,
  budget: { rows: number; over: number },
): Promise<JudgedFile> {
  const file = candidate.name;
  const atIntake = judgeAtIntake(candidate);
  switch (atIntake.verdict) {
    case 'ignored':
      return {
        verdict: {
          file,
          kind: 'temporary',
          verdict: 'ignored',
          warnings: [],
          reason: {
            code: 'unsupported-type',
            message: 'still uploading (temporary name); taken once renamed',
          },
        },
      };
    case 'rejected':
      return {
        verdict: { file, kind: atIntake.kind, verdict: 'rejected', reason: atIntake.reason, warnings: [] },
      };
    case 'taken':
      break;
  }
  const { kind } = atIntake;
  const { entry } = candidate;
  const open = () => area.openRead(entry.path);
  try {
    switch (kind) {
      case 'recording': {
        const judged = await judgeRecording(
          {
            sizeBytes: entry.sizeBytes,
            read: (offset, length) => area.readRange(entry.path, offset, length),
          },
          file,
          tenant,
        );
        const { name } = judged;
        return {
          verdict: { file, kind, verdict: 'accepted', warnings: judged.warnings, media: judged.facts },
          sha256: await sha256Of(await open()),
          recording: {
            file,
            ...(name.pattern === 'external-id' && name.externalId ? { externalId: name.externalId } : {}),
            ...(name.timestamp ? { nameTime: name.timestamp } : {}),
          },
        };
      }
      case 'call-metadata': {
        const records: MetadataRecord[] = [];
        const judged = await judgeMetadataFile(
          { sizeBytes: entry.sizeBytes, open },
          { tenant, fileName: file, version: 1, receivedAt: new Date().toISOString() },
          {
            // The judge hands over what the service would store: kept here for the pairing.
            storeRecord: async ({ record }) => void records.push(record),
            storeRows: async (rows) => {
              for (const { record } of rows) {
                if (budget.rows > 0) {
                  budget.rows--;
                  records.push(record);
                } else budget.over++;
              }
              return [];
            },
          },
        );
        if (judged.shape !== 'batch')
          return { verdict: { file, kind, verdict: 'accepted', warnings: [] }, records };
        const rows = { accepted: judged.acceptedRows, rejected: judged.rejectedRows.length };
        return { verdict: { file, kind, verdict: 'accepted', warnings: judged.rejectedRows, rows }, records };
      }
      case 'crm-batch': {
        // The CRM ingester's own judge: its name, encoding (UTF-8 only), id column and rows.
        const judged = await judgeCrmBatch({ open }, file, tenant);
        const rows = { accepted: judged.acceptedRows, rejected: judged.rejectedRows.length };
        return { verdict: { file, kind, verdict: 'accepted', warnings: judged.rejectedRows, rows } };
      }
    }
  } catch (error) {
    if (error instanceof RejectionError)
      return { verdict: { file, kind, verdict: 'rejected', reason: error.reason, warnings: [] } };
    throw error;
  }
}

/** Lines of one pairing section shown in text; --json has them all. */
const TEXT_PAIRING_LINES = 50;

export async function validate(options: {
  dir: string;
  tenantsPath?: string;
  tenantId?: string;
  json: boolean;
  env?: NodeJS.ProcessEnv;
}): Promise<number> {
  // CONTRACT.md "Environment": INGEST_TENANTS names the tenants file; --tenants wins.
  const tenantsPath = options.tenantsPath ?? ((options.env ?? process.env).INGEST_TENANTS || undefined);
  const { tenant, mapping } = await tenantFor({
    ...(tenantsPath ? { tenantsPath } : {}),
    ...(options.tenantId ? { tenantId: options.tenantId } : {}),
  });
  const dir = resolve(options.dir);
  const dataDir = await dataFolderOf(dir);
  const { verdicts, pairing, rowsNotPaired } = await judgeFolder(dataDir, tenant);
  const rejectedCount = verdicts.filter((v) => v.verdict === 'rejected').length;
  if (options.json) {
    console.log(
      JSON.stringify(
        {
          dir,
          dataDir,
          tenant: tenant.id,
          mapping,
          files: verdicts,
          pairing: { ...pairing, ...(rowsNotPaired ? { rowsNotPaired } : {}) },
          rejected: rejectedCount,
        },
        null,
        2,
      ),
    );
    return rejectedCount > 0 ? 1 : 0;
  }
  const fields = Object.entries(mapping.fields).map(([source, target]) => `${source} -> ${target}`);
  console.log(
    mapping.from === 'default'
      ? `tenant mapping: none given`
      : `tenant mapping: ${mapping.tenant} from ${mapping.tenantsFile ?? '?'}`,
  );
  console.log(
    `  fields: ${fields.length ? fields.join(', ') : '(none)'}; required: ${mapping.required.join(', ')}`,
  );
  console.log(`  ${mapping.note}`);
  if (dataDir !== dir)
    console.log(`judging ${dataDir}: ${dir} holds data/, the only folder the service reads`);
  console.log('');
  for (const v of verdicts) {
    const detail = v.reason
      ? `${v.reason.code}${v.reason.field ? ` [${v.reason.field}]` : ''}${v.reason.line ? ` line ${v.reason.line}` : ''}: ${v.reason.message}`
      : describe(v);
    console.log(`${v.verdict.toUpperCase().padEnd(8)} ${v.file}  (${v.kind}) ${detail}`);
    for (const w of v.verdict === 'rejected' ? [] : v.warnings)
      console.log(`         warning${w.line ? ` line ${w.line}` : ''}: ${w.code}: ${w.message}`);
  }
  printPairing(pairing, rowsNotPaired);
  console.log(
    `\n${verdicts.length} files: ${verdicts.length - rejectedCount} would be taken or ignored, ${rejectedCount} would be rejected.`,
  );
  return rejectedCount > 0 ? 1 : 0;
}

function printPairing(pairing: PairingPrediction, rowsNotPaired: number): void {
  const section = (title: string, lines: string[]) => {
    if (!lines.length) return;
    console.log(`\n${title}`);
    for (const line of lines.slice(0, TEXT_PAIRING_LINES)) console.log(`  ${line}`);
    if (lines.length > TEXT_PAIRING_LINES)
      console.log(`  ... and ${lines.length - TEXT_PAIRING_LINES} more (--json lists them all)`);
  };
  console.log('\npredicted pairing (this folder only; files uploaded before or after may pair too):');
  if (!pairing.pairs.length && !pairing.unpairedMetadata.length && !pairing.unpairedRecordings.length)
    console.log('  no accepted recording or metadata');
  section(
    'pairs:',
    pairing.pairs.map((p) => `${p.metadata} -> ${p.recording}  (by ${p.method})`),
  );
  section(
    'metadata without a recording:',
    pairing.unpairedMetadata.map((m) => `${m.metadata}: ${m.why}`),
  );
  section(
    'recordings without metadata:',
    pairing.unpairedRecordings.map((r) => `${r.recording}: ${r.why}`),
  );
  if (rowsNotPaired) console.log(`  (${rowsNotPaired} more batch rows were judged but not paired here)`);
}

function describe(v: FileVerdict): string {
  if (v.media) {
    const m = v.media;
    return m.probed
      ? `${m.container}/${m.codec ?? '?'} ${m.durationSec ?? '?'} s, ${m.channels ?? '?'} ch, ${m.sampleRateHz ?? '?'} Hz`
      : `${m.container}, accepted unprobed`;
  }
  if (v.rows) return `${v.rows.accepted} rows accepted, ${v.rows.rejected} rejected`;
  return '';
}
