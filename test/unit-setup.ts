// The unit project's global setup: no lab, only a scratch folder of the run's own, removed
// at the end, so helpers' tempDir() works the same in both projects.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    scratch: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-unit-'));
  project.provide('scratch', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
