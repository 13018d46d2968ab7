// What the test WinRM endpoint runs for a command. There is no PowerShell on this Linux
// machine, so `powershell.exe -EncodedCommand` gets an honest stand-in: the endpoint
// decodes the script and, for smtp-probe's own scripts (recognised by their
// "# smtp-probe/NAME v1" first line, parameters read from the assignments under it), runs
// an equivalent Python program with the same stdin/stdout contract and exit codes.
// A test may add exact scripts with the shell command that stands in for them. Any other
// PowerShell fails loudly with exit code 1. Plain commands (cmd.exe's role) run under /bin/sh.
//
// The deploy cycle (transport/remote-commands.ts) runs here too: %LOCALAPPDATA% is a folder
// of the endpoint's own, shown to the client as a wine `Z:\` path, and the probe runs as
// the uploaded win-x64 node.exe under wine (the win10 prefix of packaging/wine.ts).
import { ensureWinePrefix, findWine, wineEnv } from '../../packaging/wine.js';
import { MARK } from '../../transport/remote-commands.js';

export type StandInTable = ReadonlyMap<string, string>;

/** What the stand-ins need besides the script: exact-script table and the endpoint's user folder. */
export interface StandInContext {
  table: StandInTable;
  /** The Linux folder standing for %LOCALAPPDATA%. */
  localAppData: string;
}

export type Launch =
  | { kind: 'spawn'; argv: string[]; what: string; env?: NodeJS.ProcessEnv }
  /** smtp-probe/stdin-script: the real script is stdin's first line (base64 of UTF-8), the rest its stdin. */
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

/**
 * The deploy script's twin: the same control lines, cache rules (a `.NAME.verified` stamp
 * no older than the file and a matching size, else a full sha256) and exit codes. The
 * probe's output goes through files, since Node under wine cannot write to a pipe; it is
 * passed on when the probe ends (it runs --quiet, so there is little of it).
 */
const DEPLOY_PY = `
import hashlib, json, os, shutil, signal, subprocess, sys, tempfile
p = json.loads(sys.argv[1])
mark, r, rw = p['mark'], p['root'], p['rootWin']
def say(s):
    sys.stdout.write(s + '\\r\\n')
    sys.stdout.flush()
def touch(f):
    open(f, 'ab').close()
    os.utime(f, None)
def cached(a):
    f = os.path.join(r, a['sha256'], a['name'])
    s = os.path.join(r, a['sha256'], '.' + a['name'] + '.verified')
    if not os.path.isfile(f):
        return False
    if a['fresh']:
        touch(s)
    if os.path.isfile(s) and os.path.getsize(f) == a['bytes'] and os.stat(f).st_mtime_ns <= os.stat(s).st_mtime_ns:
        return True
    h = hashlib.sha256()
    with open(f, 'rb') as fh:
        for b in iter(lambda: fh.read(1 << 20), b''):
            h.update(b)
    if h.hexdigest() != a['sha256']:
        return False
    touch(s)
    return True
say('%s root %s' % (mark, rw))
miss = False
for what in ('runtime', 'bundle'):
    if not cached(p[what]):
        say('%s miss %s' % (mark, what))
        miss = True
if miss:
    sys.exit(0)
say(mark + ' cached')
w, ww = os.path.join(r, 'work', p['job']), rw + '\\\\work\\\\' + p['job']
shutil.rmtree(w, ignore_errors=True)
os.makedirs(w)
rt, bd = p['runtime'], p['bundle']
argv = [p['wine'], os.path.join(r, rt['sha256'], rt['name']), rw + '\\\\' + bd['sha256'] + '\\\\' + bd['name'],
        p['command'], '--out', ww + '\\\\out', '--zip-to', ww + '\\\\result.zip', '--quiet']
stdin = subprocess.DEVNULL
if p['passwordStdin']:
    line = sys.stdin.buffer.readline()
    if not line.endswith(b'\\n'):
        sys.stderr.write('deploy: no password line on stdin\\r\\n')
        sys.exit(1)
    argv.append('--password-stdin')
    stdin = subprocess.PIPE
argv += p['probeArgs']
files = tempfile.mkdtemp(prefix='winrm-standin-')
try:
    with open(os.path.join(files, 'out'), 'wb') as out, open(os.path.join(files, 'err'), 'wb') as err:
        proc = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=err, start_new_session=True)
        def stop(sig, frame):  # ctrl_c or terminate: the probe goes too, then this dies of the signal
            os.killpg(proc.pid, signal.SIGKILL)
            signal.signal(sig, signal.SIG_DFL)
            os.kill(os.getpid(), sig)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        if p['passwordStdin']:
            proc.stdin.write(line)
            proc.stdin.close()
            line = None
        rc = proc.wait()
    for name, stream in (('out', sys.stdout), ('err', sys.stderr)):
        with open(os.path.join(files, name), 'rb') as fh:
            stream.buffer.write(fh.read())
        stream.flush()
finally:
    shutil.rmtree(files, ignore_errors=True)
shutil.rmtree(os.path.join(w, 'out'), ignore_errors=True)
z = os.path.join(w, 'result.zip')
if os.path.isfile(z):
    say('%s zip %d' % (mark, os.path.getsize(z)))
say('%s exit %d' % (mark, rc))
sys.exit(rc)
`;

const REMOVE_WORK_PY = `
import os, shutil, sys
shutil.rmtree(sys.argv[1], ignore_errors=False) if os.path.isdir(sys.argv[1]) else None
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

export type PsValue = string | number | boolean | string[];

// PowerShell ends a single-quoted string at any of these, and reads a doubled one as one.
const Q = `['\u2018\u2019\u201a\u201b]`;
const QUOTED = `${Q}((?:(?!${Q}).|${Q}{2})*)${Q}`;
const unquote = (s: string) => s.replace(new RegExp(`(${Q})${Q}`, 'g'), '$1');

/**
 * The parameter block right below a script's first line: `$Name = VALUE` lines, VALUE a
 * single-quoted string, an integer, $true/$false, or @() of single-quoted strings. It ends
 * at the first line that is not one of those (the script's body); a parameter that did not
 * parse is then missing, which the stand-in refuses loudly.
 */
export function paramBlock(script: string): Record<string, PsValue> {
  const out: Record<string, PsValue> = {};
  const str = new RegExp(`^${QUOTED}$`);
  const item = new RegExp(`^\\s*${QUOTED}\\s*(?:,|$)`);
  for (const line of script.split('\n').slice(1)) {
    const m = /^\$(\w+) = (.*?)\s*$/.exec(line);
    if (!m) break;
    const name = m[1]!;
    const raw = m[2]!;
    const s = str.exec(raw);
    if (s) out[name] = unquote(s[1]!);
    else if (/^\d+$/.test(raw)) out[name] = Number(raw);
    else if (/^\$(true|false)$/i.test(raw)) out[name] = raw.toLowerCase() === '$true';
    else if (raw.startsWith('@(') && raw.endsWith(')')) {
      const list: string[] = [];
      let rest = raw.slice(2, -1);
      for (let it; rest.trim() && (it = item.exec(rest)); rest = rest.slice(it[0].length)) list.push(unquote(it[1]!));
      if (rest.trim()) break;
      out[name] = list;
    } else break;
  }
  return out;
}

/** A path the client sent: wine's `Z:\x\y` is the Linux `/x/y`; other paths are used as they are. */
export function hostPath(p: string): string {
  return /^[Zz]:[\\/]/.test(p) ? '/' + p.slice(3).replace(/\\/g, '/') : p;
}

/** The Linux `/x/y` as node.exe under wine sees it. */
export function winePath(p: string): string {
  return 'Z:' + p.replace(/\//g, '\\');
}

/** The script of a `powershell.exe ... -EncodedCommand B64` command line, or null. */
export function encodedScript(args: string): string | null {
  const m = /(?:^|\s)-(?:EncodedCommand|enc|ec|e)\s+([A-Za-z0-9+/=]+)/i.exec(args);
  return m ? Buffer.from(m[1]!, 'base64').toString('utf16le') : null;
}

let wine: { exe: string; env: NodeJS.ProcessEnv } | undefined;
function wineOnce(): { exe: string; env: NodeJS.ProcessEnv } {
  if (wine) return wine;
  const exe = findWine();
  if (!exe) throw new Error('wine is not installed (apt-get install wine64 wine)');
  ensureWinePrefix(exe);
  return (wine = { exe, env: wineEnv() });
}

const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/;
const HEX64 = /^[0-9a-f]{64}$/;

function deployLaunch(p: Record<string, PsValue>, ctx: StandInContext, what: string): Launch {
  const str = (k: string, re: RegExp) => {
    const v = p[k];
    if (typeof v !== 'string' || !re.test(v)) throw new Error(`$${k} is missing or not a plain value`);
    return v;
  };
  const num = (k: string) => {
    if (typeof p[k] !== 'number') throw new Error(`$${k} is missing or not a number`);
    return p[k];
  };
  const bool = (k: string) => {
    if (typeof p[k] !== 'boolean') throw new Error(`$${k} is missing or not $true/$false`);
    return p[k];
  };
  const file = (pre: string) => ({ sha256: str(`${pre}Sha256`, HEX64), name: str(`${pre}Name`, SAFE_NAME), bytes: num(`${pre}Bytes`), fresh: bool(`${pre}Fresh`) });
  const args = p.ProbeArgs;
  if (!Array.isArray(args)) throw new Error('$ProbeArgs is missing or not a list');
  const w = wineOnce();
  const root = `${ctx.localAppData}/smtp-probe`;
  const spec = {
    mark: MARK,
    root,
    rootWin: winePath(root),
    job: str('Job', SAFE_NAME),
    runtime: file('Runtime'),
    bundle: file('Bundle'),
    passwordStdin: bool('PasswordStdin'),
    command: p.Command === undefined ? 'probe' : str('Command', /^(probe|diagnose)$/),
    probeArgs: args,
    wine: w.exe,
  };
  return { kind: 'spawn', argv: ['/usr/bin/python3', '-c', DEPLOY_PY, JSON.stringify(spec)], what, env: w.env };
}

export function resolvePowerShell(script: string, ctx: StandInContext): Launch {
  const body = script.startsWith(PRELUDE) ? script.slice(PRELUDE.length) : script;
  const first = body.split('\n', 1)[0]!;
  const p = scriptParams(body);
  const py = (code: string, ...args: string[]): Launch => ({ kind: 'spawn', argv: ['/usr/bin/python3', '-c', code, ...args], what: first });
  if (first.startsWith('# smtp-probe/stdin-script v2')) return { kind: 'stdin-script' };
  if (first.startsWith('# smtp-probe/upload v1') && p.Dest && p.Sha256) return py(UPLOAD_PY, hostPath(p.Dest), p.Sha256);
  if (first.startsWith('# smtp-probe/download v1') && p.Path && p.MaxBytes) return py(DOWNLOAD_PY, hostPath(p.Path), p.MaxBytes);
  if (first.startsWith('# smtp-probe/append-chunk v1') && p.Path) return py(APPEND_PY, hostPath(p.Path));
  if (first.startsWith('# smtp-probe/deploy v1') || first.startsWith('# smtp-probe/remove-work v1')) {
    try {
      const params = paramBlock(body);
      if (first.startsWith('# smtp-probe/deploy v1')) return deployLaunch(params, ctx, first);
      const job = params.Job;
      if (typeof job !== 'string' || !SAFE_NAME.test(job)) throw new Error('$Job is missing or not a plain folder name');
      return py(REMOVE_WORK_PY, `${ctx.localAppData}/smtp-probe/work/${job}`);
    } catch (err) {
      return refuse(`lab WinRM endpoint: ${first.slice(2, 30)}: ${(err as Error).message}`);
    }
  }
  const sh = ctx.table.get(body);
  if (sh !== undefined) return { kind: 'spawn', argv: ['/bin/sh', '-c', sh], what: 'test stand-in' };
  return refuse(`lab WinRM endpoint: no PowerShell on this machine and no stand-in for this script: ${first.slice(0, 80)}`);
}

export function resolveCommand(command: string, args: string, ctx: StandInContext): Launch {
  const exe = command.trim().replace(/^.*[\\/]/, '').toLowerCase();
  if (exe === 'powershell.exe' || exe === 'powershell') {
    const script = encodedScript(args);
    return script === null ? refuse('lab WinRM endpoint: powershell.exe runs only with -EncodedCommand here') : resolvePowerShell(script, ctx);
  }
  return { kind: 'spawn', argv: ['/bin/sh', '-c', args ? `${command} ${args}` : command], what: 'sh' };
}
