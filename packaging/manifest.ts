// manifest.json of a payload build: what smtp-fleet pushes, and the hashes runners cache by.
import { join } from 'node:path';
import { z } from 'zod';

export const ArtifactSchema = z.object({
  /** File name inside the build folder, relative, forward slashes. */
  name: z.string().regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/),
  role: z.enum(['bundle', 'loader', 'runtime', 'single-executable']),
  /** `any` for the bundle and its loader: one file runs on every target's runtime. */
  platform: z.enum(['any', 'linux-x64', 'win-x64']),
  /** smtp-probe's version for the bundle and executables, Node's for a runtime. */
  version: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Windows executables: whether a PE certificate table (Authenticode signature) is present. */
  signed: z.boolean().optional(),
});
export type Artifact = z.infer<typeof ArtifactSchema>;

/** 2: the loader artifact, which runners start in place of the bundle. */
export const MANIFEST_VERSION = 2;

export const ManifestSchema = z.object({
  manifest_version: z.literal(MANIFEST_VERSION),
  name: z.literal('smtp-probe-payload'),
  version: z.string(),
  node_version: z.string(),
  built_at: z.string(),
  artifacts: z.array(ArtifactSchema).min(1),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export interface PayloadArtifacts<A> {
  runtime: A;
  bundle: A;
  loader: A;
}

/** The runtime, bundle and loader that together run the probe on one target. */
export function artifactsFor(m: Manifest, platform: 'linux-x64' | 'win-x64'): PayloadArtifacts<Artifact> {
  const runtime = m.artifacts.find((a) => a.role === 'runtime' && a.platform === platform);
  const bundle = m.artifacts.find((a) => a.role === 'bundle');
  const loader = m.artifacts.find((a) => a.role === 'loader');
  const missing = !runtime ? `${platform} runtime` : !bundle ? 'bundle' : !loader ? 'loader' : null;
  if (missing || !runtime || !bundle || !loader) throw new Error(`payload manifest has no ${missing}; run npm run build:payload`);
  return { runtime, bundle, loader };
}

/** What a deploy sends of one target's artifacts: local path, file name on the runner, hash and size. */
export function deployArtifacts(m: Manifest, payloadDir: string, platform: 'linux-x64' | 'win-x64'): PayloadArtifacts<{ localPath: string; name: string; sha256: string; bytes: number }> {
  const a = artifactsFor(m, platform);
  const one = (x: Artifact) => ({ localPath: join(payloadDir, x.name), name: x.name.split('/').pop()!, sha256: x.sha256, bytes: x.bytes });
  return { runtime: one(a.runtime), bundle: one(a.bundle), loader: one(a.loader) };
}
