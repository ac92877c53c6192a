// Decides what kind of asset a file is from its name alone, before any byte is read, so a
// misnamed file is rejected (`unsupported-type`) without downloading it.
import type { AssetKind, CrmObjectType } from '@callintake/schemas';
import { isMediaExtension, isMetadataExtension, splitExtension } from './extensions';

export interface FileClassification {
  kind: AssetKind;
  /** Set only for `crm-batch`: the object type, always in its plural form. */
  crmType?: CrmObjectType;
  /** Lower-case, without the dot; '' when the name has none. */
  extension: string;
}

// Customers name batches either way (`contacts.csv`, `Contact-2024.csv`); both mean the same type.
const SINGULAR_CRM_TYPES = {
  contacts: 'contact',
  leads: 'lead',
  opportunities: 'opportunity',
  cases: 'case',
  accounts: 'account',
} as const satisfies Record<CrmObjectType, string>;

const crmTypeByPrefix: ReadonlyMap<string, CrmObjectType> = new Map(
  (Object.entries(SINGULAR_CRM_TYPES) as [CrmObjectType, string][]).flatMap(([plural, singular]) => [
    [plural, plural],
    [singular, plural],
  ]),
);

// The type word must end at a separator or at the extension: `contactsheet.csv` is a call batch
// that merely starts with the letters of a type.
const CRM_PREFIX = /^([a-z]+)(?:[_\-. ]|$)/;

export function crmTypeOfStem(stem: string): CrmObjectType | undefined {
  const word = CRM_PREFIX.exec(stem.toLowerCase())?.[1];
  return word === undefined ? undefined : crmTypeByPrefix.get(word);
}

/**
 * Classifies a base name by its extension, case-insensitively. Temporary names (see
 * `isTemporaryName`) should be filtered out first: `x.wav.part` is classified `unknown` here.
 */
export function classifyFileName(name: string): FileClassification {
  const { stem, extension } = splitExtension(name);
  if (isMediaExtension(extension)) return { kind: 'recording', extension };
  if (extension === 'csv') {
    const crmType = crmTypeOfStem(stem);
    if (crmType !== undefined) return { kind: 'crm-batch', crmType, extension };
  }
  if (isMetadataExtension(extension)) return { kind: 'call-metadata', extension };
  return { kind: 'unknown', extension };
}
