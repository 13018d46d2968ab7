// The remote command builders: quoting that holds against hostile values (checked by a real
// sh), job ids made safe as folder names, and Windows path and PowerShell encoding.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { deployScript, encodePowerShell, quoteSh, remoteJoin, sftpPath, workFolderName } from '../../transport/remote-commands.js';

const file = (name: string) => ({ sha256: 'a'.repeat(64), name, bytes: 1, fresh: false });

describe('remote commands', () => {
  it('quotes for sh so that any value comes back as one unchanged word', () => {
    for (const v of [`it's`, '$(touch /tmp/x)', '`id`', 'a b\tc\nd', '"; rm -rf / #', '', '\\']) {
      expect(execFileSync('/bin/sh', ['-c', `printf '%s' ${quoteSh(v)}`]).toString()).toBe(v);
    }
  });

  it('keeps safe job ids as they are and makes the others safe and distinct', () => {
    expect(workFolderName('job-1.retry_2')).toBe('job-1.retry_2');
    const a = workFolderName('sweep:1:host/a');
    const b = workFolderName('sweep:1:host_a');
    expect(a).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(b).toBe('sweep_1_host_a-' + b.split('-').pop());
    expect(a).not.toBe(b);
    expect(workFolderName('..')).not.toMatch(/^\.\.?$/);
  });

  it('refuses artifact names and hashes that could escape their folder', () => {
    const spec = (name: string, sha = 'a'.repeat(64)) => ({ jobId: 'j', runtime: { ...file(name), sha256: sha }, bundle: file('b.mjs'), probeArgs: [] });
    expect(() => deployScript('linux', spec('../node'))).toThrow(/plain file name/);
    expect(() => deployScript('linux', spec('node', 'A'.repeat(64)))).toThrow(/sha256/);
    expect(deployScript('linux', spec('node'))).toContain('probe --out');
  });

  it('is valid sh (parsed by sh -n), whatever the probe arguments hold', () => {
    const script = deployScript('linux', { jobId: 'j', runtime: file('node'), bundle: file('b.mjs'), probeArgs: ['--ehlo-name', "x'; reboot; '"] });
    execFileSync('/bin/sh', ['-n', '-c', script]);
  });

  it('encodes PowerShell as UTF-16LE base64 and maps Windows paths for SFTP', () => {
    const line = encodePowerShell("Write-Output 'é'");
    expect(line).toMatch(/^powershell\.exe -NoProfile -NonInteractive -EncodedCommand [A-Za-z0-9+/=]+$/);
    expect(Buffer.from(line.split(' ').pop()!, 'base64').toString('utf16le')).toContain("Write-Output 'é'");
    expect(sftpPath('windows', 'C:\\Users\\rpa\\AppData\\Local\\smtp-probe\\x.zip')).toBe('/C:/Users/rpa/AppData/Local/smtp-probe/x.zip');
    expect(sftpPath('linux', '/root/.cache/x')).toBe('/root/.cache/x');
    expect(remoteJoin('windows', 'C:\\Users\\rpa\\', 'work', 'j')).toBe('C:\\Users\\rpa\\work\\j');
    expect(remoteJoin('linux', '/root/.cache/smtp-probe/', 'work')).toBe('/root/.cache/smtp-probe/work');
  });
});
