// zod schemas (schemas.ts) to the JSON Schema fastify validates with (its own Ajv, draft-07) and
// @fastify/swagger publishes, through zod's own z.toJSONSchema. A schema with an `id` is shared:
// fastify knows it by that id (addSchema), a route refers to it as `<id>#`, and the document lists
// it once under components.schemas.
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

const DEFINITIONS = '#/definitions/';

/** Shared schemas by id, as the routes met them. */
const shared = new Map<string, JsonSchema>();

/**
 * zod's draft-07 output made plain: shared schemas become references (`Call#`), and the noise a
 * reader of the document does not need goes (zod's safe-integer bounds on every integer, string
 * property names, a lone `allOf` around a reference).
 */
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === 'definitions') continue;
    if (key === '$ref' && typeof value === 'string' && value.startsWith(DEFINITIONS)) {
      out[key] = `${value.slice(DEFINITIONS.length)}#`;
    } else if (key === 'minimum' && value === Number.MIN_SAFE_INTEGER) continue;
    else if (key === 'maximum' && value === Number.MAX_SAFE_INTEGER) continue;
    else if (key === 'propertyNames' && isDeepStrictEqual(value, { type: 'string' })) continue;
    else out[key] = tidy(value);
  }
  const allOf = out['allOf'];
  if (Object.keys(out).length === 1 && Array.isArray(allOf) && allOf.length === 1) return allOf[0];
  return out;
}

/**
 * The JSON Schema of `schema`: `output` for what the API answers, `input` for what it takes (so a
 * default makes a field optional). Shared schemas it contains are recorded for sharedSchemas().
 */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const converted = z.toJSONSchema(schema, { target: 'draft-07', io }) as JsonSchema;
  const definitions = (converted['definitions'] ?? {}) as Record<string, JsonSchema>;
  for (const [id, definition] of Object.entries(definitions)) {
    const tidied = { $id: id, ...(tidy(definition) as JsonSchema) };
    const known = shared.get(id);
    if (known && !isDeepStrictEqual(known, tidied))
      throw new Error(`two different schemas share the id ${id} (one read as input, one as output?)`);
    shared.set(id, tidied);
  }
  return tidy(converted) as JsonSchema;
}

/** Every shared schema the routes refer to, for fastify's addSchema. */
export function sharedSchemas(): JsonSchema[] {
  return [...shared.values()];
}
