import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { recordingBaseName } from './recording-file';
import { ValueProblem } from './value-problem';

function problemOf(value: string): string {
  try {
    recordingBaseName(value);
  } catch (error) {
    assert.ok(error instanceof ValueProblem);
    assert.equal(error.code, 'unsafe-reference');
    return error.problem;
  }
  return assert.fail(`"${value}" was accepted`);
}

describe('recordingBaseName', () => {
  it('reduces paths to their base name', () => {
    assert.equal(recordingBaseName('sftp/path/to/recording.mp3'), 'recording.mp3');
    assert.equal(
      recordingBaseName('/data/20171012-140253_joe_baducci.wav'),
      '20171012-140253_joe_baducci.wav',
    );
    assert.equal(recordingBaseName('C:\\Dialer\\Out\\rec 1.wav'), 'rec 1.wav');
    assert.equal(recordingBaseName('./rec.wav'), 'rec.wav');
    assert.equal(recordingBaseName('rec%201.wav'), 'rec%201.wav');
  });

  it('refuses climbing out with ".." segments, plain or percent-encoded', () => {
    for (const value of [
      '../rec.wav',
      'a/../../rec.wav',
      '..\\rec.wav',
      '%2e%2e/rec.wav',
      '%2E%2e%2Frec.wav',
      '.%2e/x.wav',
      '%252e%252e/x.wav',
    ]) {
      assert.ok(problemOf(value).length > 0, value);
    }
  });

  it('refuses separators hidden in percent-encoding', () => {
    assert.match(problemOf('a%2fb.wav'), /separator/);
    assert.match(problemOf('a%5Cb.wav'), /separator/);
  });

  it('refuses control characters, also encoded', () => {
    assert.match(problemOf('rec\u0000.wav'), /control/);
    assert.match(problemOf('rec\n.wav'), /control/);
    assert.match(problemOf('rec%00.wav'), /control/);
  });

  it('refuses URLs', () => {
    for (const value of [
      'file:///etc/passwd',
      'http://evil.example/rec.wav',
      'https://x/y.mp3',
      's3://bucket/key.wav',
      'FILE:rec.wav',
    ]) {
      assert.match(problemOf(value), /URL/, value);
    }
  });

  it('refuses values that name no file', () => {
    for (const value of ['sftp/path/', '.', '..', 'a/.', '/']) assert.ok(problemOf(value).length > 0, value);
    assert.match(problemOf(`${'x'.repeat(300)}.wav`), /longer than/);
  });

  it('refuses look-alike characters that fold into a climb, a separator or a URL', () => {
    // Fullwidth full stops and solidus fold (NFKC) into "../": the matcher reads them so too.
    assert.match(problemOf('．．／．．／rec.wav'), /separator/);
    assert.match(problemOf('a＼b.wav'), /separator/);
    assert.match(problemOf('ｆｉｌｅ：rec.wav'), /URL/);
    assert.equal(recordingBaseName('Zoë Müller.wav'), 'Zoë Müller.wav');
    assert.equal(recordingBaseName('dir/ｒｅｃ.wav'), 'ｒｅｃ.wav');
  });
});
