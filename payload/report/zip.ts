// attachments/all_files.zip: every file of the run in one archive for the ticket.
import { createWriteStream } from 'node:fs';
import { ZipFile } from 'yazl';

export function writeZip(target: string, entries: ReadonlyArray<{ name: string; data: Buffer }>, mtime = new Date()): Promise<number> {
  return new Promise((resolve, reject) => {
    const zip = new ZipFile();
    for (const e of entries) zip.addBuffer(e.data, e.name, { mtime, mode: 0o100644 });
    zip.end();
    const out = createWriteStream(target);
    let bytes = 0;
    zip.outputStream.on('data', (c: Buffer) => (bytes += c.length));
    zip.outputStream.pipe(out);
    out.on('close', () => resolve(bytes));
    out.on('error', reject);
    zip.outputStream.on('error', reject);
  });
}
