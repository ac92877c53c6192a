// A real S3 API for tests: s3rver on a free loopback port in its own child process (started
// with --openssl-legacy-provider, see s3rver-child.mjs), its data in a temp folder removed on
// stop. Each server sets its own uniquely named credential variables, so several can run at once
// and tenants can name them in `accessKeyIdEnv`/`secretAccessKeyEnv` as production does.
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface S3TestLocation {
  kind: 's3';
  bucket: string;
  prefix: string;
  region: 'us-east-1';
  endpoint: string;
  forcePathStyle: true;
  accessKeyIdEnv: string;
  secretAccessKeyEnv: string;
}

export interface S3TestServer {
  endpoint: string;
  region: 'us-east-1';
  accessKeyId: string;
  secretAccessKey: string;
  /** Names of the env variables (set in process.env) that hold the keys above. */
  accessKeyIdEnv: string;
  secretAccessKeyEnv: string;
  createBucket(name: string): Promise<void>;
  /** A client configured like production's (checksums only when required, path style). */
  client: S3Client;
  /** A `kind: s3` location on this server, for tenants and adapters. */
  location(bucket: string, prefix?: string): S3TestLocation;
  stop(): Promise<void>;
}

// s3rver accepts only its built-in key pair.
const ACCESS_KEY_ID = 'S3RVER';
const SECRET_ACCESS_KEY = 'S3RVER';
const CHILD_SCRIPT = join(import.meta.dirname, 's3rver-child.mjs');
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

export async function startS3Server(): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'callintake-s3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', CHILD_SCRIPT, directory], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));

  let port: number;
  try {
    port = await readPort(child.stdout, exited, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  child.stdout.resume(); // s3rver runs silent; drain anything else so the pipe never fills

  const suffix = randomBytes(4).toString('hex').toUpperCase();
  const accessKeyIdEnv = `CALLINTAKE_TEST_S3_${suffix}_ACCESS_KEY_ID`;
  const secretAccessKeyEnv = `CALLINTAKE_TEST_S3_${suffix}_SECRET_ACCESS_KEY`;
  process.env[accessKeyIdEnv] = ACCESS_KEY_ID;
  process.env[secretAccessKeyEnv] = SECRET_ACCESS_KEY;

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  let stopped: Promise<void> | undefined;
  const stop = async () => {
    client.destroy();
    delete process.env[accessKeyIdEnv];
    delete process.env[secretAccessKeyEnv];
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin.end();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    await rm(directory, { recursive: true, force: true });
  };

  return {
    endpoint,
    region: 'us-east-1',
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    accessKeyIdEnv,
    secretAccessKeyEnv,
    client,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    location: (bucket, prefix = '') => ({
      kind: 's3',
      bucket,
      prefix,
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      accessKeyIdEnv,
      secretAccessKeyEnv,
    }),
    stop: () => (stopped ??= stop()),
  };
}

async function readPort(
  stdout: NodeJS.ReadableStream,
  exited: Promise<void>,
  stderr: () => string,
): Promise<number> {
  const lines = createInterface({ input: stdout });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      new Promise<number>((resolvePort, reject) => {
        lines.once('line', (line) => {
          const port = (JSON.parse(line) as { port?: unknown }).port;
          if (typeof port === 'number') resolvePort(port);
          else reject(new Error(`s3rver child printed ${line}`));
        });
      }),
      exited.then(() => {
        throw new Error(`s3rver child exited before listening: ${stderr()}`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('s3rver child did not start in time')), START_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    lines.close();
  }
}
