// The Windows-style SSH host's command runner (sshd ForceCommand): what Windows OpenSSH does
// with a command, as far as smtp-probe depends on it. cmd.exe refuses a command line over
// 8,191 characters with "The command line is too long."; `powershell.exe ARGS` runs real
// PowerShell 7 (pwsh) with those arguments; SFTP requests go to OpenSSH's sftp-server; any
// other program is "not recognized", as cmd says. PowerShell's output goes through files
// tailed to ours, because node.exe under wine cannot write to a Unix pipe.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { clearInterval, setInterval } from 'node:timers';

const LIMIT = 8191;
const line = process.env.SSH_ORIGINAL_COMMAND ?? '';

if (line === '' || line === 'internal-sftp' || /(^|\/)sftp-server$/.test(line) || line === 'sftp') {
  const p = spawn('/usr/lib/openssh/sftp-server', [], { stdio: 'inherit' });
  p.on('close', (code) => process.exit(code ?? 1));
} else if (line.length > LIMIT) {
  process.stderr.write('The command line is too long.\r\n');
  process.exit(1);
} else {
  const words = line.trim().split(/\s+/);
  const exe = words[0].replace(/^.*[\\/]/, '').toLowerCase();
  if (exe !== 'powershell.exe' && exe !== 'powershell') {
    process.stderr.write(`'${words[0]}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n`);
    process.exit(1);
  }
  const dir = mkdtempSync(join(tmpdir(), 'cmd-shim-'));
  const files = [join(dir, 'out'), join(dir, 'err')];
  const fds = files.map((f) => openSync(f, 'w+'));
  const readers = files.map((f, i) => ({ fd: openSync(f, 'r'), pos: 0, to: i === 0 ? 1 : 2 }));
  const buf = Buffer.alloc(1 << 16);
  const pump = () => {
    for (const r of readers)
      for (let n; (n = readSync(r.fd, buf, 0, buf.length, r.pos)) > 0; r.pos += n) {
        let off = 0;
        while (off < n) off += writeAll(r.to, buf.subarray(off, n));
      }
  };
  const p = spawn(process.env.LAB_PWSH ?? 'pwsh', words.slice(1), { stdio: ['inherit', fds[0], fds[1]] });
  const timer = setInterval(pump, 20);
  const stop = (code) => {
    clearInterval(timer);
    pump();
    for (const fd of [...fds, ...readers.map((r) => r.fd)]) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  };
  p.on('error', () => stop(1));
  p.on('close', (code) => stop(code ?? 1));
  for (const sig of ['SIGHUP', 'SIGTERM', 'SIGINT']) process.on(sig, () => p.kill('SIGKILL'));
}

/** Bytes of chunk written to fd (0 when a non-blocking pipe is full: the caller tries again). */
function writeAll(fd, chunk) {
  try {
    return writeSync(fd, chunk);
  } catch (e) {
    if (e.code === 'EAGAIN') return 0;
    throw e;
  }
}
