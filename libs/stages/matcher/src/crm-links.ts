import { CRM_REFERENCE_FIELDS, type CrmLink, type CrmReferenceField } from '@callintake/schemas';
import type { CrmRepository, MetadataRecord } from '@callintake/state';

/** Resolves the CRM objects a metadata record names; an unknown id is kept with record null. */
export async function resolveCrmLinks(
  crm: CrmRepository,
  tenantId: string,
  metadata: MetadataRecord | null,
): Promise<Partial<Record<CrmReferenceField, CrmLink>>> {
  const links: Partial<Record<CrmReferenceField, CrmLink>> = {};
  if (!metadata) return links;
  for (const [field, type] of Object.entries(CRM_REFERENCE_FIELDS) as Array<
    [CrmReferenceField, CrmLink['type']]
  >) {
    const id = metadata.canonical[field];
    if (!id) continue;
    links[field] = { type, id, record: await crm.get(tenantId, type, id) };
  }
  return links;
}
