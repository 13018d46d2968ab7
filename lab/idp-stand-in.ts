// A stand-in for an OAuth identity provider's token introspection endpoint (RFC 7662), for
// the lab Dovecot's oauth2 passdb (introspection_mode = post): no real identity provider
// runs on loopback, and Dovecot only needs the endpoint's JSON answer. It knows the tokens
// the test registers; any other token, or one registered as expired, is `active: false`,
// which is what a provider answers for an expired or revoked token.
import { createServer, type Server } from 'node:http';

export interface IdpStandIn {
  /** The URL Dovecot posts `token=...` to. */
  url: string;
  /** How many introspection requests arrived (Dovecot asked, so the token went the whole way). */
  requests(): number;
  close(): Promise<void>;
}

export interface IdpToken {
  user: string;
  /** Seconds from now; negative for a token that has already expired. */
  expiresIn: number;
}

export async function startIdpStandIn(tokens: Record<string, IdpToken>, host = '127.0.0.1'): Promise<IdpStandIn> {
  let count = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      if (body.length < 16_384) body += c;
    });
    req.on('end', () => {
      count++;
      const token = new URLSearchParams(body).get('token') ?? '';
      const t = tokens[token];
      const now = Math.floor(Date.now() / 1000);
      const active = !!t && t.expiresIn > 0;
      const answer = active ? { active: true, username: t.user, scope: 'mail', exp: now + t.expiresIn, token_type: 'Bearer' } : { active: false };
      // connection: close, so Dovecot's http-client never reuses an idle pooled connection
      // just as Node's keep-alive timer (5 s) closes it: the likely cause (not reproduced) of a
      // good token answered "Temporary authentication failure" once in CI.
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  return { url: `http://${host}:${port}/introspect`, requests: () => count, close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }) };
}
