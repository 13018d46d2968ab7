// docker-compose.yml cannot be started here (no Docker engine on our machines), so this
// checks what can be: the services and their wiring, and that every command it runs is a
// real smtp-fleet command line.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../helpers.js';

interface Service {
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, unknown>;
}
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };

describe('docker-compose.yml (wiring only: no Docker engine runs here)', () => {
  it('runs Redis with its append-only file, and workers and controller against it on one shared store', () => {
    const { redis, worker, controller } = compose.services;
    expect(redis?.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    for (const s of [worker!, controller!]) {
      expect(s.environment?.REDIS_URL).toBe('redis://redis:6379');
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
});
