// Key names: unchanged on one Redis; on a cluster every key of a tenant carries the tenant as
// its hash tag (metrics included), so every script of ours runs in one slot.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Keys } from './keys';

/** Every key-naming method of Keys, called for one tenant. */
function tenantKeys(keys: Keys, tenant: string): string[] {
  return [
    keys.observations(tenant),
    keys.asset(tenant, 'a {b}.wav'),
    keys.assetIndex(tenant),
    keys.assetStateIndex(tenant, 'processed'),
    keys.seenSeq(tenant),
    keys.crmPending(tenant),
    keys.recording(tenant, 'x.wav'),
    keys.metadata(tenant, 'x.json'),
    keys.nameKey(tenant, 'x'),
    keys.recordingContent(tenant, 'ab'),
    keys.externalIdKey(tenant, 'id'),
    keys.unpairedRecordings(tenant),
    keys.waitingMetadata(tenant),
    keys.fuzzyPairs(tenant),
    keys.fuzzyPairsByRecordingTime(tenant),
    keys.fuzzyPairsByMetadataTime(tenant),
    keys.fuzzyPairSeq(tenant),
    keys.call(tenant, 'c'),
    keys.callIndex(tenant),
    keys.callStatusIndex(tenant, 'ready'),
    keys.crmObject(tenant, 'account', 'A-1'),
    keys.crmWaiting(tenant, 'account', 'A-1'),
    keys.metricsRejections(tenant),
    keys.metricsRejectedRows(tenant),
    keys.metricsFailures(tenant),
    keys.metricsStages(tenant),
    keys.metricsTenantFiles(tenant),
    keys.metricsTenantLastUpload(tenant),
    keys.lock(tenant, 'scan'),
  ];
}

/** The part of a key Redis Cluster hashes: the first {…} with something inside, else the key. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);
  return open !== -1 && close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('Keys', () => {
  it('on one Redis: callintake:t:<tenant>:…, no hash tag', () => {
    const keys = new Keys('callintake');
    assert.equal(keys.call('acme', 'c1'), 'callintake:t:acme:call:c1');
    for (const key of tenantKeys(keys, 'acme')) assert.ok(key.startsWith('callintake:t:acme:'), key);
  });

  it('on a cluster: every key of a tenant hashes on the tenant alone, whatever its file names hold', () => {
    const keys = new Keys('callintake', { hashTags: true });
    assert.equal(keys.call('acme', 'c1'), 'callintake:t:{acme}:call:c1');
    for (const key of tenantKeys(keys, 'acme')) assert.equal(hashTag(key), 'acme', key);
    for (const key of tenantKeys(keys, 'globex')) assert.equal(hashTag(key), 'globex', key);
  });
});
