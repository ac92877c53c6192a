// Converts one mapped field: by the mapping's type, then, for canonical fields, to the form
// every later stage relies on (callTime an instant, durationSec a number, references as text,
// recordingFile a safe base name, direction through the tenant's direction names, agentChannel
// one of left, right, none).
import { AGENT_CHANNELS, type CanonicalField, type FieldValue } from '@callintake/schemas';
import { lowerCased, toBoolean, toDecimal, toEnumValue, toInteger, toText } from './convert-value';
import { toUtcIso } from './datetime';
import type { FieldRule } from './mapping-plan';
import type { RawValue } from './raw-record';
import { recordingBaseName } from './recording-file';
import { ValueProblem } from './value-problem';

type Scalar = Exclude<RawValue, null>;

/** agentChannel's own values, read case-insensitively like an enum mapping's source values. */
const AGENT_CHANNEL_VALUES: ReadonlyMap<string, string> = new Map(
  AGENT_CHANNELS.map((value) => [value, value]),
);

export interface ConversionContext {
  /** The tenant's zone, for datetimes without an offset when the mapping names none. */
  zone: string;
  directions: ReadonlyMap<string, string>;
}

export function convertField(
  rule: FieldRule,
  value: Scalar,
  context: ConversionContext,
  canonical: boolean,
): FieldValue {
  const zone = rule.mapping.timezone ?? context.zone;
  if (!canonical) return byType(rule, value, zone);
  switch (rule.to as CanonicalField) {
    case 'callTime':
      // A call time is an instant whatever type was configured; the format and epoch still apply.
      return toUtcIso(
        rule.mapping.type === 'enum' ? toEnumValue(value, rule.enumValues, rule.enumAllowed) : value,
        rule.mapping,
        zone,
      );
    case 'durationSec':
      return toDuration(rule, value);
    case 'recordingFile':
      return recordingBaseName(asText(byType(rule, value, zone)));
    case 'direction': {
      const direction = asText(byType(rule, value, zone));
      return context.directions.get(lowerCased(direction)) ?? direction;
    }
    case 'agentChannel':
      // After the tenant's own enum mapping, if any: its result must still be one of ours.
      return toEnumValue(byType(rule, value, zone), AGENT_CHANNEL_VALUES, AGENT_CHANNELS);
    case 'userId':
    case 'externalCallId':
    case 'contactId':
    case 'leadId':
    case 'opportunityId':
    case 'caseId':
    case 'accountId':
      return asText(byType(rule, value, zone));
  }
}

function byType(rule: FieldRule, value: Scalar, zone: string): Exclude<FieldValue, null> {
  switch (rule.mapping.type) {
    case 'string':
      return toText(value);
    case 'integer':
      return toInteger(value);
    case 'decimal':
      return toDecimal(value);
    case 'boolean':
      return toBoolean(value);
    case 'datetime':
      return toUtcIso(value, rule.mapping, zone);
    case 'enum':
      return toEnumValue(value, rule.enumValues, rule.enumAllowed);
  }
}

function toDuration(rule: FieldRule, value: Scalar): number {
  const source = rule.mapping.type === 'enum' ? toEnumValue(value, rule.enumValues, rule.enumAllowed) : value;
  const seconds = rule.mapping.type === 'integer' ? toInteger(source) : toDecimal(source);
  if (seconds < 0) throw new ValueProblem('is negative (expected a duration in seconds, e.g. 93.5)');
  return seconds;
}

function asText(value: Exclude<FieldValue, null>): string {
  return typeof value === 'string' ? value : String(value);
}
