// The tee's message summariser on messages that are long, nested, broken or hostile:
// it must stay bounded and keep only names, types and sizes.
import { describe, expect, it } from 'vitest';
import { MAX_LINE, MessageSummariser } from '../../payload/tee/mime-summary.js';

/** Feeds `text` in chunks of `size` bytes, so a line or boundary is cut at every place. */
function summarise(text: string | Buffer, size = 7) {
  const m = new MessageSummariser();
  const b = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  for (let i = 0; i < b.length; i += size) m.write(b.subarray(i, i + size));
  return m.finish();
}

const crlf = (lines: string[]) => lines.join('\r\n') + '\r\n';

describe('message summariser', () => {
  it('lists header names (never values) and an attachment with its decoded size', () => {
    const f = summarise(
      crlf([
        'From: Alice <alice@example.com>',
        'Subject: Invoice for Mr Secret',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain',
        '',
        'hello body text',
        '--b1',
        'Content-Type: application/pdf; name="inv.pdf"',
        'Content-Disposition: attachment; filename="inv.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        'QUJDREVGR0hJSktM',
        '--b1--',
      ]),
    );
    expect(f.header_names).toEqual(['from', 'subject', 'content-type']);
    expect(f.attachments).toEqual([{ name: 'inv.pdf', type: 'application/pdf', transfer_encoding: 'base64', encoded_bytes: 18, bytes: 13 }]);
    expect(JSON.stringify(f)).not.toMatch(/alice|Secret|hello body/);
    expect(f.notes).toEqual([]);
  });

  it('finds attachments in nested multiparts, with RFC 2231 and encoded-word names', () => {
    const f = summarise(
      crlf([
        'Content-Type: multipart/mixed; boundary=outer',
        '',
        'preamble',
        '--outer',
        'Content-Type: multipart/alternative;',
        '\tboundary="inner"',
        '',
        '--inner',
        'Content-Type: text/plain',
        '',
        'text',
        '--inner',
        'Content-Type: text/html',
        '',
        '<p>text</p>',
        '--inner--',
        '--outer',
        "Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.docx",
        'Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        '',
        'xx',
        '--outer',
        'Content-Type: application/x-msdownload; name="=?UTF-8?B?aW52b2ljZS5leGU=?="',
        '',
        'MZ',
        '--outer--',
        'epilogue',
      ]),
    );
    expect(f.attachments.map((a) => [a.name, a.type])).toEqual([
      ['résumé.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
      ['invoice.exe', 'application/x-msdownload'],
    ]);
    expect(f.max_depth).toBe(2);
    expect(f.notes).toEqual([]);
  });

  it('says so when the final boundary never comes, and still lists what it saw', () => {
    const f = summarise(crlf(['Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Disposition: attachment; filename="a.zip"', '', 'PK...']));
    expect(f.attachments.map((a) => a.name)).toEqual(['a.zip']);
    expect(f.notes).toContain('a multipart without its final boundary');
  });

  it('reads only the start of very long lines and of a huge header block, and stays bounded', () => {
    const long = 'X-Long: ' + 'a'.repeat(5 * MAX_LINE);
    const many = Array.from({ length: 5000 }, (_, i) => `X-H${i}: ${'v'.repeat(40)}`);
    const f = summarise(crlf([long, ...many, 'Content-Type: text/plain', '', 'b'.repeat(200_000)]), 4096);
    expect(f.notes.join('\n')).toMatch(/lines longer than/);
    expect(f.notes.join('\n')).toMatch(/header block larger than/);
    expect(f.header_names.length).toBeLessThanOrEqual(100);
    expect(f.header_names[0]).toBe('x-long');
    expect(f.bytes).toBeGreaterThan(200_000);
  });

  it('caps nesting depth and ignores boundaries longer than allowed', () => {
    const lines: string[] = [];
    for (let i = 0; i < 30; i++) lines.push(`Content-Type: multipart/mixed; boundary="d${i}"`, '', `--d${i}`);
    lines.push('Content-Type: text/plain', '', 'x');
    const f = summarise(crlf(lines), 13);
    expect(f.max_depth).toBeLessThanOrEqual(11);
    expect(f.notes.join('\n')).toMatch(/nesting deeper than 10/);
    const g = summarise(crlf([`Content-Type: multipart/mixed; boundary="${'z'.repeat(300)}"`, '', 'x']));
    expect(g.notes).toContain('a multipart without a usable boundary');
  });

  it('handles bare LF line ends and a message without any header end', () => {
    expect(summarise('Subject: x\nContent-Type: text/plain\n\nbody\n').header_names).toEqual(['subject', 'content-type']);
    expect(summarise('Subject: no blank line and no newline').header_names).toEqual(['subject']);
  });
});
