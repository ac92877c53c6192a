import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { traceExportEndpoint } from './trace-export';

describe('traceExportEndpoint', () => {
  it('exports over OTLP/HTTP only when an endpoint is set and no one said none', () => {
    assert.equal(traceExportEndpoint({}), undefined, 'no endpoint: nothing is exported');
    assert.equal(
      traceExportEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }),
      'http://collector:4318/v1/traces',
    );
    assert.equal(
      traceExportEndpoint({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
      }),
      'https://traces.example/otlp',
      'the traces endpoint is used as is and wins',
    );
    assert.equal(
      traceExportEndpoint({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }),
      'http://c:4318/v1/traces',
    );
    for (const off of [{ OTEL_TRACES_EXPORTER: 'none' }, { OTEL_SDK_DISABLED: 'true' }])
      assert.equal(traceExportEndpoint({ ...off, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }), undefined);
    assert.equal(
      traceExportEndpoint({ OTEL_TRACES_EXPORTER: 'otlp' }),
      undefined,
      'otlp without an endpoint',
    );
  });
});
