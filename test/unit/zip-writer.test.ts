// The run's ZIP (payload/report/zip.ts) read back by yauzl, which checks every CRC and size, and
// by the store's own check of ZIPs from runners; entries that deflate would grow are stored.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateResultZip } from '../../store/zip-check.js';
import { writeZip, zipBytes } from '../../payload/report/zip.js';
import { ROOT, tempDir, unzip } from '../helpers.js';

const entries = [
  // A real summary: the store's check reads it against its schema.
  { name: 'probe_summary.json', data: readFileSync(join(ROOT, 'test/fixtures/probe-summary-refused.json')) },
  { name: 'empty.txt', data: Buffer.alloc(0) },
  { name: 'attachments/random.bin', data: randomBytes(70_000) },
  { name: 'transcripts/é 1.txt', data: Buffer.from('EHLO a\r\n250 b\r\n'.repeat(20_000)) },
];

describe('the run ZIP writer', () => {
  it('writes every entry back byte for byte, with valid CRCs, in a ZIP the store accepts', async () => {
    const dir = tempDir('zip-writer-');
    const path = join(dir, 'all_files.zip');
    const size = writeZip(path, entries, new Date(2026, 11, 3, 14, 30, 10));
    expect(readFileSync(path).length).toBe(size);
    const back = await unzip(path);
    expect([...back.keys()]).toEqual(entries.map((e) => e.name));
    for (const e of entries) expect(back.get(e.name)!.equals(e.data), e.name).toBe(true);
    const checked = await validateResultZip(path);
    expect(checked.entries.map((e) => e.name).sort()).toEqual(entries.map((e) => e.name).sort());
  });

  it('deflates what shrinks and stores what would grow', () => {
    const zip = zipBytes(entries);
    // 320 KB of repeated dialogue deflates to a few KB; the random 70 KB stays as it is.
    expect(zip.length).toBeGreaterThan(70_000);
    expect(zip.length).toBeLessThan(80_000);
    const methodOf = (name: string): number => {
      const at = zip.indexOf(Buffer.from(name));
      return zip.readUInt16LE(at - 30 + 8);
    };
    expect(methodOf('attachments/random.bin')).toBe(0);
    expect(methodOf('transcripts/é 1.txt')).toBe(8);
  });

  it('dates entries in MS-DOS local time, as unzip lists them', () => {
    const zip = zipBytes([{ name: 'a', data: Buffer.from('a') }], new Date(2026, 11, 3, 14, 30, 10));
    const time = zip.readUInt16LE(10);
    const date = zip.readUInt16LE(12);
    expect([(date >> 9) + 1980, (date >> 5) & 15, date & 31]).toEqual([2026, 12, 3]);
    expect([time >> 11, (time >> 5) & 63, (time & 31) * 2]).toEqual([14, 30, 10]);
  });
});
