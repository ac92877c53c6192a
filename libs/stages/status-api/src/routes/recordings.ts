// POST /v1/tenants/:tenant/recordings: a recording another connector already holds joins the
// pipeline as if captured here, minus the probe: its facts are what the caller says.
import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import { recordingPairingKey } from '@callintake/naming';
import { jobOptions } from '@callintake/queues';
import type { RecordingRecord } from '@callintake/state';
import type { StatusApiDeps } from '../deps';
import { apiRoute } from '../openapi';
import {
  recordingAcceptedSchema,
  registerRecordingBody,
  tenantParams,
  type RegisterRecordingBody,
} from '../schemas';
import { tenantOf } from '../tenant-access';

const registerRecording = apiRoute({
  method: 'POST',
  operationId: 'registerRecording',
  tags: ['recordings'],
  summary: 'registers a recording from another connector',
  description:
    'The recording joins the pipeline as if captured here, minus the probe: its facts are what the ' +
    'caller says. Registering the same external id again queues nothing new.',
  auth: true,
  params: tenantParams,
  body: registerRecordingBody,
  response: { status: 202, description: 'accepted: the call id it makes', schema: recordingAcceptedSchema },
  errors: ['invalid-request', 'unauthorized', 'forbidden', 'unknown-tenant'],
});

function registeredRecording(
  tenantId: string,
  body: RegisterRecordingBody,
  capturedAt: string,
): RecordingRecord {
  return {
    tenantId,
    fileName: body.externalId,
    versionId: `registered-${body.location}`,
    version: 1,
    facts: {
      container: body.container ?? 'unknown',
      ...(body.codec ? { codec: body.codec } : {}),
      ...(body.durationSec !== undefined ? { durationSec: body.durationSec } : {}),
      ...(body.channels !== undefined
        ? { channels: body.channels, speakerSeparation: body.channels >= 2 ? 'channels' : 'diarization' }
        : {}),
      ...(body.sampleRateHz !== undefined ? { sampleRateHz: body.sampleRateHz } : {}),
      sizeBytes: body.sizeBytes ?? 0,
      probed: false,
    },
    archiveUri: body.location,
    sha256: '',
    name: {
      pattern: 'external-id',
      externalId: body.externalId,
      ...(body.source ? { source: body.source } : {}),
    },
    warnings: [],
    capturedAt,
    origin: 'registered',
  };
}

export const recordingRoutes: FastifyPluginAsync<Pick<StatusApiDeps, 'state' | 'producer'>> = async (
  recordings,
  { state, producer },
) => {
  recordings.post<{ Params: z.output<typeof tenantParams>; Body: RegisterRecordingBody }>(
    '/recordings',
    registerRecording,
    async (request, reply) => {
      const tenantId = tenantOf(request).id;
      const { externalId } = request.body;
      const record = registeredRecording(tenantId, request.body, state.clock.now().toISOString());
      await state.recordings.put(record, recordingPairingKey(record));
      // The job id makes registering the same recording again enqueue nothing new.
      await producer.add(
        'match-recording',
        { tenantId, fileName: record.fileName },
        jobOptions.matchRegisteredRecording(tenantId, externalId),
      );
      return reply.code(202).send({ callId: externalId, status: 'accepted' });
    },
  );
};
