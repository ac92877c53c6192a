// /admin/queues: bull-board, the SRE's view of every queue of the registry (jobs by state, a job's
// data, error and logs). Same tokens as the API: any valid token may look; only a token with scope
// `*` may act (retry, promote, clean, pause). Two boards serve the same paths, one read-only, and a
// route constraint picks one per request from its token, so bull-board itself both shows and
// enforces what the token may do (rather than showing buttons that fail).
//
// A browser sends no bearer header when it loads a page, so the board also takes HTTP Basic (any
// user name, the token as password) and answers 401 with WWW-Authenticate for the browser to ask.
// The browser then sends those credentials on its own, so a board that may act refuses a change
// requested from another site (CSRF).
//
// "Promote all" promotes job by job (PriorityKeepingAdapter below) rather than through BullMQ's
// promoteJobs, which ignores priorities.
import type { IncomingMessage } from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenScope } from '@callintake/config';
import { QUEUE_NAMES, type JobProducer } from '@callintake/queues';
import type { StatusApiDeps } from '../deps';
import { errorBody } from '../errors';

export const QUEUE_BOARD_PATH = '/admin/queues';

type BoardAccess = 'read' | 'write';
const CONSTRAINT = 'queueBoardAccess';
type ConstraintStrategy = Parameters<FastifyInstance['addConstraintStrategy']>[0];
/** The router's handler type, as a constraint strategy stores it. */
type RouteHandler = Parameters<ReturnType<ConstraintStrategy['storage']>['set']>[1];
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The token of a request: `Authorization: Bearer <token>`, or Basic with the token as password. */
export function boardToken(headers: IncomingMessage['headers']): string | undefined {
  const header = headers.authorization ?? '';
  const bearer = /^Bearer (.+)$/.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!basic) return undefined;
  const credentials = Buffer.from(basic[1] as string, 'base64').toString('utf8');
  const colon = credentials.indexOf(':');
  return colon >= 0 && colon < credentials.length - 1 ? credentials.slice(colon + 1) : undefined;
}

function accessOf(headers: IncomingMessage['headers'], tokens: ReadonlyMap<string, TokenScope>): BoardAccess {
  const token = boardToken(headers);
  return token !== undefined && tokens.get(token)?.all ? 'write' : 'read';
}

/** A request for a change that a browser sent from another site's page. */
function crossSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true;
  }
}

/** Jobs promoted at once by "Promote all": one round of Redis calls each, a batch at a time. */
const PROMOTE_BATCH = 100;

/**
 * bull-board's BullMQ adapter, except "Promote all". bull-board calls BullMQ's
 * `Queue.promoteJobs`, whose script pushes every delayed job onto the plain wait list whatever
 * its priority ("does not support jobs with priorities", BullMQ's moveJobsToWait): on our
 * prioritized queues (crm-ingest 1, media-probe and metadata-parse 2) the promoted jobs would then
 * carry priority 0, which runs before every prioritized job, CRM batches included. `Job.promote`
 * puts each job back in its lane (prioritized, or waiting without a priority), so it is used for
 * each job delayed when the button is pressed; a job that left the delayed set meanwhile (a
 * worker's own promotion, a removal) is skipped.
 */
class PriorityKeepingAdapter extends BullMQAdapter {
  constructor(
    private readonly boardQueue: ReturnType<JobProducer['queue']>,
    options: ConstructorParameters<typeof BullMQAdapter>[1],
  ) {
    super(boardQueue, options);
  }

  override async promoteAll(): Promise<void> {
    // The delayed set as the click finds it: a scheduler's next run added meanwhile keeps its time.
    const ids = await this.boardQueue.getRanges(['delayed'], 0, -1, true);
    for (let start = 0; start < ids.length; start += PROMOTE_BATCH) {
      await Promise.all(ids.slice(start, start + PROMOTE_BATCH).map((id) => this.promoteOne(id)));
    }
  }

  private async promoteOne(id: string): Promise<void> {
    const job = await this.boardQueue.getJob(id);
    if (!job) return;
    try {
      await job.promote();
    } catch (error) {
      if ((await job.getState()) === 'delayed') throw error;
    }
  }
}

function refuse(reply: FastifyReply, status: 401 | 403, message: string): FastifyReply {
  if (status === 401) reply.header('www-authenticate', 'Basic realm="callintake queues", charset="UTF-8"');
  return reply.code(status).send(errorBody(status === 401 ? 'unauthorized' : 'forbidden', message));
}

export const queueBoardRoutes: FastifyPluginAsync<Pick<StatusApiDeps, 'producer' | 'tokens'>> = async (
  app,
  { producer, tokens },
) => {
  // The router is shared by every context: the strategy is global, used only by the board's routes.
  app.addConstraintStrategy({
    name: CONSTRAINT,
    storage() {
      const handlers = new Map<unknown, RouteHandler>();
      return {
        get: (access: unknown) => handlers.get(access) ?? null,
        set: (access: unknown, handler: RouteHandler) => void handlers.set(access, handler),
      };
    },
    deriveConstraint: (request: IncomingMessage) => accessOf(request.headers, tokens),
    mustMatchWhenDerived: false,
  });

  for (const access of ['read', 'write'] as const) {
    await app.register(async (board) => {
      board.addHook('onRoute', (route) => {
        route.constraints = { ...route.constraints, [CONSTRAINT]: access };
        // bull-board's own JSON routes and UI are not the status API: out of the OpenAPI document.
        route.schema = { ...route.schema, hide: true };
      });
      board.addHook('onRequest', async (request, reply) => {
        const token = boardToken(request.headers);
        const scope = token === undefined ? undefined : tokens.get(token);
        if (!scope)
          return refuse(
            reply,
            401,
            'send a valid token: Authorization: Bearer <token>, or Basic with the token as password',
          );
        if (access === 'write' && !scope.all)
          return refuse(reply, 403, 'only a token with scope * may change queues');
        if (!SAFE_METHODS.has(request.method) && crossSite(request))
          return refuse(reply, 403, 'changes to queues are accepted from this board only');
        // The UI asks for a web font from Google; there is no network in the clusters, and no need.
        reply.header('content-security-policy', "font-src 'self' data:; style-src 'self' 'unsafe-inline'");
        return undefined;
      });
      const serverAdapter = new FastifyAdapter().setBasePath(QUEUE_BOARD_PATH);
      createBullBoard({
        queues: QUEUE_NAMES.map(
          (name) => new PriorityKeepingAdapter(producer.queue(name), { readOnlyMode: access === 'read' }),
        ),
        serverAdapter,
        options: {
          uiConfig: { boardTitle: access === 'read' ? 'callintake queues (read-only)' : 'callintake queues' },
        },
      });
      await board.register(serverAdapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
    });
  }
};
