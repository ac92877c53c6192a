// Test support, never loaded by the service: checks each answer of a status API against the
// response schema its route documents (the OpenAPI document is made from the same schemas), so a
// test that makes real requests also proves the document right. In production answers go out
// unchecked (app.ts: the schemas are the contract, not a filter).
import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifyInstance, FastifySchema } from 'fastify';

export interface ResponseCheck {
  /** Answers checked against a schema, by route (`GET /v1/tenants/:tenant/calls 200`). */
  checked: Map<string, number>;
  /** Answers that break their route's documented response, or whose status it does not document. */
  problems: string[];
}

type ResponseSchema = Record<string, unknown> & { content?: Record<string, { schema: unknown }> };

/** Hooks `app` (before ready) to check every answer of a documented route. */
export function checkResponses(app: FastifyInstance): ResponseCheck {
  const check: ResponseCheck = { checked: new Map(), problems: [] };
  let compile: ReturnType<ReturnType<typeof AjvCompiler>> | undefined;
  const validators = new WeakMap<object, ReturnType<NonNullable<typeof compile>>>();
  app.addHook('onReady', async () => {
    // fastify's own Ajv, with its shared schemas (Call, Asset, ...), minus what suits requests
    // only: no type coercion (a "5" is no integer in an answer), no defaults filled in.
    compile = AjvCompiler()(app.getSchemas() as Parameters<ReturnType<typeof AjvCompiler>>[0], {
      customOptions: {
        coerceTypes: false,
        useDefaults: false,
        removeAdditional: false,
        allErrors: true,
        allowUnionTypes: true,
      },
    });
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const schema = request.routeOptions.schema as FastifySchema | undefined;
    if (!schema || schema.hide || request.method === 'HEAD' || !compile) return payload;
    const route = `${request.method} ${request.routeOptions.url} ${reply.statusCode}`;
    const responses = (schema.response ?? {}) as Record<string, ResponseSchema>;
    const documented = responses[String(reply.statusCode)];
    if (!documented) {
      check.problems.push(`${route}: status not documented`);
      return payload;
    }
    const contentType = String(reply.getHeader('content-type') ?? '').split(';')[0] ?? '';
    const bodySchema = documented.content ? documented.content[contentType]?.schema : documented;
    if (!bodySchema || typeof bodySchema !== 'object') {
      check.problems.push(`${route}: content type ${contentType} not documented`);
      return payload;
    }
    let validate = validators.get(bodySchema);
    if (!validate) {
      validate = compile({ schema: bodySchema, method: request.method, url: route, httpPart: 'body' });
      validators.set(bodySchema, validate);
    }
    const body = contentType === 'application/json' ? (JSON.parse(String(payload)) as unknown) : payload;
    check.checked.set(route, (check.checked.get(route) ?? 0) + 1);
    if (!validate(body))
      check.problems.push(
        `${route}: ${JSON.stringify(validate.errors)} in ${String(payload).slice(0, 2000)}`,
      );
    return payload;
  });
  return check;
}
