import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MEDIA_EXTENSIONS,
  METADATA_EXTENSIONS,
  isMediaExtension,
  isMetadataExtension,
  splitExtension,
} from './extensions';

describe('splitExtension', () => {
  it('splits at the last dot, lower-casing only the extension', () => {
    assert.deepEqual(splitExtension('20171012-140253_Joe_Baducci.WAV'), {
      stem: '20171012-140253_Joe_Baducci',
      extension: 'wav',
    });
    assert.deepEqual(splitExtension('calls.2024.01.JSON'), { stem: 'calls.2024.01', extension: 'json' });
  });

  it('gives no extension to names without one, hidden names or a trailing dot', () => {
    assert.deepEqual(splitExtension('README'), { stem: 'README', extension: '' });
    assert.deepEqual(splitExtension('.wav'), { stem: '.wav', extension: '' });
    assert.deepEqual(splitExtension('call.'), { stem: 'call.', extension: '' });
    assert.deepEqual(splitExtension(''), { stem: '', extension: '' });
  });
});

describe('extension lists', () => {
  it('lists the media and metadata extensions of the spec', () => {
    assert.deepEqual([...MEDIA_EXTENSIONS].sort(), [
      'aif',
      'aiff',
      'arf',
      'au',
      'flac',
      'gsm',
      'm4a',
      'mp3',
      'mp4',
      'mpeg',
      'mpg',
      'ogg',
      'wav',
      'webm',
      'wma',
      'wmv',
    ]);
    assert.deepEqual([...METADATA_EXTENSIONS].sort(), ['csv', 'json', 'xml', 'yaml', 'yml']);
  });

  it('recognizes lower-case extensions as split', () => {
    assert.equal(isMediaExtension('flac'), true);
    assert.equal(isMediaExtension('json'), false);
    assert.equal(isMetadataExtension('yaml'), true);
    assert.equal(isMetadataExtension('wav'), false);
  });
});
