// One call-metadata record from a JSON, XML or YAML file, read whole (they are small).
import { reject } from '@callintake/schemas';
import { METADATA_LIMITS } from './limits';
import { parseJsonRecord } from './parse-json';
import { parseXmlRecord } from './parse-xml';
import { parseYamlRecord } from './parse-yaml';
import type { RawRecord } from './raw-record';

export type SingleRecordExtension = 'json' | 'xml' | 'yml' | 'yaml';

/**
 * One flat record from a JSON, XML or YAML file. Throws RejectionError: parse-error (with the
 * line where the format reports one), nested-field (naming the field), too-large.
 */
export function parseSingleRecord(content: Buffer, extension: SingleRecordExtension): RawRecord {
  if (content.length > METADATA_LIMITS.singleRecordBytes) {
    reject('too-large', `a metadata file may hold at most ${METADATA_LIMITS.singleRecordBytes} bytes`);
  }
  switch (extension) {
    case 'json':
      return parseJsonRecord(content);
    case 'xml':
      return parseXmlRecord(content);
    case 'yml':
    case 'yaml':
      return parseYamlRecord(content);
  }
}
