// The --tls-matrix and --pcap parts of probe_summary.json (optional fields there).
import { z } from 'zod';

import { TLS_VERSIONS } from './constants.js';
export { TLS_VERSIONS };
export const TlsVersionSchema = z.enum(TLS_VERSIONS);
export type TlsVersion = z.infer<typeof TlsVersionSchema>;

export const VersionStatusSchema = z
  .enum(['accepted', 'refused', 'runtime-cannot-offer', 'unreachable', 'not-tried'])
  .describe('refused: the server (or a middlebox) ended the handshake; runtime-cannot-offer: this Node/OpenSSL could not even send that ClientHello; unreachable: TCP or STARTTLS failed first');

export const MatrixVersionSchema = z.object({
  version: TlsVersionSchema,
  status: VersionStatusSchema,
  ciphers: z.array(z.object({ name: z.string(), standard_name: z.string().nullable() })).describe('suites the server accepted for this version, as far as the handshake budget went'),
  ciphers_complete: z.boolean().describe('false when the handshake or time budget ended the enumeration early'),
  error: z.string().nullable(),
  handshakes: z.number().int().nonnegative(),
});

export const MatrixFindingSchema = z.object({
  id: z.string(),
  severity: z.enum(['error', 'warning', 'info']),
  text: z.string(),
  next_step: z.string(),
  evidence: z.string().optional().describe('the handshake results the finding rests on, one line'),
});

export const MatrixPortSchema = z.object({
  ip: z.string(),
  port: z.number().int(),
  mode: z.enum(['starttls', 'implicit']),
  versions: z.array(MatrixVersionSchema),
  verification: z
    .object({ name: z.string(), authorized: z.boolean(), verify_error: z.string().nullable(), reason: z.string().nullable() })
    .nullable()
    .describe('certificate and host-name check of the first accepted handshake'),
  findings: z.array(MatrixFindingSchema),
  ms: z.number().nonnegative(),
});

export const RuntimeTlsSchema = z.object({
  node: z.string(),
  openssl: z.string(),
  default_min_version: z.string(),
  default_max_version: z.string(),
  default_offer: z.array(TlsVersionSchema).describe('versions a client on this runtime offers with default settings (what a bot on it does)'),
  can_offer: z.array(TlsVersionSchema).describe('versions this runtime can offer at all (SECLEVEL=0, minVersion TLSv1)'),
  default_ciphers: z.string(),
  notes: z.array(z.string()),
});

export const TlsMatrixSchema = z.object({
  runtime: RuntimeTlsSchema,
  ports: z.array(MatrixPortSchema),
  limits: z.object({ max_handshakes_per_port: z.number().int(), budget_ms_per_port: z.number().int(), concurrency: z.number().int() }),
  skipped: z.string().nullable().describe('why no matrix was made (e.g. an explicit proxy), or null'),
  addresses: z
    .object({ resolved: z.array(z.string()), probed: z.array(z.string()), cap: z.number().int().positive() })
    .optional()
    .describe('the addresses the matrix ran on: each resolved one up to the cap (the rest are named in the report)'),
  findings: z.array(MatrixFindingSchema.extend({ where: z.string().nullable().describe('the port') })).optional().describe('findings across addresses, e.g. two addresses of the same port accepting different versions'),
});
export type TlsMatrix = z.infer<typeof TlsMatrixSchema>;
export type MatrixPort = z.infer<typeof MatrixPortSchema>;
export type MatrixVersion = z.infer<typeof MatrixVersionSchema>;
export type RuntimeTls = z.infer<typeof RuntimeTlsSchema>;

export const PcapSchema = z.object({
  file: z.string().nullable().describe('capture.pcap when a capture was written'),
  tool: z.string().nullable(),
  filter: z.string().nullable(),
  interface: z.string().nullable(),
  packets: z.number().int().nonnegative().nullable(),
  message: z.string().describe('what happened, one line (also when no capture could be made)'),
});
export type Pcap = z.infer<typeof PcapSchema>;
