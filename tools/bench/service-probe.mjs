// What the e2e benchmark measures inside each service process: the Redis round trips and
// commands its ioredis clients send and, optionally, a V8 CPU profile of the measured part.
// Loaded before anything else (plain JS, so it needs no tsx):
//   NODE_OPTIONS="--import /abs/path/tools/bench/service-probe.mjs" REDIS_COUNT_DIR=/tmp/x
// or imported by the benchmark itself for the in-process bare chain (`roundTripCounts()`).
//
// A round trip is what a client waits for: one command sent on its own, or one pipeline or
// MULTI/EXEC (ioredis writes a pipeline's commands with a shared `stream` argument, so each
// distinct `stream` counts once). Commands are every command the client sent, a pipeline's one
// by one (EVALSHA counts once, whatever its script calls: the server's commandstats counts those).
//
// On SIGUSR2 a service process writes its counts to $REDIS_COUNT_DIR/<pid>.json, so the
// benchmark can take snapshots around the part it measures. With BENCH_CPU_PROF_DIR set, the
// first SIGUSR2 also starts the CPU profiler and the second stops it and writes
// $BENCH_CPU_PROF_DIR/<pid>.cpuprofile (before the counts, so the counts say it is there).
// (`--cpu-prof` would do too, but Node 20 refuses it in NODE_OPTIONS, and it profiles start-up.)
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { Redis } from 'ioredis';

const counts = { roundTrips: 0, commands: 0, byCommand: Object.create(null) };
const pipelines = new WeakSet();
const original = Redis.prototype.sendCommand;

Redis.prototype.sendCommand = function countedSendCommand(command, stream, ...rest) {
  if (command && typeof command.name === 'string') {
    const name = command.name.toLowerCase();
    counts.commands += 1;
    counts.byCommand[name] = (counts.byCommand[name] ?? 0) + 1;
    if (!stream) counts.roundTrips += 1;
    else if (!pipelines.has(stream)) {
      pipelines.add(stream);
      counts.roundTrips += 1;
    }
  }
  return original.call(this, command, stream, ...rest);
};

/** The counts so far (a copy). */
export function roundTripCounts() {
  const cpu = process.cpuUsage();
  return {
    roundTrips: counts.roundTrips,
    commands: counts.commands,
    byCommand: { ...counts.byCommand },
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

const countDir = process.env['REDIS_COUNT_DIR'];
const profileDir = process.env['BENCH_CPU_PROF_DIR'];
if (countDir) {
  let snapshot = 0;
  let session;
  // Written whole under another name and renamed, so the benchmark never reads half of it.
  const writeCounts = () => {
    const file = join(countDir, `${process.pid}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify({ pid: process.pid, snapshot, ...roundTripCounts() }));
    renameSync(`${file}.tmp`, file);
  };
  process.on('SIGUSR2', () => {
    snapshot += 1;
    if (profileDir && snapshot === 1) {
      session = new Session();
      session.connect();
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: 500 }, () =>
          session.post('Profiler.start', writeCounts),
        ),
      );
      return;
    }
    if (profileDir && session && snapshot === 2) {
      session.post('Profiler.stop', (error, result) => {
        if (!error)
          writeFileSync(join(profileDir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
        session.disconnect();
        writeCounts();
      });
      return;
    }
    writeCounts();
  });
}
