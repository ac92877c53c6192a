// Cursor pagination over a sorted-set index, newest (highest score) first. The cursor names
// the last item served (score and member), so items added meanwhile never shift a page.
import type { RedisClient } from './redis-client';

export interface PageRequest {
  limit: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function encodeCursor(score: number, member: string): string {
  return Buffer.from(JSON.stringify([score, member])).toString('base64url');
}

export function decodeCursor(cursor: string): { score: number; member: string } | null {
  try {
    const [score, member] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [
      unknown,
      unknown,
    ];
    if (typeof score !== 'number' || typeof member !== 'string') return null;
    return { score, member };
  } catch {
    return null;
  }
}

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

export async function pageOf<T>(
  redis: RedisClient,
  indexKey: string,
  request: PageRequest,
  documentKey: (member: string) => string,
): Promise<Page<T>> {
  const after = request.cursor ? decodeCursor(request.cursor) : null;
  if (request.cursor && !after) throw new InvalidCursorError('cursor is not one this API issued');
  // One more than the limit tells whether another page follows.
  const wanted = request.limit + 1;
  const batchSize = request.limit + 50;
  const max = after ? String(after.score) : '+inf';
  const members: Array<{ member: string; score: number }> = [];
  const seen = new Set<string>();
  // Redis orders ties by UTF-8 bytes; JS compares UTF-16 units, which disagree past U+FFFF.
  const cursorMember = Buffer.from(after?.member ?? '');
  // Equal scores come back in reverse lexical order, so "after the cursor" means a lower score,
  // or the same score and a lower member. Walk on by offset from the cursor's score: moving
  // `max` past a score instead would skip the rest of its ties (a batch of files seen in the
  // same millisecond), and ties served on earlier pages could fill a whole batch.
  for (let offset = 0; members.length < wanted; offset += batchSize) {
    const batch = await redis.zrevrangebyscore(
      indexKey,
      max,
      '-inf',
      'WITHSCORES',
      'LIMIT',
      offset,
      batchSize,
    );
    for (let i = 0; i < batch.length && members.length < wanted; i += 2) {
      const member = batch[i] as string;
      const score = Number(batch[i + 1]);
      if (after && score === after.score && Buffer.compare(Buffer.from(member), cursorMember) >= 0) continue;
      // The index may change between batches; never serve a member twice.
      if (seen.has(member)) continue;
      seen.add(member);
      members.push({ member, score });
    }
    if (batch.length < batchSize * 2) break;
  }
  const pageMembers = members.slice(0, request.limit);
  const raws = pageMembers.length ? await redis.mget(pageMembers.map((m) => documentKey(m.member))) : [];
  const items = raws.filter((raw): raw is string => raw !== null).map((raw) => JSON.parse(raw) as T);
  const last = pageMembers[pageMembers.length - 1];
  return {
    items,
    nextCursor: members.length > request.limit && last ? encodeCursor(last.score, last.member) : null,
  };
}
