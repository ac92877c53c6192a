// The test Redis Cluster itself: three masters that share the keyspace, a reshard under live
// traffic that loses nothing (ioredis follows MOVED and ASK), and a clean stop.
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { connect as connectTcp, createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Cluster } from 'ioredis';
import { startRedisCluster, type RedisClusterHandle } from './redis-cluster';

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

function listenOn(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** Keys per master, each counted on the master itself. */
async function keysPerMaster(client: Cluster): Promise<number[]> {
  return Promise.all(client.nodes('master').map((node) => node.dbsize()));
}

async function inBatches<T>(items: T[], size: number, each: (item: T) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < items.length; start += size)
    await Promise.all(items.slice(start, start + size).map(each));
}

void describe('startRedisCluster', () => {
  let cluster: RedisClusterHandle;
  let client: Cluster;
  const spreadKeys = Array.from({ length: 3_000 }, (_, index) => `{spread-${index}}:value`);

  // Ports in use are skipped: from basePort, the first is taken, and so is the second's bus port.
  let basePort = 0;
  const squatters: Server[] = [];

  before(async () => {
    for (let attempt = 0; attempt < 20 && squatters.length < 2; attempt++) {
      squatters.splice(0).forEach((server) => server.close());
      basePort = 21_000 + Math.floor(Math.random() * 8_000);
      for (const port of [basePort, basePort + 1 + 10_000]) {
        const server = await listenOn(port);
        if (server) squatters.push(server);
      }
    }
    assert.equal(squatters.length, 2, 'found no ports to occupy');
    cluster = await startRedisCluster({ masters: 3, basePort });
    console.log(`redis cluster: 3 masters ready in ${cluster.startupMs} ms (${cluster.nodesEnv})`);
    client = new Cluster(cluster.nodes);
  });
  after(async () => {
    squatters.forEach((server) => server.close());
    await client?.quit();
    await cluster?.stop();
  });

  void it('starts three masters that cover every slot, named in nodesEnv', async () => {
    assert.equal(cluster.nodes.length, 3);
    for (const node of cluster.nodes) {
      assert.ok(node.port > basePort + 1, `${node.port} is a port in use (from ${basePort})`);
    }
    assert.equal(cluster.nodesEnv, cluster.nodes.map((node) => `127.0.0.1:${node.port}`).join(','));
    assert.deepEqual(cluster.env, { REDIS_CLUSTER_NODES: cluster.nodesEnv });
    const masters = await cluster.masters();
    assert.equal(masters.length, 3);
    assert.equal(
      masters.reduce((sum, master) => sum + master.slots.length, 0),
      16_384,
    );
    for (const master of masters) assert.ok(master.slots.length > 5_000, `${master.port} owns few slots`);
  });

  void it('spreads keys with different hash tags over all three masters', async () => {
    await inBatches(spreadKeys, 200, (key) => client.set(key, key));
    const counts = await keysPerMaster(client);
    assert.equal(counts.length, 3);
    assert.equal(
      counts.reduce((sum, count) => sum + count, 0),
      spreadKeys.length,
    );
    // About a third each; 800 leaves room for chance with 3,000 keys.
    for (const count of counts)
      assert.ok(count > 800, `a master holds only ${count} of 3000 keys: ${counts}`);
  });

  void it('loses no write or read while 500 slots move between masters', async () => {
    const written = new Map<string, string>();
    const failures: string[] = [];
    let running = true;
    let operations = 0;
    let counter = 0;
    const worker = async () => {
      while (running) {
        const key = `{live-${counter++}}:value`;
        const value = `v${counter}`;
        try {
          await client.set(key, value);
          written.set(key, value);
          const read = await client.get(key);
          if (read !== value) failures.push(`${key}: read ${read} after writing ${value}`);
          // An older key too, so reads also land on keys that sit in a slot being moved.
          const earlier = spreadKeys[counter % spreadKeys.length] as string;
          const readEarlier = await client.get(earlier);
          if (readEarlier !== earlier) failures.push(`${earlier}: read ${readEarlier}`);
          operations += 3;
        } catch (error) {
          failures.push(`${key}: ${String(error)}`);
        }
      }
    };
    const workers = Array.from({ length: 16 }, () => worker());
    // Let traffic start before the move, so it runs through the whole migration.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = await cluster.masters();
    const moved = await cluster.reshard({ slots: 500 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    running = false;
    await Promise.all(workers);
    console.log(
      `redis cluster: resharded ${moved.slots.length} slots (${moved.from.port} -> ${moved.to.port}) in ${moved.durationMs} ms under ${operations} operations`,
    );

    assert.deepEqual(failures, []);
    assert.equal(moved.slots.length, 500);
    const source = before.find((master) => master.id === moved.from.id);
    assert.ok(source && moved.slots.every((slot) => source.slots.includes(slot)));
    const after = await cluster.masters();
    const target = after.find((master) => master.id === moved.to.id);
    assert.ok(target && moved.slots.every((slot) => target.slots.includes(slot)));
    const sourceAfter = after.find((master) => master.id === moved.from.id);
    assert.equal(sourceAfter?.slots.length, (source?.slots.length ?? 0) - 500);

    // Every key is still there, on the master that now owns its slot.
    const missing: string[] = [];
    await inBatches([...written], 200, async ([key, value]) => {
      if ((await client.get(key)) !== value) missing.push(key);
    });
    await inBatches(spreadKeys, 200, async (key) => {
      if ((await client.get(key)) !== key) missing.push(key);
    });
    assert.deepEqual(missing, []);
    const counts = await keysPerMaster(client);
    assert.equal(
      counts.reduce((sum, count) => sum + count, 0),
      spreadKeys.length + written.size,
    );
    const movedKeys = await Promise.all(
      moved.slots.map((slot) => client.cluster('COUNTKEYSINSLOT', slot) as Promise<number>),
    );
    assert.ok(
      movedKeys.some((count) => count > 0),
      'some keys sat in the moved slots',
    );
  });

  void it('flushAll empties every master', async () => {
    await cluster.flushAll();
    assert.deepEqual(await keysPerMaster(client), [0, 0, 0]);
  });

  void it('stop kills every node and removes its folder; a second stop does nothing', async () => {
    await client.quit();
    await cluster.stop();
    for (const node of cluster.nodes)
      assert.equal(await portAnswers(node.port), false, `${node.port} answers`);
    assert.equal(await exists(cluster.dir), false);
    await cluster.stop();
  });
});
