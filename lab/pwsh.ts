// Real PowerShell 7 (the dotnet global tool) standing where Windows has powershell.exe, for
// the WinRM endpoint and the Windows-style SSH host. Two facts of this Linux lab shape it:
// - The uploaded win-x64 node.exe is a Windows program: the kernel hands it to wine through
//   a binfmt_misc entry (registered once, needs root), so the deploy script can run it the
//   way it does on Windows, `& $rt @run`.
// - Node under wine cannot write to a Unix pipe (EBADF at start), so PowerShell's stdout and
//   stderr are files here, tailed as they grow; node.exe inherits them.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WINE_PREFIX, ensureWinePrefix, findWine, wineEnv } from '../packaging/wine.js';

const BINFMT = '/proc/sys/fs/binfmt_misc';
const ENTRY = 'smtp-probe-lab-wine';

export function findPwsh(): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), join(homedir(), '.dotnet', 'tools')]) {
    const p = join(dir, 'pwsh');
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

export function requirePwsh(): string {
  const p = findPwsh();
  if (!p) throw new Error('PowerShell 7 is required: dotnet tool install --global PowerShell --version 7.6.9');
  return p;
}

let wineReady: string | undefined;

/** Makes `MZ` executables run under wine (binfmt_misc), with the lab's Windows 10 prefix. */
export function ensureWindowsExecutables(): string {
  if (wineReady) return wineReady;
  const wine = findWine();
  if (!wine) throw new Error('wine is required (apt-get install wine64 wine): node.exe runs under it');
  ensureWinePrefix(wine);
  if (!existsSync(join(BINFMT, 'register'))) execFileSync('mount', ['-t', 'binfmt_misc', 'binfmt_misc', BINFMT], { stdio: 'ignore' });
  const interpreter = execFileSync('sh', ['-c', `command -v ${wine}`]).toString().trim();
  if (!existsSync(join(BINFMT, ENTRY))) writeFileSync(join(BINFMT, 'register'), `:${ENTRY}:M::MZ::${interpreter}:`);
  return (wineReady = interpreter);
}

/** The environment a Windows-style session sees: its own %LOCALAPPDATA%, wine's prefix, no telemetry. */
export function windowsLikeEnv(localAppData: string, home: string): NodeJS.ProcessEnv {
  return {
    ...wineEnv(WINE_PREFIX),
    HOME: home,
    LOCALAPPDATA: localAppData,
    POWERSHELL_TELEMETRY_OPTOUT: '1',
    POWERSHELL_UPDATECHECK: 'Off',
    DOTNET_CLI_TELEMETRY_OPTOUT: '1',
    DOTNET_NOLOGO: '1',
  };
}

/** What a Windows-style sshd sets in its sessions (SetEnv: values without spaces); LOCALAPPDATA is its own. */
export function windowsStyleSshEnv(): Record<string, string> {
  const w = wineEnv(WINE_PREFIX);
  return {
    WINEPREFIX: w.WINEPREFIX!,
    WINEDEBUG: w.WINEDEBUG!,
    WINEDLLOVERRIDES: w.WINEDLLOVERRIDES!,
    LAB_PWSH: requirePwsh(),
    POWERSHELL_TELEMETRY_OPTOUT: '1',
    POWERSHELL_UPDATECHECK: 'Off',
    DOTNET_CLI_TELEMETRY_OPTOUT: '1',
    DOTNET_NOLOGO: '1',
  };
}

/** `powershell.exe ARGS` as this machine runs it; null for anything else. */
export function powershellArgv(commandLine: string): string[] | null {
  const words = commandLine.trim().split(/\s+/);
  const exe = (words[0] ?? '').replace(/^.*[\\/]/, '').toLowerCase();
  if (exe !== 'powershell.exe' && exe !== 'powershell') return null;
  return [requirePwsh(), ...words.slice(1)];
}

export interface FileBackedProcess {
  child: ChildProcess;
  /** Resolves with the exit code (a signal counts as 0xC000013A, Windows' STATUS_CONTROL_C_EXIT) once all output was passed on. */
  exited: Promise<number>;
}

/** Spawns argv with stdout/stderr in files, passing their growth on every 20 ms and at exit. */
export function spawnViaFiles(argv: string[], env: NodeJS.ProcessEnv, onStdout: (b: Buffer) => void, onStderr: (b: Buffer) => void): FileBackedProcess {
  const dir = mkdtempSync(join(tmpdir(), 'lab-pwsh-'));
  const files = { out: join(dir, 'out'), err: join(dir, 'err') };
  const fds = { out: openSync(files.out, 'w+'), err: openSync(files.err, 'w+') };
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', fds.out, fds.err], env });
  const readers = [new Tailer(files.out, onStdout), new Tailer(files.err, onStderr)];
  const timer = setInterval(() => readers.forEach((r) => r.poll()), 20);
  const exited = new Promise<number>((resolve) => {
    const done = (code: number) => {
      clearInterval(timer);
      readers.forEach((r) => r.close());
      closeSync(fds.out);
      closeSync(fds.err);
      rmSync(dir, { recursive: true, force: true });
      resolve(code);
    };
    child.on('error', () => done(1));
    child.on('close', (code, signal) => done(code ?? (signal ? 0xc000013a : 1)));
  });
  return { child, exited };
}

class Tailer {
  private pos = 0;
  private fd: number;
  private buf = Buffer.alloc(1 << 16);
  constructor(
    path: string,
    private readonly emit: (b: Buffer) => void,
  ) {
    this.fd = openSync(path, 'r');
  }
  poll(): void {
    for (;;) {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, this.pos);
      if (n <= 0) return;
      this.pos += n;
      this.emit(Buffer.from(this.buf.subarray(0, n)));
    }
  }
  close(): void {
    this.poll();
    closeSync(this.fd);
  }
}
