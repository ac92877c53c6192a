// POST /v1/tenants/:tenant/calls/:callId/pair: a person resolves a call by hand, naming its other
// side (any recording or metadata of the tenant, not only fuzzy pairing's candidates). The API
// checks the request against what is stored now and queues a `pair-by-hand` job; the matcher
// pairs under its own locks (and checks 1:1 again, since pairing may move on meanwhile).
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { splitExtension } from '@callintake/naming';
import { jobOptions } from '@callintake/queues';
import type { Call } from '@callintake/schemas';
import type { MetadataRecord, RecordingRecord, StateStore } from '@callintake/state';
import type { StatusApiDeps } from '../deps';
import { ApiError } from '../errors';
import { apiRoute } from '../openapi';
import { pairAcceptedSchema, pairBody, tenantParams, type PairBody } from '../schemas';
import { tenantOf } from '../tenant-access';

const pairParams = tenantParams.extend({ callId: z.string().describe('the waiting call') });

const pairCall = apiRoute({
  method: 'POST',
  operationId: 'pairCall',
  tags: ['calls'],
  summary: 'pairs a waiting call by hand',
  description:
    'An ambiguous or awaiting_recording call with a recording, an awaiting_metadata call with metadata; ' +
    'queues a pair-by-hand job for the matcher (README "Pairing a call by hand").',
  auth: true,
  params: pairParams,
  body: pairBody,
  response: { status: 202, description: 'the pair-by-hand job is queued', schema: pairAcceptedSchema },
  errors: [
    'invalid-request',
    'unauthorized',
    'forbidden',
    'unknown-tenant',
    'not-found',
    'partner-not-found',
    'not-pairable',
    'partner-taken',
  ],
});

/**
 * A metadata record by its file and line: `<file>#<line>` for a batch row, the file name for a
 * single-record file (a per-call CSV keeps its row's line but is named by its file).
 */
async function metadataRecord(
  state: StateStore,
  tenantId: string,
  fileName: string,
  line: number | undefined,
): Promise<MetadataRecord | null> {
  if (line === undefined) return state.metadata.get(tenantId, fileName);
  const row = await state.metadata.get(tenantId, `${fileName}#${line}`);
  if (row) return row;
  const single = await state.metadata.get(tenantId, fileName);
  return single?.line === line ? single : null;
}

/** The call a recording is in, or makes once paired (CONTRACT call id). */
function recordingCallId(recording: RecordingRecord): string {
  if (recording.callId) return recording.callId;
  return recording.origin === 'registered' ? recording.fileName : splitExtension(recording.fileName).stem;
}

export const callPairingRoutes: FastifyPluginAsync<Pick<StatusApiDeps, 'state' | 'producer'>> = async (
  calls,
  { state, producer },
) => {
  calls.post<{ Params: z.output<typeof pairParams>; Body: PairBody }>(
    '/calls/:callId/pair',
    pairCall,
    async (request, reply) => {
      const tenant = tenantOf(request);
      const { callId } = request.params;
      const call = await state.calls.get(tenant.id, callId);
      if (!call) throw new ApiError('not-found', `no call ${callId} for tenant ${tenant.id}`);
      if (call.status === 'ready' || call.status === 'expired')
        throw new ApiError(
          'not-pairable',
          `call ${callId} is ${call.status}: only a call still waiting for its other side (ambiguous, awaiting_recording, awaiting_metadata) is paired by hand`,
        );
      const { recording, metadata } = call.recording
        ? await recordingSide(state, tenant.id, call, request.body)
        : await metadataSide(state, tenant.id, call, request.body);

      // 1:1 as stored now: the recording may carry no other metadata, nor be claimed by one.
      const claim = await state.fuzzy.pairOf(tenant.id, recording.fileName);
      if (claim && claim.recordId !== metadata.recordId)
        throw new ApiError(
          'partner-taken',
          `recording ${recording.fileName} is already paired with metadata ${claim.recordId}`,
        );

      const options = jobOptions.pairByHand(tenant.id, recording.fileName, metadata.recordId);
      await producer.add(
        'pair-by-hand',
        { tenantId: tenant.id, callId, recordingFile: recording.fileName, recordId: metadata.recordId },
        options,
      );
      return reply.code(202).send({
        jobId: options.jobId,
        callId,
        pairedCallId: recordingCallId(recording),
        recording: recording.fileName,
        metadata: {
          fileName: metadata.fileName,
          ...(metadata.line !== undefined && metadata.recordId !== metadata.fileName
            ? { line: metadata.line }
            : {}),
        },
        status: 'queued',
      });
    },
  );
};

/** A call with its recording (awaiting_metadata): the body names the metadata. */
async function recordingSide(state: StateStore, tenantId: string, call: Call, body: PairBody) {
  if (!('metadata' in body))
    throw new ApiError(
      'invalid-request',
      `call ${call.id} has its recording: name its metadata, { "metadata": "<file>", "line"?: <row> }`,
    );
  const recording = await state.recordings.get(tenantId, call.recording?.fileName ?? '');
  if (!recording)
    throw new Error(`call ${call.id} names recording ${call.recording?.fileName}, which is not stored`);
  const where = body.line === undefined ? body.metadata : `${body.metadata} line ${body.line}`;
  const metadata = await metadataRecord(state, tenantId, body.metadata, body.line);
  if (!metadata)
    throw new ApiError(
      'partner-not-found',
      `no metadata ${where} for tenant ${tenantId}${body.line === undefined ? ' (a row of a batch CSV needs its line)' : ''}`,
    );
  if (metadata.replacedBy)
    throw new ApiError('partner-taken', `metadata ${where} was replaced by ${metadata.replacedBy}`);
  const other = metadata.callId ? await state.calls.get(tenantId, metadata.callId) : null;
  if (other?.recording && other.id !== call.id)
    throw new ApiError(
      'partner-taken',
      `metadata ${where} is already in call ${other.id} with recording ${other.recording.fileName}`,
    );
  return { recording, metadata };
}

/** A call with its metadata (ambiguous, awaiting_recording): the body names the recording. */
async function metadataSide(state: StateStore, tenantId: string, call: Call, body: PairBody) {
  if (!('recording' in body))
    throw new ApiError(
      'invalid-request',
      `call ${call.id} has its metadata: name its recording, { "recording": "<file>" }`,
    );
  const metadata = call.metadata
    ? await metadataRecord(state, tenantId, call.metadata.fileName, call.metadata.line)
    : null;
  if (!metadata) throw new Error(`call ${call.id} has no stored metadata record`);
  const recording = await state.recordings.get(tenantId, body.recording);
  if (!recording)
    throw new ApiError('partner-not-found', `no recording ${body.recording} for tenant ${tenantId}`);
  const other = await state.calls.get(tenantId, recordingCallId(recording));
  if (other?.metadata && other.id !== call.id)
    throw new ApiError(
      'partner-taken',
      `recording ${body.recording} is already in call ${other.id} with metadata ${other.metadata.fileName}`,
    );
  return { recording, metadata };
}
