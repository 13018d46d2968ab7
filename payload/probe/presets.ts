// `--provider`: a provider's documented endpoints and personality, read from the classifier's
// providers file (data/providers.json), so the probe's settings and the classifier's
// expectations (STARTTLS always offered, certificate issuers) come from the same entry.
import { loadProviders } from '../classify/knowledge.js';
import type { PresetData } from '../classify/knowledge-schema.js';
import type { ProviderPreset } from '../schema/summary.js';
import { UsageError } from '../util/errors.js';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

export interface Endpoint {
  host: string;
  port: number;
  mode: 'starttls' | 'implicit';
  /** Documented, but only probed when asked for (port 25). */
  optional: boolean;
}

export interface Preset {
  id: string;
  name: string;
  /** The providers.json entry the preset belongs to: the classifier's provider id. */
  provider: string;
  region: string | null;
  endpoints: Endpoint[];
  record: ProviderPreset;
}

function all(): Array<{ provider: string; preset: PresetData; issuer: string | null; starttls: boolean; username?: string; mechs?: string[] }> {
  return loadProviders().flatMap((p) =>
    (p.presets ?? []).map((preset) => ({ provider: p.id, preset, issuer: p.certificate_issuers?.name ?? null, starttls: p.always_offers_starttls, username: p.username, mechs: p.auth_mechanisms })),
  );
}

/** Every name `--provider` takes, in the file's order. */
export function presetIds(): string[] {
  return all().map((x) => x.preset.id);
}

/** The preset `id`, its `{region}` filled in (its default without --region). */
export function resolvePreset(id: string, region?: string): Preset {
  const hit = all().find((x) => x.preset.id === id.trim().toLowerCase());
  if (!hit) throw new UsageError(`invalid --provider "${id}": expected one of ${presetIds().join(', ')}`);
  const p = hit.preset;
  if (region !== undefined && !p.region) throw new UsageError(`--region only applies to a provider with regional endpoints (ses), not ${p.id}`);
  if (region !== undefined && !REGION.test(region)) throw new UsageError(`invalid --region "${region}": expected a region name such as eu-west-1`);
  const r = p.region ? (region ?? p.region.default) : null;
  const endpoints = p.smtp.map((e) => ({ host: r ? e.host.replaceAll('{region}', r) : e.host, port: e.port, mode: e.mode, optional: e.optional === true }));
  return {
    id: p.id,
    name: p.name,
    provider: hit.provider,
    region: r,
    endpoints,
    record: {
      id: p.id,
      name: p.name,
      region: r,
      region_defaulted: !!r && region === undefined,
      endpoints: endpoints.map((e) => ({ host: e.host, port: e.port, mode: e.mode, optional: e.optional })),
      username: p.username ?? hit.username ?? null,
      auth_mechanisms: p.auth_mechanisms ?? hit.mechs ?? [],
      always_offers_starttls: hit.starttls,
      certificate_issuer: hit.issuer,
      source: p.source,
    },
  };
}

/** The `--port` list a preset sets: its first host's endpoints that are probed by default. */
export function presetPorts(p: Preset): string[] {
  const host = p.endpoints[0]!.host;
  return p.endpoints.filter((e) => e.host === host && !e.optional).map((e) => `${e.port}:${e.mode}`);
}

/**
 * Fills --host and --port from the preset unless the user gave them: `--provider sendgrid
 * --port 2525` probes SendGrid's host on 2525 only.
 */
export function applyPreset(flags: { host: string; port?: string[]; provider?: string; region?: string }, fromCli: (flag: 'host' | 'port') => boolean): Preset | null {
  if (flags.provider === undefined) {
    if (flags.region !== undefined) throw new UsageError('--region needs --provider ses');
    return null;
  }
  const p = resolvePreset(flags.provider, flags.region);
  if (!fromCli('host')) flags.host = p.endpoints[0]!.host;
  if (!fromCli('port')) flags.port = presetPorts(p);
  return p;
}
