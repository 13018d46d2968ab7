// What the test WinRM endpoint runs for a command. There is no PowerShell on this Linux
// machine, so `powershell.exe -EncodedCommand` gets an honest stand-in: the endpoint
// decodes the script and, for smtp-probe's own scripts (recognised by their
// "# smtp-probe/NAME v1" first line, parameters read from the assignments under it), runs
// an equivalent Python program with the same stdin/stdout contract and exit codes.
// A test may add exact scripts with the shell command that stands in for them. Any other
// PowerShell fails loudly with exit code 1. Plain commands (cmd.exe's role) run under /bin/sh.

export type StandInTable = ReadonlyMap<string, string>;

export type Launch =
  | { kind: 'spawn'; argv: string[]; what: string }
  /** smtp-probe/stdin-script: the real script arrives on stdin as base64 of UTF-8. */
  | { kind: 'stdin-script' };

const UPLOAD_PY = `
import base64, hashlib, os, sys, uuid
dest, want = sys.argv[1], sys.argv[2]
os.makedirs(os.path.dirname(dest) or '.', exist_ok=True)
tmp = dest + '.part-' + uuid.uuid4().hex
h, n, ended = hashlib.sha256(), 0, False
with open(tmp, 'wb') as f:
    for line in sys.stdin.buffer:
        line = line.strip()
        if line == b'.':
            ended = True
            break
        b = base64.b64decode(line)
        f.write(b)
        h.update(b)
        n += len(b)
got = h.hexdigest()
err = None if ended else 'upload: stdin ended before the end marker'
if err is None and got != want:
    err = 'upload: sha256 mismatch: expected %s, got %s' % (want, got)
if err:
    os.remove(tmp)
    sys.stderr.write(err + '\\r\\n')
    sys.exit(1)
os.replace(tmp, dest)
sys.stdout.write('ok %d %s\\r\\n' % (n, got))
`;

const DOWNLOAD_PY = `
import base64, hashlib, os, sys
path, max_bytes = sys.argv[1], int(sys.argv[2])
try:
    f = open(path, 'rb')
except OSError as e:
    sys.stderr.write('download: %s\\r\\n' % e)
    sys.exit(2)
size = os.fstat(f.fileno()).st_size
if size > max_bytes:
    sys.stderr.write('too-large %d\\r\\n' % size)
    sys.exit(3)
h = hashlib.sha256()
for b in iter(lambda: f.read(1 << 20), b''):
    h.update(b)
f.seek(0)
out = sys.stdout
out.write('%d %s\\r\\n' % (size, h.hexdigest()))
for b in iter(lambda: f.read(49152), b''):
    out.write(base64.b64encode(b).decode() + '\\r\\n')
`;

const APPEND_PY = `
import base64, sys
data = base64.b64decode(sys.stdin.buffer.read())
with open(sys.argv[1], 'ab') as f:
    f.write(data)
`;

const PRELUDE = "$ProgressPreference = 'SilentlyContinue'\n";

function refuse(message: string): Launch {
  return { kind: 'spawn', argv: ['/bin/sh', '-c', 'printf "%s\\r\\n" "$1" >&2; exit 1', 'sh', message], what: 'refusal' };
}

/** The `$Name = 'value'` / `$Name = 123` assignments of a script, by name. */
export function scriptParams(script: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of script.matchAll(/^\$(\w+) = (?:'((?:[^']|'')*)'|(\d+))\s*$/gm)) out[m[1]!] = m[2] !== undefined ? m[2].replace(/''/g, "'") : m[3]!;
  return out;
}

/** The script of a `powershell.exe ... -EncodedCommand B64` command line, or null. */
export function encodedScript(args: string): string | null {
  const m = /(?:^|\s)-(?:EncodedCommand|enc|ec|e)\s+([A-Za-z0-9+/=]+)/i.exec(args);
  return m ? Buffer.from(m[1]!, 'base64').toString('utf16le') : null;
}

export function resolvePowerShell(script: string, table: StandInTable): Launch {
  const body = script.startsWith(PRELUDE) ? script.slice(PRELUDE.length) : script;
  const first = body.split('\n', 1)[0]!;
  const p = scriptParams(body);
  const py = (code: string, ...args: string[]): Launch => ({ kind: 'spawn', argv: ['/usr/bin/python3', '-c', code, ...args], what: first });
  if (first.startsWith('# smtp-probe/stdin-script v1')) return { kind: 'stdin-script' };
  if (first.startsWith('# smtp-probe/upload v1') && p.Dest && p.Sha256) return py(UPLOAD_PY, p.Dest, p.Sha256);
  if (first.startsWith('# smtp-probe/download v1') && p.Path && p.MaxBytes) return py(DOWNLOAD_PY, p.Path, p.MaxBytes);
  if (first.startsWith('# smtp-probe/append-chunk v1') && p.Path) return py(APPEND_PY, p.Path);
  const sh = table.get(body);
  if (sh !== undefined) return { kind: 'spawn', argv: ['/bin/sh', '-c', sh], what: 'test stand-in' };
  return refuse(`lab WinRM endpoint: no PowerShell on this machine and no stand-in for this script: ${first.slice(0, 80)}`);
}

export function resolveCommand(command: string, args: string, table: StandInTable): Launch {
  const exe = command.trim().replace(/^.*[\\/]/, '').toLowerCase();
  if (exe === 'powershell.exe' || exe === 'powershell') {
    const script = encodedScript(args);
    return script === null ? refuse('lab WinRM endpoint: powershell.exe runs only with -EncodedCommand here') : resolvePowerShell(script, table);
  }
  return { kind: 'spawn', argv: ['/bin/sh', '-c', args ? `${command} ${args}` : command], what: 'sh' };
}
