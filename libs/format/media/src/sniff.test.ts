import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sniffContainer } from './index';

function bytes(...parts: Array<string | number[]>): Buffer {
  return Buffer.concat([
    ...parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))),
    Buffer.alloc(32),
  ]);
}

describe('sniffContainer', () => {
  const cases: Array<[string, Buffer, string | undefined]> = [
    ['RIFF/WAVE', bytes('RIFF\x24\x00\x00\x00WAVEfmt '), 'wav'],
    ['RF64', bytes('RF64\xff\xff\xff\xffWAVEds64'), 'rf64'],
    ['RIFF/AVI', bytes('RIFF\x24\x00\x00\x00AVI '), 'riff'],
    ['ID3', bytes('ID3\x03\x00'), 'mp3'],
    ['MPEG audio frame sync', bytes([0xff, 0xfb, 0x90, 0x64]), 'mp3'],
    ['MPEG-2 layer III sync', bytes([0xff, 0xf3, 0x48, 0xc4]), 'mp3'],
    ['ADTS AAC', bytes([0xff, 0xf1, 0x50, 0x80]), 'aac'],
    ['FLAC', bytes('fLaC\x00\x00\x00\x22'), 'flac'],
    ['Ogg', bytes('OggS\x00\x02'), 'ogg'],
    ['MP4', bytes('\x00\x00\x00\x20ftypisom'), 'mp4'],
    ['QuickTime starting with wide', bytes('\x00\x00\x00\x08wide\x00\x00\x10\x00mdat'), 'mp4'],
    ['QuickTime starting with mdat', bytes('\x00\x00\x10\x00mdat'), 'mp4'],
    ['text that only spells a box name', Buffer.from('abcdwide and more text\n'), 'text'],
    ['FLAC behind an ID3v2 tag', bytes('ID3\x04\x00\x00\x00\x00\x00\x02xxfLaC'), 'flac'],
    ['M4A', bytes('\x00\x00\x00\x1cftypM4A '), 'mp4'],
    ['WebM', bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81]), 'ebml'],
    ['AIFF', bytes('FORM\x00\x00\x10\x00AIFFCOMM'), 'aiff'],
    ['AIFF-C', bytes('FORM\x00\x00\x10\x00AIFCFVER'), 'aiff'],
    ['Sun au', bytes('.snd\x00\x00\x00\x18'), 'au'],
    [
      'ASF',
      bytes([0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce, 0x6c]),
      'asf',
    ],
    ['MPEG-PS', bytes([0x00, 0x00, 0x01, 0xba, 0x44]), 'mpeg-ps'],
    ['AMR', Buffer.from('#!AMR\n\x3c\x91', 'latin1'), 'amr'],
    ['text', Buffer.from('{"callTime": "2024-01-01T12:00:00Z"}\n'), 'text'],
    ['UTF-8 text with BOM', Buffer.from('\ufeffnom;prénom\r\n'), 'text'],
    ['binary with NULs', Buffer.from([0x00, 0x00, 0x00, 0x07, 0x10, 0x80]), undefined],
    ['invalid UTF-8', Buffer.from([0x41, 0x42, 0xc3, 0x28, 0x43]), undefined],
    ['a lone 0xFF 0xE0 that is no MPEG header', bytes([0xff, 0xe8, 0xf0]), undefined],
    ['nothing', Buffer.alloc(0), undefined],
  ];
  for (const [name, head, expected] of cases) {
    it(`recognises ${name}`, () => {
      assert.equal(sniffContainer(head), expected);
    });
  }
});
