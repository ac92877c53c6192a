// The OpenAPI document and the docs page: public, so a caller can learn how to authenticate.
import type { FastifyPluginAsync } from 'fastify';
import { docsPage, openApiDocument } from '../openapi';

export const docsRoutes: FastifyPluginAsync = async (docs) => {
  const document = openApiDocument();
  const page = docsPage(document);
  docs.get('/openapi.json', async () => document);
  docs.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
};
