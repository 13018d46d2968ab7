// docker-compose.yml cannot be started here (no Docker engine on our machines), so this
// checks what can be: the services and their wiring, and that every command it runs is a
// real smtp-fleet command line.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { waitFor } from './fleet/harness.js';
import { ROOT } from './helpers.js';
import { freePort } from '../lab/ports.js';

interface Service {
  command?: string[];
  secrets?: string[];
  healthcheck?: { test: string[] };
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, unknown>;
}
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service>; secrets: Record<string, { file: string }> };

describe('docker-compose.yml (wiring, and its Redis command on a real redis-server: no Docker engine runs here)', () => {
  it('runs Redis with its append-only file, and workers and controller against it on one shared store', () => {
    const { redis, worker, controller } = compose.services;
    expect(redis?.command?.join(' ')).toContain('--appendonly yes');
    for (const s of [worker!, controller!]) {
      // Logged in as the ACL user, password and job key from secret files, never in the URL.
      expect(s.environment?.REDIS_URL).toBe('redis://fleet@redis:6379');
      expect(s.environment?.REDIS_PASSWORD_FILE).toBe('/run/secrets/redis_password');
      expect(s.environment?.SMTP_FLEET_JOB_KEY_FILE).toBe('/run/secrets/job_key');
      expect(s.secrets).toEqual(['redis_password', 'job_key']);
      expect(s.environment?.SMTP_FLEET_STORE?.startsWith('/fleet/')).toBe(true);
      expect(s.volumes).toContain('./fleet:/fleet');
      expect(Object.keys(s.depends_on ?? {})).toContain('redis');
    }
  });

  it('runs only command lines smtp-fleet accepts, through the image entry point', () => {
    const entry = /ENTRYPOINT \["node", "([^"]+)"\]/.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
    expect(entry).toBe('dist/controller/cli.js');
    for (const s of Object.values(compose.services).filter((x) => x.command && x !== compose.services.redis)) {
      // --help after the command line: commander validates the command and its options, runs nothing.
      const out = execFileSync(process.execPath, [join(ROOT, entry!), ...s.command!, '--help'], { encoding: 'utf8' });
      expect(out).toContain(`Usage: smtp-fleet ${s.command![0]}`);
      for (const flag of s.command!.filter((a) => a.startsWith('--'))) expect(out).toContain(`${flag} `);
    }
  });

  it("starts a Redis that refuses anyone without the password (its command run on this machine's redis-server)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'compose-redis-'));
    const port = await freePort(['127.0.0.1']);
    writeFileSync(join(dir, 'redis_password'), 'compose-secret-1234\n');
    const script = compose.services.redis!.command![2]!.replaceAll('$$', '$').replaceAll('/run/secrets/', `${dir}/`).replaceAll('/data/', `${dir}/`);
    const env = { ...process.env, REDISCLI_AUTH: '' };
    execFileSync('sh', ['-c', `${script} --port ${port} --bind 127.0.0.1 --dir ${dir} --daemonize yes --appendonly no`], { env });
    const cli = (args: string[], auth = '') => execFileSync('redis-cli', ['-p', String(port), ...args], { env: { ...env, REDISCLI_AUTH: auth }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    try {
      await waitFor('compose redis', async () => cli(['--user', 'fleet', 'ping'], 'compose-secret-1234') === 'PONG');
      expect(cli(['ping'])).toMatch(/NOAUTH|WRONGPASS/);
      expect(cli(['--user', 'fleet', 'ping'], 'wrong')).toMatch(/NOAUTH|WRONGPASS/);
      expect(statSync(join(dir, 'users.acl')).mode & 0o077).toBe(0);
      // The health check, run the same way, passes.
      const health = compose.services.redis!.healthcheck!.test[1]!.replaceAll('$$', '$').replaceAll('/run/secrets/', `${dir}/`).replace('redis-cli', `redis-cli -p ${port}`);
      execFileSync('sh', ['-c', health], { env });
      expect(Object.keys(compose.secrets).sort()).toEqual(['job_key', 'redis_password']);
    } finally {
      cli(['--user', 'fleet', 'shutdown', 'nosave'], 'compose-secret-1234');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
