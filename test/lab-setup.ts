// The lab project's global setup: starts the loopback lab once for the whole run and hands
// its coordinates to tests.
import type { TestProject } from 'vitest/node';
import { startLab, type LabInfo } from '../lab/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    lab: LabInfo;
    /** Where tests make their temporary folders: the lab's, removed by its teardown. */
    scratch: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const lab = await startLab();
  project.provide('lab', lab.info);
  project.provide('scratch', lab.info.dir);
  return async () => {
    await lab.stop();
    if (process.env.LAB_DEBUG) console.error('after lab.stop, active:', process.getActiveResourcesInfo().join(', '));
  };
}
