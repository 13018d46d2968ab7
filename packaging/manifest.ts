// manifest.json of a payload build: what smtp-fleet pushes, and the hashes runners cache by.
import { z } from 'zod';

export const ArtifactSchema = z.object({
  /** File name inside the build folder, relative, forward slashes. */
  name: z.string().regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/),
  role: z.enum(['bundle', 'runtime', 'single-executable']),
  /** `any` for the bundle: one file runs on every target's runtime. */
  platform: z.enum(['any', 'linux-x64', 'win-x64']),
  /** smtp-probe's version for the bundle and executables, Node's for a runtime. */
  version: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Windows executables: whether a PE certificate table (Authenticode signature) is present. */
  signed: z.boolean().optional(),
});
export type Artifact = z.infer<typeof ArtifactSchema>;

export const ManifestSchema = z.object({
  manifest_version: z.literal(1),
  name: z.literal('smtp-probe-payload'),
  version: z.string(),
  node_version: z.string(),
  built_at: z.string(),
  artifacts: z.array(ArtifactSchema).min(1),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** The runtime and bundle that together run the probe on one target. */
export function artifactsFor(m: Manifest, platform: 'linux-x64' | 'win-x64'): { runtime: Artifact; bundle: Artifact } {
  const runtime = m.artifacts.find((a) => a.role === 'runtime' && a.platform === platform);
  const bundle = m.artifacts.find((a) => a.role === 'bundle');
  if (!runtime || !bundle) throw new Error(`payload manifest has no ${runtime ? 'bundle' : `${platform} runtime`}; run npm run build:payload`);
  return { runtime, bundle };
}
