// A call's CRM references: resolved when the call is assembled, with one level of links between
// objects (an opportunity's account, a contact's account, a case's contact and account), and
// filled in later when an object the call waited for arrives (late resolution, README
// "Decisions"). Objects are never deleted, so a record once found is never taken back.
import {
  CRM_LINK_FIELDS,
  CRM_REFERENCE_FIELDS,
  type Call,
  type CrmLink,
  type CrmLinkedObject,
  type CrmLinkField,
  type CrmObjectType,
  type CrmReferenceField,
  type TenantConfig,
} from '@callintake/schemas';
import type { CrmObjectRef, CrmRepository, MetadataRecord, StateStore } from '@callintake/state';

export type CallCrm = Call['crm'];
type CrmRecord = Record<string, string>;
type CrmTenant = Pick<TenantConfig, 'id' | 'crm'>;
/** Objects found in the store, by `objectKey`; an object not found is absent. */
type FoundObjects = Map<string, CrmRecord>;

const DAY_MS = 86_400_000;

/** The links each object type has; a linked object's own links are not followed (one level). */
export const CRM_LINKS_OF: Record<CrmObjectType, readonly CrmLinkField[]> = {
  opportunities: ['accountId'],
  contacts: ['accountId'],
  cases: ['contactId', 'accountId'],
  leads: [],
  accounts: [],
};

function objectKey(object: CrmObjectRef): string {
  return `${object.type}\n${object.id}`;
}

/**
 * The value of the first of `columns` the record has non-empty, trimmed (ids are trimmed when
 * stored); each column is looked up exactly, then ignoring case, as the id column is.
 */
function columnValue(record: CrmRecord, columns: readonly string[]): string | undefined {
  for (const column of columns) {
    const exact = Object.hasOwn(record, column) ? record[column]?.trim() : undefined;
    if (exact) return exact;
    const wanted = column.toLowerCase();
    for (const [name, value] of Object.entries(record)) {
      if (name.toLowerCase() === wanted && value.trim()) return value.trim();
    }
  }
  return undefined;
}

/** The objects a record names in its link columns (tenant `crm.links`), by link field. */
export function linkedObjectsOf(
  type: CrmObjectType,
  record: CrmRecord,
  tenant: CrmTenant,
): Array<[CrmLinkField, CrmObjectRef]> {
  const linked: Array<[CrmLinkField, CrmObjectRef]> = [];
  for (const field of CRM_LINKS_OF[type]) {
    const id = columnValue(record, tenant.crm.links[field]);
    if (id) linked.push([field, { type: CRM_LINK_FIELDS[field], id }]);
  }
  return linked;
}

/** One reference as the call document shows it: its record (or null) and its links' records. */
function linkOf(object: CrmObjectRef, found: FoundObjects, tenant: CrmTenant): CrmLink {
  const record = found.get(objectKey(object)) ?? null;
  const link: CrmLink = { type: object.type, id: object.id, record };
  if (!record) return link;
  const links: Partial<Record<CrmLinkField, CrmLinkedObject>> = {};
  for (const [field, target] of linkedObjectsOf(object.type, record, tenant))
    links[field] = { ...target, record: found.get(objectKey(target)) ?? null };
  return Object.keys(links).length > 0 ? { ...link, links } : link;
}

/**
 * The objects stored of `objects`, and of the links of those found, in two round trips at
 * most (links of links are not followed).
 */
async function findWithLinks(
  crm: CrmRepository,
  tenant: CrmTenant,
  objects: readonly CrmObjectRef[],
): Promise<FoundObjects> {
  const found: FoundObjects = new Map();
  const records = await crm.getMany(tenant.id, objects);
  const linked = new Map<string, CrmObjectRef>();
  objects.forEach((object, index) => {
    const record = records[index];
    if (!record) return;
    found.set(objectKey(object), record);
    for (const [, target] of linkedObjectsOf(object.type, record, tenant))
      linked.set(objectKey(target), target);
  });
  const missing = [...linked.entries()].filter(([key]) => !found.has(key)).map(([, target]) => target);
  const linkedRecords = await crm.getMany(tenant.id, missing);
  missing.forEach((target, index) => {
    const record = linkedRecords[index];
    if (record) found.set(objectKey(target), record);
  });
  return found;
}

/**
 * Resolves the CRM objects a metadata record names, and one level of their links; an id not
 * stored is kept with record null (and waits for its object: settleCrmLinks).
 */
export async function resolveCrmLinks(
  crm: CrmRepository,
  tenant: CrmTenant,
  metadata: MetadataRecord | null,
): Promise<CallCrm> {
  const links: CallCrm = {};
  if (!metadata) return links;
  const references: Array<[CrmReferenceField, CrmObjectRef]> = [];
  for (const [field, type] of Object.entries(CRM_REFERENCE_FIELDS) as Array<
    [CrmReferenceField, CrmObjectType]
  >) {
    const id = metadata.canonical[field];
    if (id) references.push([field, { type, id }]);
  }
  if (references.length === 0) return links;
  const found = await findWithLinks(
    crm,
    tenant,
    references.map(([, object]) => object),
  );
  for (const [field, object] of references) links[field] = linkOf(object, found, tenant);
  return links;
}

/** Every object the call names, as a reference or a link, whose record is null; each once. */
export function unresolvedObjects(crm: CallCrm): CrmObjectRef[] {
  const unresolved = new Map<string, CrmObjectRef>();
  const note = ({ type, id }: CrmObjectRef) => unresolved.set(objectKey({ type, id }), { type, id });
  for (const link of Object.values(crm)) {
    if (link.record === null) note(link);
    for (const linked of Object.values(link.links ?? {})) if (linked.record === null) note(linked);
  }
  return [...unresolved.values()];
}

/** Whether the call holds the object's record, as a reference or a link. */
export function holdsObject(crm: CallCrm, object: CrmObjectRef): boolean {
  const same = (link: CrmObjectRef) => link.type === object.type && link.id === object.id;
  return Object.values(crm).some(
    (link) =>
      (same(link) && link.record !== null) ||
      Object.values(link.links ?? {}).some((linked) => same(linked) && linked.record !== null),
  );
}

/**
 * Fills the null records `found` has: a reference found late gets its links too. A record
 * already there is never replaced (a changed object reaches calls through a metadata update,
 * SPEC "CRM objects"). Undefined when nothing was filled.
 */
export function fillCrm(crm: CallCrm, found: FoundObjects, tenant: CrmTenant): CallCrm | undefined {
  let changed = false;
  const next: CallCrm = {};
  for (const [field, link] of Object.entries(crm) as Array<[CrmReferenceField, CrmLink]>) {
    if (link.record === null) {
      const filled = found.has(objectKey(link)) ? linkOf(link, found, tenant) : link;
      changed ||= filled !== link;
      next[field] = filled;
      continue;
    }
    let links = link.links;
    for (const [linkField, linked] of Object.entries(link.links ?? {}) as Array<
      [CrmLinkField, CrmLinkedObject]
    >) {
      const record = linked.record === null ? found.get(objectKey(linked)) : undefined;
      if (!record) continue;
      links = { ...links, [linkField]: { ...linked, record } };
      changed = true;
    }
    next[field] = links === link.links ? link : { ...link, links };
  }
  return changed ? next : undefined;
}

/**
 * A freshly resolved `crm` with the records the stored call already holds for the same ids
 * kept where the fresh read found none: that read may predate a late fill (objects are never
 * deleted, so a null beside a record is only an older read), and must not take a record back.
 */
export function keepResolvedCrm(fresh: CallCrm, existing: CallCrm | undefined): CallCrm {
  if (!existing) return fresh;
  const same = (a: CrmObjectRef | undefined, b: CrmObjectRef) => a?.type === b.type && a.id === b.id;
  const kept: CallCrm = { ...fresh };
  for (const [field, link] of Object.entries(fresh) as Array<[CrmReferenceField, CrmLink]>) {
    const old = existing[field];
    if (!old || !same(old, link) || old.record === null) continue;
    if (link.record === null) {
      kept[field] = old;
      continue;
    }
    const links = { ...link.links };
    for (const [linkField, linked] of Object.entries(link.links ?? {}) as Array<
      [CrmLinkField, CrmLinkedObject]
    >) {
      const oldLinked = old.links?.[linkField];
      if (linked.record === null && oldLinked?.record && same(oldLinked, linked))
        links[linkField] = oldLinked;
    }
    if (link.links) kept[field] = { ...link, links };
  }
  return kept;
}

/** How long a call waits for an object it names (tenant `crm.lateResolveDays`). */
export function lateResolveWindowMs(tenant: CrmTenant): number {
  return tenant.crm.lateResolveDays * DAY_MS;
}

export interface SettledCrm {
  /** The call as stored now. */
  call: Call;
  /** Whether this settle wrote it (version + 1). */
  changed: boolean;
  /** Objects the call was registered as waiting for and now holds: take them off the index. */
  resolved: CrmObjectRef[];
}

/** References, then the links a late reference brings; a third round only after a race. */
const MAX_SETTLE_ROUNDS = 3;

/**
 * Late CRM resolution for one stored call. Each object it names without a record is registered
 * in the reverse index (`state.crmWaiting`) BEFORE the store is read: an object stored after
 * that read finds the call there (the CRM ingester then queues `refresh-call-crm`), and one
 * stored before it is read here, so no arrival falls between the two. What is found is filled
 * in by compare-and-set, which only ever fills nulls, so a concurrent matcher or refresh cannot
 * lose it; no pairing lock is needed (a call has none of its own: it is assembled under its
 * name's or external id's lock). Emitting is the caller's (then `release` the `resolved`).
 *
 * `alreadyWaiting`: the call's current unresolved objects were registered when it was written
 * (the refresh job), so they are not registered again: a registration that ran out is never
 * renewed by a refresh, only by assembling the call again.
 */
export async function settleCrmLinks(
  state: Pick<StateStore, 'crm' | 'crmWaiting' | 'calls' | 'clock'>,
  tenant: CrmTenant,
  call: Call,
  { alreadyWaiting = false }: { alreadyWaiting?: boolean } = {},
): Promise<SettledCrm> {
  let current = call;
  let changed = false;
  const registered = new Map<string, CrmObjectRef>();
  if (alreadyWaiting)
    for (const object of unresolvedObjects(call.crm)) registered.set(objectKey(object), object);
  for (let round = 0; round < MAX_SETTLE_ROUNDS; round += 1) {
    const unresolved = unresolvedObjects(current.crm);
    if (unresolved.length === 0) break;
    const fresh = unresolved.filter((object) => !registered.has(objectKey(object)));
    const now = state.clock.now();
    await state.crmWaiting.register(tenant.id, current.id, fresh, now.getTime(), lateResolveWindowMs(tenant));
    for (const object of fresh) registered.set(objectKey(object), object);
    const found = await findWithLinks(state.crm, tenant, unresolved);
    if (found.size === 0) break;
    const written = await state.calls.mutate(tenant.id, current.id, (stored) => {
      const crm = stored ? fillCrm(stored.crm, found, tenant) : undefined;
      if (!stored || !crm) return undefined;
      return { ...stored, crm, version: stored.version + 1, updatedAt: now.toISOString() };
    });
    if (!written.after) break;
    current = written.after;
    if (!written.changed) break;
    changed = true;
  }
  const resolved = [...registered.values()].filter((object) => holdsObject(current.crm, object));
  return { call: current, changed, resolved };
}
