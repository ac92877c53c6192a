import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RejectionError } from '@callintake/schemas';
import { parseSingleRecord } from './parse-single-record';
import { rejectionOf } from '../test/support';

const json = (text: string | Buffer) =>
  parseSingleRecord(typeof text === 'string' ? Buffer.from(text) : text, 'json');

describe('parseSingleRecord json', () => {
  it("reads the guide's example", () => {
    const record = json(
      '{"datetime": "2021-05-11T21:59:59Z", "email": "email.of.user@test.com", "filename": "sftp/path/to/recording.mp3", "direction": "outbound"}',
    );
    assert.deepEqual(record, {
      datetime: '2021-05-11T21:59:59Z',
      email: 'email.of.user@test.com',
      filename: 'sftp/path/to/recording.mp3',
      direction: 'outbound',
    });
  });

  it('keeps numbers, booleans and null as JSON gives them', () => {
    assert.deepEqual(json('{"duration": 93.5, "recorded": true, "note": null}'), {
      duration: 93.5,
      recorded: true,
      note: null,
    });
  });

  it('accepts a UTF-8 BOM and UTF-16 with a BOM', () => {
    assert.deepEqual(json(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":"é"}')])), {
      a: 'é',
    });
    assert.deepEqual(json(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"a":"é"}', 'utf16le')])), {
      a: 'é',
    });
  });

  it('refuses a top-level array, scalar or null', () => {
    for (const text of ['[{"a":1}]', '"text"', '42', 'null']) {
      const reason = rejectionOf(() => json(text));
      assert.equal(reason.code, 'parse-error');
      assert.match(reason.message, /expected one JSON object/);
    }
  });

  it('refuses nested objects and lists, naming the field', () => {
    const nested = rejectionOf(() => json('{"a": 1, "agent": {"name": "x"}}'));
    assert.equal(nested.code, 'nested-field');
    assert.equal(nested.field, 'agent');
    const list = rejectionOf(() => json('{"tags": ["a", "b"]}'));
    assert.equal(list.code, 'nested-field');
    assert.equal(list.field, 'tags');
    assert.match(list.message, /list/);
  });

  it('reports invalid JSON with its position and line', () => {
    const reason = rejectionOf(() => json('{\n  "a": 1,\n}'));
    assert.equal(reason.code, 'parse-error');
    assert.match(reason.message, /invalid JSON.*position \d+/);
    assert.equal(reason.line, 3);
  });

  it('refuses bytes that are not UTF-8', () => {
    const reason = rejectionOf(() =>
      json(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d])),
    );
    assert.equal(reason.code, 'parse-error');
    assert.match(reason.message, /UTF-8/);
  });

  it('keeps a __proto__ key as an ordinary field', () => {
    const record = json('{"__proto__": "x", "a": "1"}');
    assert.equal(Object.getPrototypeOf(record), Object.prototype);
    assert.deepEqual(Object.keys(record), ['__proto__', 'a']);
  });

  it('keeps integers too large for a double as their digits, or refuses them where the runtime cannot', () => {
    const text = '{"externalId": 12345678901234567890}';
    if (jsonSourceTextAvailable()) {
      assert.deepEqual(json(text), { externalId: '12345678901234567890' });
    } else {
      const reason = rejectionOf(() => json(text));
      assert.equal(reason.code, 'parse-error');
      assert.equal(reason.field, 'externalId');
      assert.match(reason.message, /send it as a string/);
    }
  });

  it('refuses files over the size limit', () => {
    const reason = rejectionOf(() => json(`{"a":"${'x'.repeat(1024 * 1024)}"}`));
    assert.equal(reason.code, 'too-large');
  });
});

function jsonSourceTextAvailable(): boolean {
  let available = false;
  JSON.parse('1', (_key: string, value: unknown, context?: { source?: string }) => {
    available = context?.source === '1';
    return value;
  });
  return available;
}

describe('a field given twice', () => {
  it('is refused alike in JSON, YAML and XML: parse-error naming the field (and its line where known)', () => {
    const json = rejectionOfSingle('json', '{\n  "a": 1,\n  "b": {"a": 1, "a": 2},\n  "a": 2\n}');
    assert.deepEqual(
      { code: json.code, field: json.field, line: json.line },
      { code: 'parse-error', field: 'a', line: 4 },
    );
    assert.match(json.message, /field "a" is given more than once/);
    const yaml = rejectionOfSingle('yaml', 'a: 1\nb: 2\na: 3\n');
    assert.deepEqual(
      { code: yaml.code, field: yaml.field, line: yaml.line },
      { code: 'parse-error', field: 'a', line: 3 },
    );
    const xml = rejectionOfSingle('xml', '<call><a>1</a><a>2</a></call>');
    assert.deepEqual({ code: xml.code, field: xml.field }, { code: 'parse-error', field: 'a' });
  });

  it('is not a key inside a string, nor the same key in a nested value', () => {
    assert.doesNotThrow(() =>
      parseSingleRecord(Buffer.from('{"a": "\\"a\\": 1, \\"a\\"", "b": "a"}'), 'json'),
    );
    // A nested value is refused for nesting, not for its own repeated keys.
    assert.equal(rejectionOfSingle('json', '{"a": 1, "n": {"x": 1, "x": 2}}').code, 'nested-field');
  });
});

function rejectionOfSingle(extension: 'json' | 'yaml' | 'xml', text: string) {
  try {
    parseSingleRecord(Buffer.from(text), extension);
  } catch (error) {
    if (error instanceof RejectionError) return error.reason;
    throw error;
  }
  return assert.fail(`accepted: ${text}`);
}
