// The tenant's field mapping, prepared once per tenant config (lower-cased names, enum tables)
// so a million-row batch does not redo that work per row.
import {
  canonicalFields,
  type CanonicalField,
  type FieldMapping,
  type TenantConfig,
} from '@callintake/schemas';

export interface FieldRule {
  /** The source field name as configured. */
  source: string;
  to: string;
  mapping: FieldMapping;
  /** Enum source values, lower-cased, to our values. */
  enumValues: ReadonlyMap<string, string>;
  /** Enum source values as configured, for messages. */
  enumAllowed: readonly string[];
  /** Whether `to` is a canonical field. */
  canonical: boolean;
}

export interface MappingPlan {
  rules: readonly FieldRule[];
  /** Every field name a rule writes to. */
  targets: ReadonlySet<string>;
  /** Source names per target, for messages ("userId (from "email")"). */
  sourcesByTarget: ReadonlyMap<string, readonly string[]>;
  /**
   * Canonical fields no rule writes to. A source field with exactly that name is read as that
   * canonical field, so its value is checked (a `recordingFile` path is never passed on unchecked).
   */
  implicitCanonical: readonly CanonicalField[];
  required: readonly string[];
  /**
   * The rule each raw field reads when every rule's source is sent under its exact name (the
   * usual case): the rules by source, then the implicit canonical ones.
   */
  exactRules: ReadonlyMap<string, FieldRule>;
}

const CANONICAL: ReadonlySet<string> = new Set(canonicalFields);
const plans = new WeakMap<TenantConfig['metadata'], MappingPlan>();
const directionTables = new WeakMap<TenantConfig['directions'], ReadonlyMap<string, string>>();

export function mappingPlan(metadata: TenantConfig['metadata']): MappingPlan {
  let plan = plans.get(metadata);
  if (plan === undefined) {
    plan = buildPlan(metadata);
    plans.set(metadata, plan);
  }
  return plan;
}

/** Tenant directions keyed by lower-cased sent value. */
export function directionTable(directions: TenantConfig['directions']): ReadonlyMap<string, string> {
  let table = directionTables.get(directions);
  if (table === undefined) {
    table = lowerCasedKeys(directions);
    directionTables.set(directions, table);
  }
  return table;
}

/** A rule for a canonical field sent under its own name, with no mapping configured. */
export function implicitRule(field: CanonicalField): FieldRule {
  return {
    source: field,
    to: field,
    mapping: { to: field, type: 'string' },
    enumValues: new Map(),
    enumAllowed: [],
    canonical: true,
  };
}

function buildPlan(metadata: TenantConfig['metadata']): MappingPlan {
  const rules: FieldRule[] = Object.entries(metadata.fields).map(([source, mapping]) => ({
    source,
    to: mapping.to,
    mapping,
    enumValues: lowerCasedKeys(mapping.values ?? {}),
    enumAllowed: Object.keys(mapping.values ?? {}),
    canonical: CANONICAL.has(mapping.to),
  }));
  const sourcesByTarget = new Map<string, string[]>();
  for (const rule of rules)
    sourcesByTarget.set(rule.to, [...(sourcesByTarget.get(rule.to) ?? []), rule.source]);
  const implicitCanonical = canonicalFields.filter((field) => !sourcesByTarget.has(field));
  const exactRules = new Map<string, FieldRule>();
  for (const rule of rules) exactRules.set(rule.source, rule);
  for (const field of implicitCanonical) {
    if (!exactRules.has(field)) exactRules.set(field, implicitRule(field));
  }
  return {
    rules,
    targets: new Set(sourcesByTarget.keys()),
    sourcesByTarget,
    implicitCanonical,
    required: metadata.required,
    exactRules,
  };
}

function lowerCasedKeys(table: Record<string, string>): ReadonlyMap<string, string> {
  const lowered = new Map<string, string>();
  for (const [key, value] of Object.entries(table)) {
    const lower = key.trim().toLowerCase();
    if (!lowered.has(lower)) lowered.set(lower, value);
  }
  return lowered;
}
