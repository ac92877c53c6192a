import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSingleRecord } from './parse-single-record';
import { rejectionOf } from '../test/support';

const yaml = (text: string) => parseSingleRecord(Buffer.from(text), 'yaml');

describe('parseSingleRecord yaml', () => {
  it('reads one flat mapping, every value as the text written', () => {
    const record = yaml(
      'datetime: 2021-05-11T21:59:59Z\nemail: email.of.user@test.com\nfilename: sftp/path/to/recording.mp3\ncontactId: 0123\nduration: 93.5\nrecorded: yes\n',
    );
    assert.deepEqual(record, {
      datetime: '2021-05-11T21:59:59Z',
      email: 'email.of.user@test.com',
      filename: 'sftp/path/to/recording.mp3',
      contactId: '0123',
      duration: '93.5',
      recorded: 'yes',
    });
  });

  it('reads YAML\'s plain nulls as null, but a quoted "null" as text', () => {
    assert.deepEqual(yaml('a: ~\nb: null\nc:\nd: "null"\ne: \'\'\n'), {
      a: null,
      b: null,
      c: null,
      d: 'null',
      e: '',
    });
  });

  it('accepts the .yml extension and a UTF-8 BOM', () => {
    assert.deepEqual(parseSingleRecord(Buffer.from('\uFEFFa: 1\n'), 'yml'), { a: '1' });
  });

  it('refuses a nested mapping or list, naming the field', () => {
    const mapping = rejectionOf(() => yaml('agent:\n  name: x\n'));
    assert.equal(mapping.code, 'nested-field');
    assert.equal(mapping.field, 'agent');
    const list = rejectionOf(() => yaml('tags: [a, b]\n'));
    assert.equal(list.code, 'nested-field');
    assert.equal(list.field, 'tags');
  });

  it('follows an alias to a plain value, and refuses one to a mapping', () => {
    assert.deepEqual(yaml('a: &x hello\nb: *x\n'), { a: 'hello', b: 'hello' });
    const reason = rejectionOf(() => yaml('base: &b {x: 1}\nother: *b\n'));
    assert.equal(reason.code, 'nested-field');
  });

  it('refuses an alias bomb without expanding it', () => {
    const bomb = [
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
      'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
      'i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]',
    ].join('\n');
    const started = Date.now();
    const reason = rejectionOf(() => yaml(bomb));
    assert.ok(reason.code === 'parse-error' || reason.code === 'nested-field');
    assert.ok(Date.now() - started < 1000);
  });

  it('refuses a file of several documents', () => {
    const reason = rejectionOf(() => yaml('a: 1\n---\na: 2\n'));
    assert.equal(reason.code, 'parse-error');
    assert.match(reason.message, /one YAML document, found 2/);
  });

  it('refuses a top-level list or scalar, and an empty file', () => {
    for (const text of ['- a\n- b\n', 'just text\n', '', '# only a comment\n']) {
      assert.equal(rejectionOf(() => yaml(text)).code, 'parse-error');
    }
  });

  it('reports invalid YAML and duplicate keys with a line', () => {
    const invalid = rejectionOf(() => yaml('a: 1\nb: [1, 2\n'));
    assert.equal(invalid.code, 'parse-error');
    assert.match(invalid.message, /invalid YAML/);
    assert.equal(typeof invalid.line, 'number');
    const duplicate = rejectionOf(() => yaml('a: 1\na: 2\n'));
    assert.equal(duplicate.code, 'parse-error');
    assert.equal(duplicate.line, 2);
  });

  it('does not run custom tags', () => {
    assert.deepEqual(yaml('a: !!js/function "function(){}"\n'), { a: 'function(){}' });
  });
});
