// What each diagnosis means and what a person should do next. Data, not code: the
// classifier picks a hint by id and adds the evidence line it saw.
import type { FailureClass } from './classes.js';

export interface Hint {
  id: string;
  class: FailureClass;
  summary: string;
  next_step: string;
}

export const HINTS = [
  {
    id: 'ok',
    class: 'ok',
    summary: 'the full path works: connection, TLS with a trusted certificate, and the SMTP dialogue up to the point where a bot would authenticate',
    next_step: 'Nothing to fix on the network path. If the bot still fails, run with --auth-test to check its credentials, and compare its server, port and TLS mode with these.',
  },
  {
    id: 'ok-auth',
    class: 'ok',
    summary: 'the full path works including authentication: TLS with a trusted certificate, AUTH accepted, MAIL FROM accepted (and the test message, when one was sent)',
    next_step: 'The network path and the credentials work from this machine. If the bot still fails, compare its server, port, TLS mode, user name and sender address with these.',
  },
  {
    id: 'ok-plain',
    class: 'ok',
    summary: 'the path works in clear text: connection and the SMTP dialogue up to the point where a bot would authenticate; no TLS was tried (--mode plain) and the server does not ask for it before AUTH',
    next_step: 'A bot with SSL/TLS off gets this far. Its password would cross the network unencrypted: prefer STARTTLS (587) or implicit TLS (465) if the server offers them.',
  },
  {
    id: 'tls-plain-starttls-required',
    class: 'tls',
    summary: 'in clear text the server offers STARTTLS and no AUTH: a bot with SSL/TLS off cannot log in here (Gmail then answers "530 5.7.0 Must issue a STARTTLS command first")',
    next_step: 'Turn on STARTTLS ("TLS", "SSL off, TLS on") in the bot for port {port}, or use implicit TLS on the provider\'s SSL port (465 for Gmail).',
  },
  // ---- dns ----
  {
    id: 'dns-nxdomain',
    class: 'dns',
    summary: 'the name does not exist according to the resolver in use (NXDOMAIN)',
    next_step: 'Check the spelling of the SMTP host in the bot. If it is right, the resolver in use is wrong or filtered: compare with --dns 8.8.8.8 and check the resolvers this machine uses.',
  },
  {
    id: 'dns-timeout',
    class: 'dns',
    summary: 'the resolver did not answer in time',
    next_step: 'The configured DNS server is unreachable or overloaded. Check the machine\'s DNS servers (ipconfig /all or resolvectl status) and whether a firewall blocks UDP/TCP 53 to them; compare with --dns.',
  },
  {
    id: 'dns-servfail',
    class: 'dns',
    summary: 'the resolver failed to answer (SERVFAIL or temporary failure)',
    next_step: 'The resolver could not reach the authoritative servers or failed DNSSEC validation. Retry, compare with --dns 8.8.8.8, and raise it with whoever runs the resolver.',
  },
  {
    id: 'dns-no-address',
    class: 'dns',
    summary: 'the name resolves, but to no address of the family in use',
    next_step: 'Use --family any, or check why the resolver returns no A/AAAA records for this name.',
  },
  {
    id: 'dns-error',
    class: 'dns',
    summary: 'name resolution failed',
    next_step: 'Check the machine\'s DNS configuration and compare with --dns 8.8.8.8.',
  },
  {
    id: 'dns-wrong-resolver',
    class: 'dns',
    summary: 'the resolver in use sends the bot to addresses that do not work, while another resolver returns different ones',
    next_step: 'The machine\'s DNS gives a wrong (stale, filtered or hijacked) answer for the mail host. Fix the resolver configuration or its forwarders; the comparison resolver\'s addresses are the ones to expect.',
  },
  {
    id: 'dns-hosts-override',
    class: 'dns',
    summary: 'the hosts file pins the mail host to a fixed address, and that address does not work',
    next_step: 'Remove or correct the hosts-file line named in the evidence (Windows: C:\\Windows\\System32\\drivers\\etc\\hosts, Linux: /etc/hosts); provider addresses change, so they must come from DNS.',
  },
  // ---- connect ----
  {
    id: 'connect-refused',
    class: 'connect',
    summary: 'the connection was refused: nothing listens on that address and port, or a firewall rejects it',
    next_step: 'Check host and port in the bot (587 for STARTTLS, 465 for implicit TLS). If they are right, a firewall on the way rejects outbound SMTP: ask for this port to be opened to the mail provider.',
  },
  {
    id: 'connect-timeout',
    class: 'connect',
    summary: 'the TCP handshake got no answer: packets are silently dropped (typical of a firewall that blocks outbound SMTP)',
    next_step: 'Ask the network team whether outbound TCP to this port is allowed from this runner; try the other port (587 vs 465). Many corporate networks and cloud providers block SMTP ports by default.',
  },
  {
    id: 'connect-reset',
    class: 'connect',
    summary: 'the connection was reset: something on the path or the server tore it down',
    next_step: 'Resets right after connecting usually come from a firewall or IPS dropping SMTP. If only some addresses or attempts reset, it is per-IP flakiness: look at the per-address table and raise it with the network team.',
  },
  {
    id: 'connect-unreachable',
    class: 'connect',
    summary: 'there is no route to the address from this machine',
    next_step: 'Check the default route and network interface of this runner; a VPN or missing gateway is common.',
  },
  {
    id: 'connect-ipv6-unreachable',
    class: 'connect',
    summary: 'the name has IPv6 addresses but this machine cannot reach them over IPv6',
    next_step: 'The resolver returns AAAA records while IPv6 does not work here. Force IPv4 in the bot (for Java: -Djava.net.preferIPv4Stack=true) or fix IPv6 routing; --family 4 confirms that IPv4 works.',
  },
  {
    id: 'connect-blocked-locally',
    class: 'connect',
    summary: 'the operating system refused to open the connection (local firewall or policy)',
    next_step: 'A local firewall or endpoint-protection product blocks outbound connections from this process: check its rules for this port.',
  },
  {
    id: 'connect-no-banner',
    class: 'connect',
    summary: 'the connection opened but the server never sent its greeting',
    next_step: 'Something accepted the connection without speaking SMTP: a proxy, a firewall holding the connection, or a port that expects TLS first (465). Check the port/mode pair and whether a middlebox sits on the path.',
  },
  {
    id: 'connect-closed',
    class: 'connect',
    summary: 'the connection was closed before the dialogue finished',
    next_step: 'Something on the path or the server dropped the connection. If it repeats, compare attempts per address; a firewall or IPS is the usual cause.',
  },
  // ---- tls ----
  {
    id: 'tls-cert-expired',
    class: 'tls',
    summary: 'the certificate presented has expired, or this machine\'s clock is ahead',
    next_step: 'Check this machine\'s date and time first (a wrong clock breaks every certificate). If the clock is right and the certificate really is expired, something other than the real server answered: look at the issuer.',
  },
  {
    id: 'tls-cert-not-yet-valid',
    class: 'tls',
    summary: 'the certificate is not valid yet: this machine\'s clock is behind',
    next_step: 'Fix the clock of this runner (time sync / NTP): the server certificate starts later than the local time.',
  },
  {
    id: 'tls-name-mismatch',
    class: 'tls',
    summary: 'the certificate does not cover the name the bot connects to',
    next_step: 'Make the bot use the provider\'s host name (e.g. smtp.gmail.com), not an IP address or alias. If the name is right, something else answers on this address (proxy or wrong DNS).',
  },
  {
    id: 'tls-untrusted',
    class: 'tls',
    summary: 'the certificate chain does not lead to a root this machine trusts',
    next_step: 'Look at the chain\'s issuer. A corporate or antivirus CA means TLS inspection: exclude the SMTP host from inspection or add that root to the trust store the bot uses (Java keeps its own cacerts). An unknown public CA means an outdated trust store.',
  },
  {
    id: 'tls-protocol-version',
    class: 'tls',
    summary: 'client and server share no TLS version',
    next_step: 'One side only speaks an old (TLS 1.0/1.1) or only a newer version. Gmail requires TLS 1.2 or later: enable TLS 1.2 on the runner (.NET: SchUseStrongCrypto; Java: jdk.tls.client.protocols).',
  },
  {
    id: 'tls-handshake-failure',
    class: 'tls',
    summary: 'the TLS handshake failed: no shared cipher or a policy refusal',
    next_step: 'Cipher suites allowed on this runner (Windows cipher suite order policy, Java security properties) do not match the server\'s; compare with the cipher line here and the OS policy.',
  },
  {
    id: 'tls-implicit-on-plaintext-port',
    class: 'tls',
    summary: 'TLS was started at once on a port that speaks plaintext SMTP first (mode mismatch)',
    next_step: 'This port wants STARTTLS (587 usually): set the bot to STARTTLS / "SSL off, TLS on" for this port, or use port 465 for implicit TLS.',
  },
  {
    id: 'tls-starttls-on-implicit-port',
    class: 'tls',
    summary: 'the port expects TLS from the first byte, but the client waited for a plaintext greeting (mode mismatch)',
    next_step: 'Port {port} needs implicit TLS ("SSL on") from the first byte: change the bot\'s security mode for this port, or use a STARTTLS port (587) instead.',
  },
  {
    id: 'tls-starttls-refused',
    class: 'tls',
    summary: 'the server refused the STARTTLS command',
    next_step: 'The server answered STARTTLS with an error: see the evidence line; the server may have TLS disabled on this port.',
  },
  {
    id: 'tls-reset',
    class: 'tls',
    summary: 'the connection was reset during the TLS handshake',
    next_step: 'A middlebox that inspects or blocks TLS is the usual cause; check whether other TLS sites work from this runner and whether SMTP is subject to inspection.',
  },
  {
    id: 'tls-timeout',
    class: 'tls',
    summary: 'the TLS handshake did not finish in time',
    next_step: 'Something on the path holds TLS traffic; check for a proxy or inspection device, and compare ports 465 and 587.',
  },
  {
    id: 'tls-error',
    class: 'tls',
    summary: 'the TLS handshake failed',
    next_step: 'See the evidence line and tls_handshake_*.txt for the exact error.',
  },
  {
    id: 'tls-starttls-stripped',
    class: 'tls',
    summary: 'STARTTLS is missing from the EHLO reply',
    next_step: 'Check that the port is a submission port (587). If the server normally offers STARTTLS, something between here and the server removes it.',
  },
  // ---- proxy ----
  {
    id: 'proxy-starttls-stripped',
    class: 'proxy',
    summary: 'the provider always offers STARTTLS, but the EHLO reply seen here has none: a middlebox on the path strips it',
    next_step: 'A firewall or "SMTP fixup/inspection" feature (e.g. Cisco ASA/FTD ESMTP inspection) rewrites the EHLO reply. Ask the network team to disable SMTP inspection for traffic to the mail provider.',
  },
  {
    id: 'proxy-http-on-smtp-port',
    class: 'proxy',
    summary: 'an HTTP proxy answered where an SMTP server was expected',
    next_step: 'Traffic to this port is sent to a web proxy. SMTP cannot go through it: ask for a firewall exception for direct SMTP, or a proxy that allows CONNECT to this port.',
  },
  {
    id: 'proxy-direct-blocked',
    class: 'proxy',
    summary: 'direct connections fail and this machine is configured for a proxy: the network expects traffic to go through it',
    next_step: 'SMTP does not use HTTP proxy settings. Ask for outbound SMTP to be allowed directly from this runner, or route it through a relay your network allows.',
  },
  {
    id: 'proxy-tls-interception',
    class: 'proxy',
    summary: 'the certificate was issued by a TLS-inspection product (or, through a proxy, by someone other than the expected CA), not by the mail provider\'s CA',
    next_step: 'A security product decrypts this connection. Exclude the SMTP host from TLS inspection, or make the bot trust that product\'s root (Java keeps its own cacerts).',
  },
  {
    id: 'proxy-unreachable',
    class: 'proxy',
    summary: 'the proxy itself cannot be reached: the TCP connection to it failed',
    next_step: 'Check the proxy host and port (--proxy, HTTPS_PROXY, WinHTTP); from this runner the proxy must answer on that port. A proxy that only some sites use (PAC) may not be the one for SMTP.',
  },
  {
    id: 'proxy-auth-required',
    class: 'proxy',
    summary: 'the proxy wants credentials (HTTP 407) and none were sent',
    next_step: 'Give the proxy account: --proxy http://USER@host:port with --proxy-password-env VAR. Note that SMTP libraries (Automation Anywhere\'s included) do not send proxy credentials: a proxy that needs them is no route for the bot.',
  },
  {
    id: 'proxy-auth-failed',
    class: 'proxy',
    summary: 'the proxy refused the credentials it was given (HTTP 407 after Basic auth, or SOCKS5 username/password failure)',
    next_step: 'Check the proxy user name and password (the one in the env var or file named in the settings); a proxy that only takes NTLM/Kerberos refuses Basic: ask for an account or an allow rule for this runner.',
  },
  {
    id: 'proxy-socks-auth-method',
    class: 'proxy',
    summary: 'the SOCKS5 proxy accepts none of the offered authentication methods',
    next_step: 'The proxy wants a user name and password (or GSSAPI): give socks5://USER@host:port with --proxy-password-env VAR, or ask for this runner to be allowed without authentication.',
  },
  {
    id: 'proxy-forbidden',
    class: 'proxy',
    summary: 'the proxy refuses to open a tunnel to the mail server by its rules (HTTP 403, SOCKS5 0x02 not allowed by ruleset)',
    next_step: 'The proxy policy does not allow this destination or port (squid allows CONNECT to 443 only by default). Ask the proxy team to allow CONNECT to the mail host on 587/465, or for a direct firewall exception.',
  },
  {
    id: 'proxy-upstream-unreachable',
    class: 'proxy',
    summary: 'the proxy answers, but cannot reach the mail server from where it sits (HTTP 502/503/504, SOCKS5 0x03-0x06)',
    next_step: 'The proxy\'s own outbound path to the mail server is blocked or the name does not resolve there. Check the server and port, and ask the proxy team whether the proxy may connect to that port.',
  },
  {
    id: 'proxy-refused',
    class: 'proxy',
    summary: 'the proxy refused the tunnel',
    next_step: 'See the proxy\'s answer in the evidence line; the proxy\'s access log for this runner\'s address holds the reason.',
  },
  {
    id: 'proxy-timeout',
    class: 'proxy',
    summary: 'the proxy accepted the connection but did not answer the tunnel request in time',
    next_step: 'The proxy is overloaded or still trying to reach the server; retry with a longer --timeout connect=, and ask the proxy team to check its path to the mail server.',
  },
  {
    id: 'proxy-bad-response',
    class: 'proxy',
    summary: 'what answers on the proxy port does not speak the expected proxy protocol',
    next_step: 'Check the proxy kind: http:// for an HTTP proxy (CONNECT), socks5:// or socks5h:// for SOCKS5. The evidence holds what came back.',
  },
  {
    id: 'proxy-only-path',
    class: 'proxy',
    summary: 'direct SMTP fails but the same server works through the proxy: this network only lets traffic out through the proxy',
    next_step: 'Most SMTP libraries, Automation Anywhere\'s included, ignore the system proxy. Ask for a firewall exception for SMTP (587/465) from this runner to the mail provider, or send through a relay the network allows.',
  },
  // ---- auth ----
  {
    id: 'auth-mechanism-not-offered',
    class: 'auth',
    summary: 'the authentication method the bot uses is not offered by the server',
    next_step: 'Use a mechanism from the list in the evidence (Gmail offers PLAIN, LOGIN and XOAUTH2 only after STARTTLS). No AUTH at all usually means the wrong port (25) or no TLS yet.',
  },
  {
    id: 'auth-xoauth2-rejected',
    class: 'auth',
    summary: 'the OAuth access token was refused (expired, revoked, for another account, or without the mail scope)',
    next_step: 'Refresh the access token, check it was issued for this exact mailbox, and that it carries the scope https://mail.google.com/ (Gmail), or SMTP.Send, IMAP.AccessAsUser.All or POP.AccessAsUser.All (Microsoft 365) for the protocol the bot speaks.',
  },
  {
    id: 'auth-failed',
    class: 'auth',
    summary: 'the server refused the credentials',
    next_step: 'Check user name and password; with Gmail and MFA an app password is needed. The evidence line holds the server\'s reason.',
  },
  // ---- rate-limit ----
  {
    id: 'rate-limit-421',
    class: 'rate-limit',
    summary: 'the server is deferring this client (421: service not available, try later)',
    next_step: 'Wait and retry with backoff; reduce how many bots send at once from this egress IP. If it appears right after EHLO at Gmail, also check that the EHLO name is a valid host name.',
  },
  {
    id: 'rate-limit-temporary',
    class: 'rate-limit',
    summary: 'temporary failure (4xx): deferral, greylisting or a busy server',
    next_step: 'Retry later with backoff; if it persists, look at the enhanced code in the evidence line.',
  },
  // ---- smtp-policy ----
  {
    id: 'smtp-policy-rejected',
    class: 'smtp-policy',
    summary: 'the server refused the session by policy (5xx)',
    next_step: 'See the server\'s text in the evidence line: blocklisted egress IP, rejected EHLO name or another policy. Check the egress IP against blocklists and the EHLO name.',
  },
  // ---- unknown ----
  {
    id: 'unknown-garbage',
    class: 'unknown',
    summary: 'the server sent something that is not SMTP',
    next_step: 'Another service answers on this port (or a middlebox rewrites it). The evidence holds the last line received.',
  },
  {
    id: 'unknown-reply',
    class: 'unknown',
    summary: 'the server answered with an unexpected reply',
    next_step: 'See the server\'s reply in the evidence line and the transcript.',
  },
  // ---- tee (the bot's own sessions relayed by `smtp-probe tee`) ----
  {
    id: 'tee-bot-tls',
    class: 'tls',
    summary: 'the bot did not complete TLS with the tee: it most likely does not trust the tee\'s test CA, or expects another TLS mode',
    next_step: 'Trust tee_ca.pem on the bot machine for the test (see the tee\'s start message), or start the tee with the --bot-tls mode the bot is configured for (none, starttls, implicit).',
  },
  {
    id: 'unknown-timeout',
    class: 'unknown',
    summary: 'the server stopped answering in the middle of the dialogue',
    next_step: 'Retry; if it repeats, a middlebox may drop the session after STARTTLS or EHLO. The transcript shows where.',
  },
  {
    id: 'unknown',
    class: 'unknown',
    summary: 'the failure did not match a known pattern',
    next_step: 'Send the ZIP to support: the evidence line and transcript hold the last thing the server said.',
  },
] as const satisfies readonly Hint[];

export type HintId = (typeof HINTS)[number]['id'];
const BY_ID = new Map<string, Hint>(HINTS.map((h) => [h.id, h]));

export function hint(id: HintId): Hint {
  return BY_ID.get(id)!;
}
