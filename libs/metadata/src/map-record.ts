// Applies a tenant's field mapping to one raw record: every field lands in `fields` under its
// mapped name (unmapped ones under their own, unchanged), canonical ones also in `canonical`.
import {
  canonicalFields,
  reject,
  type FieldValue,
  type ReasonCode,
  type TenantConfig,
} from '@callintake/schemas';
import type { CanonicalValues } from './canonical-values';
import { convertField, type ConversionContext } from './convert-field';
import { isAbsent } from './convert-value';
import { directionTable, implicitRule, mappingPlan, type FieldRule, type MappingPlan } from './mapping-plan';
import { hasOwn, setOwn, type RawRecord } from './raw-record';
import { ValueProblem } from './value-problem';

export interface MappedRecord {
  fields: Record<string, FieldValue>;
  canonical: CanonicalValues;
}

export interface MapOptions {
  /** The batch CSV line; carried by every rejection. */
  line?: number;
  /** The call time read from the recording-style file name: `callTime` then counts as present. */
  callTimeFromName?: string;
}

const CANONICAL: ReadonlySet<string> = new Set(canonicalFields);
const MAX_SHOWN_VALUE = 100;

/**
 * Throws RejectionError: missing-field, invalid-value, unsafe-reference, nested-field, each
 * naming the (mapped) field and carrying `options.line` when given.
 */
export function mapRecord(
  raw: RawRecord,
  tenant: Pick<TenantConfig, 'metadata' | 'timezone' | 'directions'>,
  options: MapOptions = {},
): MappedRecord {
  const at = (field: string): { field: string; line?: number } =>
    options.line === undefined ? { field } : { field, line: options.line };
  const plan = mappingPlan(tenant.metadata);
  const rulesByKey = claimSourceFields(raw, plan, at);
  const context: ConversionContext = { zone: tenant.timezone, directions: directionTable(tenant.directions) };
  const fields: Record<string, FieldValue> = {};
  const canonical: Record<string, FieldValue> = {};

  for (const key of Object.keys(raw)) {
    const value = raw[key] as unknown;
    const rule = rulesByKey.get(key);
    const name = rule?.to ?? key;
    if (value !== null && typeof value === 'object') {
      reject(
        'nested-field',
        `${label(name, rule)} holds ${Array.isArray(value) ? 'a list' : 'an object'}; only plain values are allowed`,
        at(name),
      );
    }
    const scalar = value as FieldValue;
    if (rule === undefined) {
      if (plan.targets.has(key) && !isAbsent(scalar)) {
        reject(
          'invalid-value',
          `field "${key}" is sent, and ${describeSources(plan, key)} is mapped to it; rename or map one of them`,
          at(key),
        );
      }
      if (!plan.targets.has(key)) setOwn(fields, key, scalar);
      continue;
    }
    if (isAbsent(scalar)) continue;
    if (hasOwn(fields, rule.to)) {
      reject(
        'invalid-value',
        `${describeSources(plan, rule.to)} each give a value for "${rule.to}"; send only one`,
        at(rule.to),
      );
    }
    const isCanonical = CANONICAL.has(rule.to);
    let converted: FieldValue;
    try {
      converted = convertField(rule, scalar, context, isCanonical);
    } catch (error) {
      if (!(error instanceof ValueProblem)) throw error;
      return reject(
        error.code as ReasonCode,
        `${label(rule.to, rule)}: ${shown(scalar)} ${error.problem}`,
        at(rule.to),
      );
    }
    setOwn(fields, rule.to, converted);
    if (isCanonical) canonical[rule.to] = converted;
  }

  checkRequired(fields, plan, options, at);
  return { fields, canonical: canonical as CanonicalValues };
}

/**
 * Which raw field each rule reads: its exact name first, then a case-insensitive match. Raw
 * fields named like an unmapped canonical field are read as that field.
 */
function claimSourceFields(
  raw: RawRecord,
  plan: MappingPlan,
  at: (field: string) => { field: string; line?: number },
): Map<string, FieldRule> {
  const claimed = new Map<string, FieldRule>();
  const unmatched: FieldRule[] = [];
  for (const rule of plan.rules) {
    if (hasOwn(raw, rule.source) && !claimed.has(rule.source)) claimed.set(rule.source, rule);
    else unmatched.push(rule);
  }
  if (unmatched.length > 0) {
    const keysByLowerName = new Map<string, string[]>();
    for (const key of Object.keys(raw)) {
      if (claimed.has(key)) continue;
      const lower = key.toLowerCase();
      keysByLowerName.set(lower, [...(keysByLowerName.get(lower) ?? []), key]);
    }
    for (const rule of unmatched) {
      const candidates = (keysByLowerName.get(rule.source.toLowerCase()) ?? []).filter(
        (key) => !claimed.has(key),
      );
      if (candidates.length > 1) {
        reject(
          'invalid-value',
          `fields ${candidates.map((key) => `"${key}"`).join(' and ')} both match the mapping of "${rule.source}"`,
          at(rule.to),
        );
      }
      if (candidates[0] !== undefined) claimed.set(candidates[0], rule);
    }
  }
  for (const field of plan.implicitCanonical) {
    if (hasOwn(raw, field) && !claimed.has(field)) claimed.set(field, implicitRule(field));
  }
  return claimed;
}

function checkRequired(
  fields: Record<string, FieldValue>,
  plan: MappingPlan,
  options: MapOptions,
  at: (field: string) => { field: string; line?: number },
): void {
  const missing = plan.required.filter((name) => {
    if (name === 'callTime' && options.callTimeFromName !== undefined) return false;
    return !hasOwn(fields, name) || isAbsent(fields[name] as FieldValue);
  });
  const first = missing[0];
  if (first === undefined) return;
  const described = missing.map((name) => {
    const sources = plan.sourcesByTarget.get(name);
    return sources === undefined
      ? `"${name}"`
      : `"${name}" (from ${sources.map((source) => `"${source}"`).join(' or ')})`;
  });
  reject(
    'missing-field',
    `required field${missing.length > 1 ? 's' : ''} ${described.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing`,
    at(first),
  );
}

function label(name: string, rule: FieldRule | undefined): string {
  return rule === undefined || rule.source === name
    ? `field "${name}"`
    : `field "${name}" (from "${rule.source}")`;
}

function describeSources(plan: MappingPlan, target: string): string {
  return (plan.sourcesByTarget.get(target) ?? []).map((source) => `"${source}"`).join(' and ');
}

function shown(value: FieldValue): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > MAX_SHOWN_VALUE ? `${text.slice(0, MAX_SHOWN_VALUE)}...` : text);
}
