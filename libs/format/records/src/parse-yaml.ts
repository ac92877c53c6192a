// A call-metadata YAML file: one flat mapping in one document.
//
// Read with the failsafe schema, so every value is the text as written: YAML's implicit typing
// would turn the id `0123` into 123, `1e3` into 1000 and, in YAML 1.1, `2021-05-11` into a Date.
// The tenant's mapping types values, as it does for CSV and XML. Plain `~`, `null` and empty
// values are YAML's null and read as null (absent). The document is inspected as a tree and
// never converted to JavaScript, so aliases are never expanded and an alias bomb costs nothing;
// an alias to a mapping or sequence is a nested field like any other.
import { isAlias, isMap, isScalar, parseAllDocuments, type Document, type Node } from 'yaml';
import { reject } from '@callintake/schemas';
import { decodeText, lineAt } from './decode-text';
import { duplicateField } from './duplicate-field';
import { hasOwn, setOwn, type RawRecord } from './raw-record';

const YAML_NULL = /^(?:~|null|Null|NULL|)$/;

export function parseYamlRecord(content: Buffer): RawRecord {
  const text = decodeText(content);
  const documents = parseAllDocuments(text, { schema: 'failsafe', prettyErrors: true, uniqueKeys: false });
  if (!Array.isArray(documents)) return reject('parse-error', 'invalid YAML: the file holds no document');
  if (documents.length !== 1) {
    return reject('parse-error', `expected one YAML document, found ${documents.length}`);
  }
  const document = documents[0]!;
  const error = document.errors[0];
  if (error !== undefined) {
    const line = error.linePos?.[0].line;
    return reject(
      'parse-error',
      `invalid YAML: ${error.message.split('\n')[0]}`,
      line === undefined ? {} : { line },
    );
  }
  const mapping = document.contents;
  if (!isMap(mapping)) return reject('parse-error', 'expected one YAML mapping of field names to values');
  const record: RawRecord = {};
  for (const item of mapping.items) {
    const field = isScalar(item.key) ? String(item.key.value) : undefined;
    if (field === undefined || field === '') reject('parse-error', 'every field needs a plain name');
    if (hasOwn(record, field)) {
      const line =
        item.key && isScalar(item.key) && item.key.range ? lineAt(text, item.key.range[0]) : undefined;
      duplicateField(field, line);
    }
    setOwn(record, field, scalarValue(field, item.value as Node | null, document));
  }
  return record;
}

function scalarValue(field: string, node: Node | null, document: Document.Parsed): string | null {
  const target = isAlias(node) ? node.resolve(document) : node;
  if (target === null || target === undefined) return null;
  if (!isScalar(target)) {
    return reject(
      'nested-field',
      `field "${field}" holds a nested mapping or list; only plain values are allowed`,
      { field },
    );
  }
  const value = String(target.value);
  return target.type === 'PLAIN' && YAML_NULL.test(value) ? null : value;
}
