import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ensureRedis, freePort, redisAnswers, RedisUnavailableError } from './redis-bootstrap';

describe('Redis bootstrap', () => {
  it('uses REDIS_URL as given, without probing', async () => {
    assert.deepEqual(await ensureRedis({ REDIS_URL: 'redis://example.invalid:1' }), {
      url: 'redis://example.invalid:1',
    });
  });

  it('starts a private redis-server when the default address is silent, and stops it', async () => {
    const silent = `redis://127.0.0.1:${await freePort()}`;
    const endpoint = await ensureRedis({}, silent);
    assert.notEqual(endpoint.url, silent);
    assert.ok(endpoint.stop);
    assert.equal(await redisAnswers(endpoint.url), true);
    await endpoint.stop();
    assert.equal(await redisAnswers(endpoint.url), false);
  });

  it('says how to get Redis when there is no redis-server binary', async () => {
    const silent = `redis://127.0.0.1:${await freePort()}`;
    await assert.rejects(
      ensureRedis({ REDIS_SERVER_BIN: '/nonexistent/redis-server' }, silent),
      (error: unknown) => {
        assert.ok(error instanceof RedisUnavailableError);
        assert.match(error.message, /Install Redis .* or set REDIS_URL/);
        return true;
      },
    );
  });
});
