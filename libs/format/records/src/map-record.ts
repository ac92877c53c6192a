// Applies a tenant's field mapping to one raw record: every field lands in `fields` under its
// mapped name (unmapped ones under their own, unchanged), canonical ones also in `canonical`.
import {
  reject,
  type CanonicalValues,
  type FieldValue,
  type ReasonCode,
  type TenantConfig,
} from '@callintake/schemas';
import { convertField, type ConversionContext } from './convert-field';
import { isAbsent } from './convert-value';
import { directionTable, implicitRule, mappingPlan, type FieldRule, type MappingPlan } from './mapping-plan';
import { hasOwn, setOwn, type RawRecord } from './raw-record';
import { PlainReference } from './recording-file';
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
  // Runs once per row of a million-row batch: no closures or intermediate collections per row.
  const line = options.line;
  const plan = mappingPlan(tenant.metadata);
  const keys = Object.keys(raw);
  const layout = sameLayout(plan, keys) ?? keyLayout(raw, plan, keys, line);
  const context = conversionContext(tenant);
  const fields: Record<string, FieldValue> = {};
  const canonical: Record<string, FieldValue> = {};

  for (let index = 0; index < keys.length; index++) {
    const key = keys[index]!;
    const value = raw[key] as unknown;
    const rule = layout.rules[index];
    if (value !== null && typeof value === 'object') {
      rejectNested(rule === undefined ? key : rule.to, rule, value, line);
    }
    const scalar = value as FieldValue;
    if (rule === undefined) {
      if (layout.targets[index] === true) {
        if (!isAbsent(scalar)) rejectSentTarget(plan, key, line);
      } else if (key === '__proto__') {
        setOwn(fields, key, scalar);
      } else {
        fields[key] = scalar;
      }
      continue;
    }
    if (isAbsent(scalar)) continue;
    const to = rule.to;
    if (layout.repeats[index] === true && hasOwn(fields, to)) rejectRepeated(plan, to, line);
    let converted: FieldValue;
    try {
      converted = convertField(rule, scalar, context, rule.canonical);
    } catch (error) {
      return rejectValue(error, rule, scalar, line);
    }
    if (to === '__proto__') setOwn(fields, to, converted);
    else fields[to] = converted;
    if (rule.canonical) canonical[to] = converted;
  }

  checkRequired(fields, plan, options, line);
  return { fields, canonical: canonical as CanonicalValues };
}

/**
 * A row mapped by csvRowMapper: what mapRecord gives, and, when the mapper already read it, the
 * key the row's `recordingFile` pairs by (@callintake/naming's `referencePairingKey` of it).
 */
export interface MappedRow extends MappedRecord {
  /** Undefined when not read here: work it out from `canonical.recordingFile`. */
  pairingKey?: string | undefined;
}

/** Maps the rows of one CSV; see csvRowMapper. */
export type CsvRowMapper = (cells: readonly string[], line: number) => MappedRow;

/**
 * mapRecord for the rows of one CSV, from their cells: what each column reads is worked out once
 * for the header, and a row is mapped without first being made into a raw record. It gives
 * exactly what `mapRecord(build(cells), tenant, { line, callTimeFromName })` gives (and throws
 * the same), and hands the rows it has no prepared answer for to that: a mapped value left
 * blank, a value sent under a mapped field's name, or a header the prepared layout cannot
 * describe.
 */
export function csvRowMapper(
  header: readonly string[],
  build: (cells: readonly string[]) => RawRecord,
  tenant: Pick<TenantConfig, 'metadata' | 'timezone' | 'directions'>,
  callTimeFromName: string | undefined,
): CsvRowMapper {
  const general: CsvRowMapper = (cells, line) =>
    mapRecord(build(cells), tenant, callTimeFromName === undefined ? { line } : { line, callTimeFromName });
  const plan = mappingPlan(tenant.metadata);
  const sample = build(header.map(() => ''));
  const keys = Object.keys(sample);
  let layout: KeyLayout;
  try {
    layout = sentUnderExactNames(sample, plan)
      ? layoutOf(plan, keys, plan.exactRules)
      : layoutOf(plan, keys, claimSourceFields(sample, plan, undefined));
  } catch {
    return general; // an ambiguous header: mapRecord rejects every row, each with its line
  }
  if (keys.includes('__proto__') || layout.repeats.includes(true)) return general;
  if (layout.rules.some((rule) => rule?.to === '__proto__')) return general;

  const context = conversionContext(tenant);
  const options: MapOptions = callTimeFromName === undefined ? {} : { callTimeFromName };
  const columnOf = new Map(header.map((name, column) => [name, column]));
  const columns: number[] = [];
  const rules: Array<FieldRule | undefined> = [];
  const fieldNames: string[] = [];
  const canonicalSlots: number[] = [];
  const mustBeSent: number[] = [];
  const mustBeBlank: number[] = [];
  keys.forEach((key, index) => {
    const column = columnOf.get(key)!;
    const rule = layout.rules[index];
    if (layout.targets[index] === true) {
      mustBeBlank.push(column);
      return;
    }
    if (rule !== undefined) mustBeSent.push(column);
    if (rule?.canonical === true) canonicalSlots.push(fieldNames.length);
    columns.push(column);
    rules.push(rule);
    fieldNames.push(rule === undefined ? key : rule.to);
  });
  // A `recordingFile` read as text: its base name and pairing key in one pass when plain.
  const referenceSlot = rules.findIndex(
    (rule) => rule?.canonical === true && rule.to === 'recordingFile' && rule.mapping.type === 'string',
  );
  // Where each required field's value lies among the row's values; undefined when some required
  // field has no column (every row then goes through checkRequired, which names what is missing).
  let requiredSlots: number[] | undefined = [];
  for (const name of plan.required) {
    if (name === 'callTime' && callTimeFromName !== undefined) continue;
    const slot = fieldNames.indexOf(name);
    if (slot === -1) requiredSlots = undefined;
    else requiredSlots?.push(slot);
  }
  return compiledRowMapper({
    mustBeSent,
    mustBeBlank,
    columns,
    rules,
    fieldNames,
    canonicalSlots,
    requiredSlots,
    referenceSlot,
    helpers: {
      general,
      isAbsent,
      convertField,
      rejectValue,
      checkRequired,
      plan,
      options,
      context,
      reference: new PlainReference(),
    },
  });
}

interface RowMapperLayout {
  mustBeSent: readonly number[];
  mustBeBlank: readonly number[];
  columns: readonly number[];
  rules: ReadonlyArray<FieldRule | undefined>;
  fieldNames: readonly string[];
  canonicalSlots: readonly number[];
  requiredSlots: readonly number[] | undefined;
  referenceSlot: number;
  helpers: {
    general: CsvRowMapper;
    isAbsent: typeof isAbsent;
    convertField: typeof convertField;
    rejectValue: typeof rejectValue;
    checkRequired: typeof checkRequired;
    plan: MappingPlan;
    options: MapOptions;
    context: ConversionContext;
    reference: PlainReference;
  };
}

/**
 * The row mapper for one header, compiled once: the checks and conversions each column needs,
 * written out column by column, and the objects as literals with fixed keys (built many times
 * faster than objects whose keys are added one by one, each a lookup by name). A million-row
 * batch otherwise spends much of its mapping time walking the layout's arrays. Per row, in this
 * order: a mapped cell left blank, or a cell sent under a mapped field's name, hands the row to
 * `general` (mapRecord); each mapped cell is converted in column order (a refused value rejects
 * the row); required fields are checked; the objects are built. Keys enter the source only
 * through JSON.stringify, which makes any string a string literal, and everything else written
 * into it is one of our own array indexes, so a header cannot inject code; `__proto__` (which a
 * literal would read as the prototype) never gets here.
 */
function compiledRowMapper(layout: RowMapperLayout): CsvRowMapper {
  const {
    mustBeSent,
    mustBeBlank,
    columns,
    rules,
    fieldNames,
    canonicalSlots,
    requiredSlots,
    referenceSlot,
  } = layout;
  const lines: string[] = [];
  const prepared: string[] = [];
  for (const column of mustBeSent) {
    // A printable ASCII first character other than space: sent (isAbsent's own first test).
    lines.push(`c = cells[${column}]; f = c.charCodeAt(0);`);
    lines.push('if (!(f > 0x20 && f < 0x7f) && h.isAbsent(c)) return h.general(cells, line);');
  }
  for (const column of mustBeBlank)
    lines.push(`if (!h.isAbsent(cells[${column}])) return h.general(cells, line);`);
  lines.push('let pairingKey;');
  for (let slot = 0; slot < columns.length; slot++) {
    const column = columns[slot]!;
    if (rules[slot] === undefined) {
      lines.push(`const v${slot} = cells[${column}];`);
      continue;
    }
    prepared.push(`const r${slot} = rules[${slot}];`);
    lines.push(`let v${slot}; c = cells[${column}];`);
    if (slot === referenceSlot) {
      lines.push(
        `if (h.reference.read(c)) { v${slot} = h.reference.baseName; pairingKey = h.reference.pairingKey; } else`,
      );
    }
    lines.push(
      `try { v${slot} = h.convertField(r${slot}, c, h.context, r${slot}.canonical); } catch (error) { return h.rejectValue(error, r${slot}, c, line); }`,
    );
  }
  const objectOf = (slots: readonly number[]) =>
    `{ ${slots.map((slot) => `${JSON.stringify(fieldNames[slot]!)}: v${slot}`).join(', ')} }`;
  lines.push(`const fields = ${objectOf(fieldNames.map((_, slot) => slot))};`);
  if (requiredSlots === undefined) lines.push('h.checkRequired(fields, h.plan, h.options, line);');
  else
    for (const slot of requiredSlots)
      lines.push(`if (h.isAbsent(v${slot})) h.checkRequired(fields, h.plan, h.options, line);`);
  lines.push(`return { fields, canonical: ${objectOf(canonicalSlots)}, pairingKey };`);
  const source = `${prepared.join('\n')}\nreturn function mapRow(cells, line) {\nlet c, f;\n${lines.join('\n')}\n};`;
  return new Function('h', 'rules', source)(layout.helpers, rules) as CsvRowMapper;
}

// The rejections, kept out of the per-row loop.
function rejectNested(
  name: string,
  rule: FieldRule | undefined,
  value: object,
  line: number | undefined,
): never {
  return reject(
    'nested-field',
    `${label(name, rule)} holds ${Array.isArray(value) ? 'a list' : 'an object'}; only plain values are allowed`,
    at(name, line),
  );
}

function rejectSentTarget(plan: MappingPlan, key: string, line: number | undefined): never {
  return reject(
    'invalid-value',
    `field "${key}" is sent, and ${describeSources(plan, key)} is mapped to it; rename or map one of them`,
    at(key, line),
  );
}

function rejectRepeated(plan: MappingPlan, to: string, line: number | undefined): never {
  return reject(
    'invalid-value',
    `${describeSources(plan, to)} each give a value for "${to}"; send only one`,
    at(to, line),
  );
}

function rejectValue(error: unknown, rule: FieldRule, scalar: FieldValue, line: number | undefined): never {
  if (!(error instanceof ValueProblem)) throw error;
  return reject(
    error.code as ReasonCode,
    `${label(rule.to, rule)}: ${shown(scalar)} ${error.problem}`,
    at(rule.to, line),
  );
}

/** What each raw field (by position in `Object.keys`) reads, for one set of raw field names. */
interface KeyLayout {
  plan: MappingPlan;
  keys: readonly string[];
  /** The rule each field reads; undefined for a field passed through unmapped. */
  rules: ReadonlyArray<FieldRule | undefined>;
  /** An unmapped field whose name a rule writes to. */
  targets: readonly boolean[];
  /** A rule whose target an earlier field may already have written. */
  repeats: readonly boolean[];
}

let lastLayout: KeyLayout | undefined;

/**
 * Rows of one batch share their field names: the layout of the last row with every rule's
 * source sent under its exact name is kept, and reused while the names stay the same.
 */
function sameLayout(plan: MappingPlan, keys: readonly string[]): KeyLayout | undefined {
  const last = lastLayout;
  return last !== undefined && last.plan === plan && sameKeys(last.keys, keys) ? last : undefined;
}

function keyLayout(
  raw: RawRecord,
  plan: MappingPlan,
  keys: readonly string[],
  line: number | undefined,
): KeyLayout {
  if (!sentUnderExactNames(raw, plan)) return layoutOf(plan, keys, claimSourceFields(raw, plan, line));
  const layout = layoutOf(plan, keys, plan.exactRules);
  lastLayout = layout;
  return layout;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

function layoutOf(
  plan: MappingPlan,
  keys: readonly string[],
  rulesByKey: ReadonlyMap<string, FieldRule>,
): KeyLayout {
  const rules: Array<FieldRule | undefined> = [];
  const targets: boolean[] = [];
  const repeats: boolean[] = [];
  const written = new Set<string>();
  for (const key of keys) {
    const rule = rulesByKey.get(key);
    rules.push(rule);
    targets.push(rule === undefined && plan.targets.has(key));
    repeats.push(rule !== undefined && written.has(rule.to));
    if (rule !== undefined) written.add(rule.to);
  }
  return { plan, keys, rules, targets, repeats };
}

let lastContext:
  { tenant: object; zone: string; directions: unknown; context: ConversionContext } | undefined;

/** The same context object for every row of a batch (one tenant), built again if the tenant changes. */
function conversionContext(tenant: Pick<TenantConfig, 'timezone' | 'directions'>): ConversionContext {
  const last = lastContext;
  if (
    last !== undefined &&
    last.tenant === tenant &&
    last.zone === tenant.timezone &&
    last.directions === tenant.directions
  )
    return last.context;
  const context: ConversionContext = { zone: tenant.timezone, directions: directionTable(tenant.directions) };
  lastContext = { tenant, zone: tenant.timezone, directions: tenant.directions, context };
  return context;
}

function at(field: string, line: number | undefined): { field: string; line?: number } {
  return line === undefined ? { field } : { field, line };
}

/** Every rule's source is sent under its exact name, so `plan.exactRules` says what each field reads. */
function sentUnderExactNames(raw: RawRecord, plan: MappingPlan): boolean {
  const rules = plan.rules;
  for (let index = 0; index < rules.length; index++) {
    if (!hasOwn(raw, rules[index]!.source)) return false;
  }
  return true;
}

/**
 * Which raw field each rule reads: its exact name first, then a case-insensitive match. Raw
 * fields named like an unmapped canonical field are read as that field.
 */
function claimSourceFields(
  raw: RawRecord,
  plan: MappingPlan,
  line: number | undefined,
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
          at(rule.to, line),
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
  line: number | undefined,
): void {
  const required = plan.required;
  let missing: string[] | undefined;
  for (let index = 0; index < required.length; index++) {
    const name = required[index]!;
    if (name === 'callTime' && options.callTimeFromName !== undefined) continue;
    if (!hasOwn(fields, name) || isAbsent(fields[name] as FieldValue)) (missing ??= []).push(name);
  }
  if (missing === undefined) return;
  const first = missing[0]!;
  const described = missing.map((name) => {
    const sources = plan.sourcesByTarget.get(name);
    return sources === undefined
      ? `"${name}"`
      : `"${name}" (from ${sources.map((source) => `"${source}"`).join(' or ')})`;
  });
  reject(
    'missing-field',
    `required field${missing.length > 1 ? 's' : ''} ${described.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing`,
    at(first, line),
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
