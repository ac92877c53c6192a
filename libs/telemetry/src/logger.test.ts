import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { redactOptions } from './logger';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ redact: redactOptions() }, stream), lines };
}

describe('logger', () => {
  it('never writes secrets, at the top level or nested one deep', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        password: 'hunter2',
        source: { kind: 'sftp', passphrase: 'p4ss', host: 'h' },
        token: 't0k',
        authorization: 'Bearer xyz',
      },
      'config',
    );
    const text = lines.join('');
    for (const secret of ['hunter2', 'p4ss', 't0k', 'Bearer xyz'])
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    assert.match(text, /"host":"h"/);
    assert.match(text, /\[redacted\]/);
  });
});
