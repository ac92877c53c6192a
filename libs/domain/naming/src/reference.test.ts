import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBaseName } from './reference';

function baseNameOf(value: string): string {
  const result = referenceBaseName(value);
  assert.ok(result.ok, `${JSON.stringify(value)} should be accepted`);
  return result.baseName;
}

function assertUnsafe(value: string): void {
  const result = referenceBaseName(value);
  assert.ok(!result.ok, `${JSON.stringify(value)} should be rejected`);
  assert.equal(result.reason.code, 'unsafe-reference');
  assert.equal(result.reason.field, 'recordingFile');
  assert.ok(result.reason.message.includes(JSON.stringify(value)), result.reason.message);
}

describe('referenceBaseName', () => {
  it("uses only the base name of the guide's path", () => {
    assert.equal(baseNameOf('sftp/path/to/recording.mp3'), 'recording.mp3');
  });

  it('accepts bare names, absolute paths and Windows paths', () => {
    assert.equal(baseNameOf('20171012-140253_joe_baducci.wav'), '20171012-140253_joe_baducci.wav');
    assert.equal(baseNameOf('/upload/data/x.wav'), 'x.wav');
    assert.equal(baseNameOf('C:\\calls\\x.wav'), 'x.wav');
    assert.equal(baseNameOf('c:/calls/x.wav'), 'x.wav');
    assert.equal(baseNameOf('C:x.wav'), 'x.wav');
    assert.equal(baseNameOf('\\\\pbx\\share\\calls\\x.wav'), 'x.wav');
    assert.equal(baseNameOf('./x.wav'), 'x.wav');
  });

  it('keeps the base name as written: case, spaces, escapes and stray percent signs', () => {
    assert.equal(baseNameOf('calls/Joe Call.WAV'), 'Joe Call.WAV');
    assert.equal(baseNameOf('calls/my%20call.wav'), 'my%20call.wav');
    assert.equal(baseNameOf('100%.wav'), '100%.wav');
    assert.equal(baseNameOf('calls/..wav'), '..wav');
    assert.equal(baseNameOf('...wav'), '...wav');
  });

  it('rejects traversal', () => {
    for (const value of ['../x.wav', 'calls/../../etc/passwd', '..\\x.wav', 'a/b/..', '/upload/../x.wav']) {
      assertUnsafe(value);
    }
  });

  it('rejects percent-encoded and look-alike traversal', () => {
    for (const value of [
      '%2e%2e/x.wav',
      '%2E%2E%2Fx.wav',
      '..%2fx.wav',
      '..%5cx.wav',
      'calls/%2e./x.wav',
      '%252e%252e%252fx.wav',
      '\uff0e\uff0e\uff0fx.wav',
    ]) {
      assertUnsafe(value);
    }
  });

  it('rejects NUL bytes and control characters, raw or encoded', () => {
    for (const value of [
      'x.wav\u0000.json',
      'x\n.wav',
      'x\t.wav',
      'x\u007f.wav',
      'x\u0085.wav',
      'x.wav%00',
      'x%0a.wav',
    ]) {
      assertUnsafe(value);
    }
  });

  it('rejects URLs', () => {
    for (const value of [
      'file:///etc/passwd',
      'http://example.com/x.wav',
      'HTTPS://example.com/x.wav',
      's3://bucket/data/x.wav',
      'sftp://host/data/x.wav',
      'data:audio/wav;base64,AAAA',
      'http%3a//example.com/x.wav',
    ]) {
      assertUnsafe(value);
    }
  });

  it('rejects values that name no file', () => {
    for (const value of ['', '.', '..', 'calls/', 'calls\\', 'calls/.', '/']) {
      assertUnsafe(value);
    }
  });

  it('shortens very long values in the message', () => {
    const result = referenceBaseName(`../${'a'.repeat(5000)}`);
    assert.ok(!result.ok);
    assert.ok(result.reason.message.length < 400);
  });
});
