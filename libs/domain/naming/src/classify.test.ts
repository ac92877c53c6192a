import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MEDIA_EXTENSIONS } from './extensions';
import { classifyFileName } from './classify';

describe('classifyFileName', () => {
  it('classifies every media extension as a recording, in any case', () => {
    for (const extension of MEDIA_EXTENSIONS) {
      assert.deepEqual(classifyFileName(`call.${extension}`), { kind: 'recording', extension });
      assert.deepEqual(classifyFileName(`CALL.${extension.toUpperCase()}`), { kind: 'recording', extension });
    }
  });

  it('classifies json, xml, yml and yaml as call metadata', () => {
    for (const extension of ['json', 'xml', 'yml', 'yaml']) {
      assert.deepEqual(classifyFileName(`20171012-140253_joe_baducci.${extension}`), {
        kind: 'call-metadata',
        extension,
      });
    }
    assert.deepEqual(classifyFileName('BXyT30eVTWlZjUA.XML'), { kind: 'call-metadata', extension: 'xml' });
  });

  it('classifies a csv named after a CRM object type as a CRM batch, plural type', () => {
    const cases: [string, string][] = [
      ['contacts_20240101T1200.csv', 'contacts'],
      ['Lead-2024.csv', 'leads'],
      ['accounts.csv', 'accounts'],
      ['account.csv', 'accounts'],
      ['OPPORTUNITIES.2024-01-01.CSV', 'opportunities'],
      ['opportunity_1.csv', 'opportunities'],
      ['cases 2024.csv', 'cases'],
      ['case-7.csv', 'cases'],
      ['Contact.csv', 'contacts'],
      ['leads_.csv', 'leads'],
    ];
    for (const [name, crmType] of cases) {
      assert.deepEqual(classifyFileName(name), { kind: 'crm-batch', crmType, extension: 'csv' }, name);
    }
  });

  it('treats a csv whose name merely starts with the letters of a type as call metadata', () => {
    for (const name of [
      'contactsheet.csv',
      'leadership.csv',
      'casey_calls.csv',
      'accounts2024.csv',
      'calls.csv',
    ]) {
      assert.deepEqual(classifyFileName(name), { kind: 'call-metadata', extension: 'csv' }, name);
    }
  });

  it('only csv files can be CRM batches', () => {
    assert.deepEqual(classifyFileName('contacts.json'), { kind: 'call-metadata', extension: 'json' });
    assert.deepEqual(classifyFileName('contacts.wav'), { kind: 'recording', extension: 'wav' });
  });

  it('classifies anything else as unknown', () => {
    assert.deepEqual(classifyFileName('notes.txt'), { kind: 'unknown', extension: 'txt' });
    assert.deepEqual(classifyFileName('README'), { kind: 'unknown', extension: '' });
    assert.deepEqual(classifyFileName('call.wav.part'), { kind: 'unknown', extension: 'part' });
    assert.deepEqual(classifyFileName('archive.tar.gz'), { kind: 'unknown', extension: 'gz' });
  });
});
