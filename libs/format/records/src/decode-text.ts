// Reads a single-record metadata file's bytes as text. UTF-8 is the norm; UTF-16 is accepted
// when a BOM says so, because Windows PowerShell 5 writes files that way by default.
import { reject } from '@callintake/schemas';

export function decodeText(content: Buffer, fallbackEncoding = 'utf-8'): string {
  let encoding = fallbackEncoding;
  if (content.length >= 2 && content[0] === 0xff && content[1] === 0xfe) encoding = 'utf-16le';
  else if (content.length >= 2 && content[0] === 0xfe && content[1] === 0xff) encoding = 'utf-16be';
  else if (content.length >= 3 && content[0] === 0xef && content[1] === 0xbb && content[2] === 0xbf)
    encoding = 'utf-8';
  // TextDecoder drops the BOM of the encoding it decodes.
  const decoder = newDecoder(encoding);
  try {
    return decoder.decode(content);
  } catch {
    return reject('parse-error', `the file is not valid ${encoding.toUpperCase()} text`);
  }
}

function newDecoder(encoding: string): InstanceType<typeof TextDecoder> {
  try {
    return new TextDecoder(encoding, { fatal: true });
  } catch {
    return reject('parse-error', `unsupported text encoding "${encoding}"`);
  }
}

/** 1-based line of a character offset, for error messages. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let at = text.indexOf('\n'); at !== -1 && at < offset; at = text.indexOf('\n', at + 1)) line++;
  return line;
}
