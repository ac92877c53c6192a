// The OpenAPI document and swagger-ui: public, so a caller can learn how to authenticate. The
// document is @fastify/swagger's, generated from the route schemas (../openapi.ts); swagger-ui's
// script, style and images are files of @fastify/swagger-ui in node_modules, served from here (no
// CDN: the clusters have no network), and it reads the same document from /docs/json.
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsync } from 'fastify';
import { HIDDEN } from '../openapi';

export const DOCS_PATH = '/docs';

/**
 * Only this origin's scripts, and no framing. swagger-ui styles its elements inline and shows
 * images as data: URLs; it fetches nothing but the document (and, on "Try it out", this API).
 */
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export const docsRoutes: FastifyPluginAsync = async (docs) => {
  docs.get('/openapi.json', HIDDEN, async () => docs.swagger());
  await docs.register(swaggerUi, {
    routePrefix: DOCS_PATH,
    staticCSP: DOCS_CSP,
    theme: { title: 'callintake status API' },
    uiConfig: { docExpansion: 'list', deepLinking: true, persistAuthorization: false },
    // No calls to the public validator badge service.
    validatorUrl: false,
  });
};
