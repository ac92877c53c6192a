// `ingest validate DIR`: the customer's dry run. Judges each file with the same naming,
// probing and metadata code the services use, offline (no Redis, nothing moved).
import { createReadStream } from 'node:fs';
import { open, readdir, lstat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, loadTenantsFile } from '@callintake/config';
import { MAX_MEDIA_BYTES } from '@callintake/intake-watcher';
import { probeMedia } from '@callintake/media';
import {
  mapRecord,
  parseSingleRecord,
  readBatchRecords,
  readCrmRows,
  recordingNameTime,
  METADATA_LIMITS,
} from '@callintake/records';
import {
  classifyFileName,
  isTemporaryName,
  parseRecordingName,
  recordingNameWarning,
} from '@callintake/naming';
import {
  parseTenantsFile,
  RejectionError,
  type AssetKind,
  type MediaFacts,
  type Reason,
  type TenantConfig,
} from '@callintake/schemas';

export interface FileVerdict {
  file: string;
  kind: AssetKind | 'temporary' | 'folder';
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

export async function judgeFile(path: string, name: string, tenant: TenantConfig): Promise<FileVerdict> {
  const warnings: Reason[] = [];
  if (isTemporaryName(name))
    return {
      file: name,
      kind: 'temporary',
      verdict: 'ignored',
      warnings,
      reason: { code: 'unsupported-type', message: 'still uploading (temporary name); taken once renamed' },
    };
  const stat = await lstat(path);
  const { kind, extension } = classifyFileName(name);
  const rejected = (reason: Reason, extra: Partial<FileVerdict> = {}): FileVerdict => ({
    file: name,
    kind,
    verdict: 'rejected',
    reason,
    warnings,
    ...extra,
  });
  if (stat.isDirectory())
    return {
      file: name,
      kind: 'folder',
      verdict: 'rejected',
      warnings,
      reason: {
        code: 'nested-directory',
        message: 'files must sit directly in data/; files in sub-folders are not ingested',
      },
    };
  if (!stat.isFile())
    return rejected({
      code: 'unsupported-type',
      message: 'not a regular file (symbolic links are not followed)',
    });
  if (kind === 'unknown')
    return rejected({
      code: 'unsupported-type',
      message: `"${name}" is not a recording, call metadata or CRM batch by its extension`,
    });
  if (stat.size === 0) return rejected({ code: 'empty-file', message: 'the file is empty (0 bytes)' });
  try {
    switch (kind) {
      case 'recording': {
        if (stat.size > MAX_MEDIA_BYTES)
          return rejected({
            code: 'too-large',
            message: `recordings may be at most 2 GiB; this one is ${stat.size} bytes`,
          });
        const handle = await open(path, 'r');
        try {
          const media = await probeMedia(
            {
              sizeBytes: stat.size,
              read: async (offset, length) => {
                const buffer = Buffer.alloc(Math.max(0, Math.min(length, stat.size - offset)));
                const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
                return buffer.subarray(0, bytesRead);
              },
            },
            { extension },
          );
          const warning = recordingNameWarning(
            parseRecordingName(name, { timezone: tenant.timezone, directions: tenant.directions }),
          );
          if (warning) warnings.push(warning);
          return { file: name, kind, verdict: 'accepted', warnings, media };
        } finally {
          await handle.close();
        }
      }
      case 'call-metadata': {
        if (extension !== 'csv') {
          const fromName = recordingNameTime(name, tenant);
          if (stat.size > METADATA_LIMITS.singleRecordBytes)
            return rejected({
              code: 'too-large',
              message: `metadata files may be at most ${METADATA_LIMITS.singleRecordBytes} bytes`,
            });
          const { readFile } = await import('node:fs/promises');
          mapRecord(
            parseSingleRecord(await readFile(path), extension as 'json' | 'xml' | 'yml' | 'yaml'),
            tenant,
            fromName === undefined ? {} : { callTimeFromName: fromName },
          );
          return { file: name, kind, verdict: 'accepted', warnings };
        }
        // The parse handler's own per-row path, over the file's bytes as the service reads them
        // (so text that is not UTF-8 is refused here too).
        let accepted = 0;
        const file = { tenant, fileName: name, version: 1, receivedAt: new Date().toISOString() };
        for await (const batch of readBatchRecords(createReadStream(path), file)) {
          for (const row of batch) {
            if ('reason' in row) warnings.push(row.reason);
            else accepted++;
          }
        }
        const rows = { accepted, rejected: warnings.length };
        if (accepted === 0 && warnings.length) return rejected(warnings[0] as Reason, { rows });
        return { file: name, kind, verdict: 'accepted', warnings, rows };
      }
      case 'crm-batch': {
        let accepted = 0;
        for await (const row of readCrmRows(
          createReadStream(path, { encoding: 'utf8' }),
          tenant.crm.idColumn,
        )) {
          if ('reason' in row) warnings.push(row.reason);
          else accepted++;
        }
        const rows = { accepted, rejected: warnings.length };
        if (accepted === 0 && warnings.length) return rejected(warnings[0] as Reason, { rows });
        return { file: name, kind, verdict: 'accepted', warnings, rows };
      }
    }
  } catch (error) {
    if (error instanceof RejectionError) return rejected(error.reason);
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
  const names = (await readdir(dir)).sort();
  const verdicts: FileVerdict[] = [];
  for (const name of names) verdicts.push(await judgeFile(join(dir, name), name, tenant));
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
