// Cursor pagination over a sorted-set index, newest (highest score) first. The cursor names
// the last item served (score and member), so items added meanwhile never shift a page.
import type { Redis } from 'ioredis';

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
    const [score, member] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
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
  redis: Redis,
  indexKey: string,
  request: PageRequest,
  documentKey: (member: string) => string,
): Promise<Page<T>> {
  const after = request.cursor ? decodeCursor(request.cursor) : null;
  if (request.cursor && !after) throw new InvalidCursorError('cursor is not one this API issued');
  const members: Array<{ member: string; score: number }> = [];
  let max = after ? String(after.score) : '+inf';
  // Equal scores come back in reverse lexical order; skip those at or before the cursor.
  while (members.length < request.limit + 1) {
    const batch = await redis.zrevrangebyscore(indexKey, max, '-inf', 'WITHSCORES', 'LIMIT', 0, request.limit + 50);
    if (batch.length === 0) break;
    let progressed = false;
    for (let i = 0; i < batch.length; i += 2) {
      const member = batch[i] as string;
      const score = Number(batch[i + 1]);
      if (after && score === after.score && member >= after.member) continue;
      if (members.some((m) => m.member === member)) continue;
      members.push({ member, score });
      progressed = true;
      if (members.length === request.limit + 1) break;
    }
    if (!progressed || batch.length < (request.limit + 50) * 2) break;
    const last = members[members.length - 1];
    if (!last) break;
    max = `(${last.score}`;
  }
  const pageMembers = members.slice(0, request.limit);
  const raws = pageMembers.length ? await redis.mget(pageMembers.map((m) => documentKey(m.member))) : [];
  const items = raws.filter((raw): raw is string => raw !== null).map((raw) => JSON.parse(raw) as T);
  const last = pageMembers[pageMembers.length - 1];
  return { items, nextCursor: members.length > request.limit && last ? encodeCursor(last.score, last.member) : null };
}
