// The lab WinRM endpoint checked by an independent client: Debian's pywinrm (python3-winrm),
// over HTTPS with the lab CA, with Basic and with NTLM (requests_ntlm). If pywinrm can run a
// command and read its output and exit code, the endpoint speaks WS-Management well enough
// to judge our own client against it.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startWinRmLab, type WinRmLab } from '../lab/winrm-server.js';

const PY = `
import json, sys, winrm
host, port, ca, user, pw, auth = sys.argv[1:7]
s = winrm.Session('https://%s:%s/wsman' % (host, port), auth=(user, pw), transport=auth,
                  server_cert_validation='validate', ca_trust_path=ca)
r = s.run_cmd('printf', ['"out-%s\\\\n"', auth, ';', 'printf', 'err-line', '>&2', ';', 'exit', '7'])
print(json.dumps({'code': r.status_code, 'out': r.std_out.decode(), 'err': r.std_err.decode()}))
`;

function pywinrm(lab: WinRmLab, ca: string, user: string, pw: string, auth: 'basic' | 'ntlm'): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', ['-c', PY, lab.host, String(lab.port), ca, user, pw, auth], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`pywinrm failed: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout) as { code: number; out: string; err: string });
    });
  });
}

describe('lab WinRM endpoint, driven by pywinrm (python3-winrm)', () => {
  let lab: WinRmLab;
  const ca = inject('lab').caFile;
  beforeAll(async () => {
    const dir = inject('lab').dir;
    lab = await startWinRmLab({
      certPem: readFileSync(join(dir, 'server.crt'), 'utf8'),
      keyPem: readFileSync(join(dir, 'server.key'), 'utf8'),
      users: { runner: 'S3cret-pass' },
    });
  });
  afterAll(() => lab.stop());

  it('pywinrm with Basic auth runs a command (real sh) and reads stdout, stderr and exit code', async () => {
    const r = await pywinrm(lab, ca, 'runner', 'S3cret-pass', 'basic');
    expect(r).toEqual({ code: 7, out: 'out-basic\n', err: 'err-line' });
  });

  it('pywinrm with NTLM (requests_ntlm, NTLMv2) authenticates and runs a command', async () => {
    const r = await pywinrm(lab, ca, 'runner', 'S3cret-pass', 'ntlm');
    expect(r).toEqual({ code: 7, out: 'out-ntlm\n', err: 'err-line' });
  });

  it('pywinrm with a wrong NTLM password is refused', async () => {
    await expect(pywinrm(lab, ca, 'runner', 'wrong', 'ntlm')).rejects.toThrow(/401|InvalidCredentials|credentials/i);
  });
});
