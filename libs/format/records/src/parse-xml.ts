// A call-metadata XML file: one record, a root element whose attributes and child elements are
// the fields. Entities are never expanded from a DOCTYPE (billion laughs, external entities):
// any DOCTYPE is refused before the parser sees the text.
import { XMLParser, XMLValidator, type X2jOptions } from 'fast-xml-parser';
import { reject } from '@callintake/schemas';
import { duplicateField } from './duplicate-field';
import { decodeText } from './decode-text';
import { hasOwn, setOwn, type RawRecord } from './raw-record';

const ATTRIBUTE = '@_';
const TEXT = '#text';

const PARSER_OPTIONS: X2jOptions = {
  ignoreAttributes: false,
  attributeNamePrefix: ATTRIBUTE,
  textNodeName: TEXT,
  // Values stay text: "007" is an id, not the number 7; the tenant's mapping decides types.
  parseTagValue: false,
  parseAttributeValue: false,
  removeNSPrefix: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Only the predefined and numeric character references: there is no DOCTYPE to define others.
  processEntities: true,
  htmlEntities: true,
};

const DOCTYPE_OR_ENTITY = /<!(?:DOCTYPE|ENTITY)/i;

export function parseXmlRecord(content: Buffer): RawRecord {
  const text = decodeText(content, declaredEncoding(content));
  if (DOCTYPE_OR_ENTITY.test(text)) reject('parse-error', 'DOCTYPE is not allowed');
  const validation = XMLValidator.validate(text);
  if (validation !== true) {
    reject('parse-error', `invalid XML: ${validation.err.msg}`, { line: validation.err.line });
  }
  let document: Record<string, unknown>;
  try {
    document = new XMLParser(PARSER_OPTIONS).parse(text) as Record<string, unknown>;
  } catch (error) {
    // The parser refuses some inputs the validator lets through (entity or nesting limits).
    return reject('parse-error', `invalid XML: ${error instanceof Error ? error.message : String(error)}`);
  }
  const roots = Object.keys(document);
  const rootName = roots[0];
  if (roots.length !== 1 || rootName === undefined) {
    return reject('parse-error', `expected one root element, found ${roots.length}`);
  }
  return recordOf(rootName, document[rootName]);
}

function recordOf(rootName: string, root: unknown): RawRecord {
  if (root === '') return {};
  if (Array.isArray(root))
    reject('parse-error', `expected one root element, found ${root.length} <${rootName}>`);
  if (typeof root !== 'object' || root === null) {
    return reject('parse-error', `the root element <${rootName}> holds text, not field elements`);
  }
  const record: RawRecord = {};
  for (const [key, value] of Object.entries(root)) {
    if (key === TEXT) reject('parse-error', `the root element <${rootName}> holds text besides its fields`);
    const field = key.startsWith(ATTRIBUTE) ? key.slice(ATTRIBUTE.length) : key;
    if (hasOwn(record, field)) duplicateField(field);
    setOwn(record, field, fieldValue(field, value));
  }
  return record;
}

function fieldValue(field: string, value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return duplicateField(field);
  if (isNil(value)) return null;
  const holds = Object.keys(value as object).some((key) => key !== TEXT && !key.startsWith(ATTRIBUTE))
    ? 'child elements'
    : 'attributes';
  return reject('nested-field', `field "${field}" has ${holds}; only plain values are allowed`, { field });
}

/** `<x xsi:nil="true"/>`, how .NET and Java serializers write a null. */
function isNil(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const keys = Object.keys(value);
  return (
    keys.length === 1 &&
    keys[0] === `${ATTRIBUTE}nil` &&
    (value as Record<string, unknown>)[keys[0]] === 'true'
  );
}

/** The encoding named in `<?xml ... encoding="..."?>`, which is authoritative for XML. */
function declaredEncoding(content: Buffer): string | undefined {
  const head = content.subarray(0, 256).toString('latin1');
  return /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1]?.toLowerCase();
}
