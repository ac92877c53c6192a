// Helpers shared by this lib's tests: byte streams cut into chosen chunks, and tenants built
// through the real tenants-file schema so defaults match production.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { parseTenantsFile, RejectionError, type Reason, type TenantConfig } from '@callintake/schemas';

/** A stream of `text`'s UTF-8 bytes in chunks of `chunkBytes` (1 splits every character). */
export function byteStream(text: string | Buffer, chunkBytes = 64 * 1024): Readable {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunkBytes) chunks.push(bytes.subarray(at, at + chunkBytes));
  return Readable.from(chunks);
}

export async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const row of rows) all.push(row);
  return all;
}

/** A tenant from a tenants-file fragment (`metadata`, `timezone`, `directions`...). */
export function tenantWith(overrides: Record<string, unknown> = {}): TenantConfig {
  const parsed = parseTenantsFile({
    tenants: [
      {
        id: 'acme',
        source: { kind: 'local', root: '/srv/in' },
        archive: { kind: 'local', root: '/srv/archive' },
        ...overrides,
      },
    ],
  });
  if (!parsed.ok) throw new Error(`bad test tenant: ${parsed.errors.join('; ')}`);
  return parsed.value.tenants[0]!;
}

/** The reason of the RejectionError `action` throws; fails the test when it throws none. */
export function rejectionOf(action: () => unknown): Reason {
  try {
    action();
  } catch (error) {
    if (error instanceof RejectionError) return error.reason;
    throw error;
  }
  return assert.fail('expected a RejectionError');
}

export async function asyncRejectionOf(action: () => Promise<unknown>): Promise<Reason> {
  try {
    await action();
  } catch (error) {
    if (error instanceof RejectionError) return error.reason;
    throw error;
  }
  return assert.fail('expected a RejectionError');
}
