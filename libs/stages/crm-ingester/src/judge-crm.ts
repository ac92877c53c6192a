// What the CRM ingester decides about a batch from its name and content, without state: the
// object type its name gives, its rows (bad ones refused by line), and the rejection of a file
// with no good row. The ingest handler and `ingest validate` both judge with this; the handler
// passes `store`, which upserts the good rows in chunks while the file streams.
import type { Readable } from 'node:stream';
import { hashingStream } from '@callintake/asset-lifecycle';
import { classifyFileName } from '@callintake/naming';
import { readCrmRows } from '@callintake/records';
import { RejectionError, type CrmObjectType, type Reason, type TenantConfig } from '@callintake/schemas';

/** Good rows handed to `store` at a time. */
export const CRM_UPSERT_CHUNK = 1_000;

export type CrmObject = { id: string; record: Record<string, string> };

export interface CrmBatchJudgement {
  type: CrmObjectType;
  sha256: string;
  acceptedRows: number;
  rejectedRows: Reason[];
}

/**
 * Judges one version of a CRM batch. Throws RejectionError for a file the service rejects (a
 * name that gives no object type, a header without the id column, no good row); anything else
 * it throws is a passing fault.
 */
export async function judgeCrmBatch(
  source: { open(): Promise<Readable> },
  fileName: string,
  tenant: Pick<TenantConfig, 'crm'>,
  store: (type: CrmObjectType, objects: CrmObject[]) => Promise<void> = async () => {},
): Promise<CrmBatchJudgement> {
  const { crmType } = classifyFileName(fileName);
  if (!crmType) {
    throw new RejectionError({
      code: 'unknown-object-type',
      message: `"${fileName}" does not start with contacts, leads, opportunities, cases or accounts`,
    });
  }
  const { stream, sha256 } = hashingStream(await source.open());
  const rejectedRows: Reason[] = [];
  let chunk: CrmObject[] = [];
  let accepted = 0;
  for await (const row of readCrmRows(stream, tenant.crm.idColumn)) {
    if ('reason' in row) {
      rejectedRows.push(row.reason);
      continue;
    }
    chunk.push({ id: row.id, record: row.record });
    if (chunk.length >= CRM_UPSERT_CHUNK) {
      await store(crmType, chunk);
      accepted += chunk.length;
      chunk = [];
    }
  }
  await store(crmType, chunk);
  accepted += chunk.length;
  if (accepted === 0 && rejectedRows.length > 0) throw new RejectionError(rejectedRows[0] as Reason);
  return { type: crmType, sha256: sha256(), acceptedRows: accepted, rejectedRows };
}
