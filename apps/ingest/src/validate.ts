// `ingest validate DIR`: the customer's dry run. Judges each file in DIR (as if it were the
// tenant's data/ folder) offline, with no Redis and nothing moved, by calling the services' own
// judges: intake's listing and rules, then the media prober's, metadata parser's or CRM
// ingester's judgement of the content. What needs the service's stored state (a metadata
// update past its window, a re-upload of content already taken) is not judged here.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError, loadTenantsFile } from '@callintake/config';
import { judgeCrmBatch } from '@callintake/crm-ingester';
import { intakeCandidates, judgeAtIntake, type IntakeCandidate } from '@callintake/intake-watcher';
import { judgeRecording } from '@callintake/media-prober';
import { judgeMetadataFile } from '@callintake/metadata-parser';
import {
  parseTenantsFile,
  RejectionError,
  type AssetKind,
  type MediaFacts,
  type Reason,
  type TenantConfig,
} from '@callintake/schemas';
import { LocalUploadArea, type StoredEntry, type UploadArea } from '@callintake/storage';

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

async function tenantFor(options: { tenantsPath?: string; tenantId?: string }): Promise<TenantConfig> {
  if (!options.tenantsPath) {
    const parsed = parseTenantsFile({
      tenants: [
        { id: 'validate', source: { kind: 'local', root: '.' }, archive: { kind: 'local', root: '.' } },
      ],
    });
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    return parsed.value.tenants[0] as TenantConfig;
  }
  const { tenants } = await loadTenantsFile(options.tenantsPath);
  if (options.tenantId) {
    const tenant = tenants.find((t) => t.id === options.tenantId);
    if (!tenant)
      throw new ConfigError([
        `--tenant ${options.tenantId}: not in ${options.tenantsPath} (has ${tenants.map((t) => t.id).join(', ')})`,
      ]);
    return tenant;
  }
  if (tenants.length !== 1)
    throw new ConfigError([`--tenant: ${options.tenantsPath} has ${tenants.length} tenants; name one`]);
  return tenants[0] as TenantConfig;
}

/** What intake and then the stage for its kind would make of each file in `dir`, by name. */
export async function judgeDir(dir: string, tenant: TenantConfig): Promise<FileVerdict[]> {
  const folder = await stat(dir);
  if (!folder.isDirectory()) throw new Error(`${dir} is not a folder`);
  const area = new LocalUploadArea(dir);
  const verdicts: FileVerdict[] = [];
  try {
    for await (const candidate of intakeCandidates(area, ''))
      verdicts.push(await judgeFile(area, candidate, tenant));
  } finally {
    await area.close();
  }
  return verdicts.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

async function judgeFile(
  area: UploadArea,
  candidate: IntakeCandidate & { entry: StoredEntry },
  tenant: TenantConfig,
): Promise<FileVerdict> {
  const file = candidate.name;
  const atIntake = judgeAtIntake(candidate);
  switch (atIntake.verdict) {
    case 'ignored':
      return {
        file,
        kind: 'temporary',
        verdict: 'ignored',
        warnings: [],
        reason: { code: 'unsupported-type', message: 'still uploading (temporary name); taken once renamed' },
      };
    case 'rejected':
      return { file, kind: atIntake.kind, verdict: 'rejected', reason: atIntake.reason, warnings: [] };
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
        return { file, kind, verdict: 'accepted', warnings: judged.warnings, media: judged.facts };
      }
      case 'call-metadata': {
        const judged = await judgeMetadataFile(
          { sizeBytes: entry.sizeBytes, open },
          { tenant, fileName: file, version: 1, receivedAt: new Date().toISOString() },
        );
        if (judged.shape !== 'batch') return { file, kind, verdict: 'accepted', warnings: [] };
        const rows = { accepted: judged.acceptedRows, rejected: judged.rejectedRows.length };
        return { file, kind, verdict: 'accepted', warnings: judged.rejectedRows, rows };
      }
      case 'crm-batch': {
        const judged = await judgeCrmBatch({ open }, file, tenant);
        const rows = { accepted: judged.acceptedRows, rejected: judged.rejectedRows.length };
        return { file, kind, verdict: 'accepted', warnings: judged.rejectedRows, rows };
      }
    }
  } catch (error) {
    if (error instanceof RejectionError)
      return { file, kind, verdict: 'rejected', reason: error.reason, warnings: [] };
    throw error;
  }
}

export async function validate(options: {
  dir: string;
  tenantsPath?: string;
  tenantId?: string;
  json: boolean;
}): Promise<number> {
  const tenant = await tenantFor(options);
  const dir = resolve(options.dir);
  const verdicts = await judgeDir(dir, tenant);
  const rejectedCount = verdicts.filter((v) => v.verdict === 'rejected').length;
  if (options.json) {
    console.log(
      JSON.stringify({ dir, tenant: tenant.id, files: verdicts, rejected: rejectedCount }, null, 2),
    );
  } else {
    for (const v of verdicts) {
      const detail = v.reason
        ? `${v.reason.code}${v.reason.field ? ` [${v.reason.field}]` : ''}${v.reason.line ? ` line ${v.reason.line}` : ''}: ${v.reason.message}`
        : describe(v);
      console.log(`${v.verdict.toUpperCase().padEnd(8)} ${v.file}  (${v.kind}) ${detail}`);
      for (const w of v.verdict === 'rejected' ? [] : v.warnings)
        console.log(`         warning${w.line ? ` line ${w.line}` : ''}: ${w.code}: ${w.message}`);
    }
    console.log(
      `\n${verdicts.length} files: ${verdicts.length - rejectedCount} would be taken or ignored, ${rejectedCount} would be rejected.`,
    );
  }
  return rejectedCount > 0 ? 1 : 0;
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
