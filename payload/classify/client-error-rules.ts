// The client-error knowledge table: what the error text a mail library prints (an exception
// message, one line of a stack trace, a command-line tool's complaint) means. Data only;
// client-errors.ts finds the load-bearing line of a pasted trace and does the matching.
//
// Each entry names the hint (hints.ts) that carries its class, summary and next step, and
// overrides the summary or next step where the library changes the fix (Java's own
// cacerts, .NET's Schannel). The first entry whose pattern matches a line wins, so the
// narrower texts of one library come before its catch-alls, and the libraries with a
// distinctive prefix (javax.mail, smtplib) before the bare OS words (ECONNREFUSED).
// Patterns are literal words with at most bounded alternations: no `.*` between two words,
// so a hostile line costs one linear scan per entry (test/unit/reply-rules-redos.test.ts).
import type { FailureClass } from './classes.js';
import { hint, type HintId } from './hints.js';
import type { ReplyStage } from './replies.js';

export const LIBRARIES = ['javamail', 'dotnet-smtpclient', 'mailkit', 'python-smtplib', 'python-ssl', 'nodemailer', 'node', 'openssl', 'curl', 'phpmailer', 'rustls', 'swaks'] as const;
export type Library = (typeof LIBRARIES)[number];

interface RawClientRule {
  id: string;
  library: Library;
  pattern: RegExp;
  hint: HintId;
  summary?: string;
  next_step?: string;
  /** The exception carries the server's reply: read it with the reply rules at this stage. */
  reply_stage?: ReplyStage;
  /** A certificate-trust failure: an interceptor product named in the text makes it `proxy`. */
  trust?: boolean;
  /** Where the exact text is documented, or "observed text" with the client that printed it. */
  source: string;
}

export interface ClientRule {
  id: string;
  library: Library;
  pattern: RegExp;
  class: FailureClass;
  hint_id: HintId;
  summary: string;
  next_step: string;
  reply_stage: ReplyStage | null;
  trust: boolean;
  source: string;
}

const JAVAMAIL_FAQ = 'https://javaee.github.io/javamail/FAQ';
const JAVA_CACERTS = 'Java keeps its own trust store (JRE lib/security/cacerts), separate from Windows\': import the inspecting or corporate root there with keytool, or run the bot with -Djavax.net.ssl.trustStoreType=Windows-ROOT.';
const DOTNET_SMTP = 'https://learn.microsoft.com/en-us/dotnet/api/system.net.mail.smtpexception';
const WINSOCK = 'https://learn.microsoft.com/en-us/windows/win32/winsock/windows-sockets-error-codes-2';
const SSL_POLICY = 'https://learn.microsoft.com/en-us/dotnet/api/system.net.security.sslpolicyerrors';
const MAILKIT_FAQ = 'https://github.com/jstedfast/MailKit/blob/master/FAQ.md#ssl-handshake-exception';
const PY_SMTPLIB = 'https://docs.python.org/3/library/smtplib.html';
const PY_SSL = 'https://docs.python.org/3/library/ssl.html';
const PY_SOCKET = 'https://docs.python.org/3/library/socket.html#socket.gaierror';
const NODE_ERRORS = 'https://nodejs.org/api/errors.html#common-system-errors';
const NODE_DNS = 'https://nodejs.org/api/dns.html#error-codes';
const NODE_X509 = 'https://nodejs.org/api/tls.html#x509-certificate-error-codes';
const NODEMAILER_SRC = 'https://github.com/nodemailer/nodemailer/blob/master/lib/smtp-connection/index.js';
const NODEMAILER_GREETING = 'https://github.com/nodemailer/nodemailer/issues/1470';
const CURL_ERRORS = 'https://curl.se/libcurl/c/libcurl-errors.html';
const PHPMAILER_LANG = 'https://github.com/PHPMailer/PHPMailer/blob/master/language/phpmailer.lang-en.php';
const PHPMAILER_TROUBLE = 'https://github.com/PHPMailer/PHPMailer/wiki/Troubleshooting';
const RUSTLS_ERRORS = 'https://docs.rs/rustls/latest/rustls/enum.CertificateError.html';
const OBSERVED_PY = 'observed text: Python 3.11.7 (OpenSSL 3.0), smtplib against a local test server';
const OBSERVED_OPENSSL = 'observed text: OpenSSL 3.0.22 s_client and curl 7.88.1 smtps:// to a plaintext SMTP port';
const OBSERVED_CURL = 'observed text: curl 7.88.1 (OpenSSL 3.0) against a local self-signed TLS server';
/** Printed by the named client against the lab; the texts are in test/fixtures/client-texts.json. */
const harvested = (client: string) => `observed text: ${client} against the lab (test/fixtures/client-texts.json)`;

const STRIPPED_NEXT = 'The client requires STARTTLS and the server\'s EHLO reply did not offer it: for a provider that always offers it (Gmail, Microsoft 365) a middlebox on the path strips it (firewall SMTP inspection, antivirus); run `smtp-probe probe` from this machine to see the EHLO reply.';
const MODE_MISMATCH_NEXT = 'The client spoke TLS to a port that answers in plain text (or the reverse): implicit TLS ("SSL on") belongs to port 465, STARTTLS ("TLS", "SSL off") to 587. Match the bot\'s security setting to its port.';

const RAW: readonly RawClientRule[] = [
  // ---- JavaMail / Jakarta Mail (and the java.net / javax.net.ssl causes it nests) ----
  { id: 'javamail-auth-failed', library: 'javamail', pattern: /\bAuthenticationFailedException\b/, hint: 'auth-failed', reply_stage: 'auth', source: 'https://jakarta.ee/specifications/mail/2.0/apidocs/jakarta.mail/jakarta/mail/authenticationfailedexception' },
  { id: 'java-cert-expired', library: 'javamail', pattern: /\bCertificateExpiredException\b|CertPathValidatorException: validity check failed/, hint: 'tls-cert-expired', source: harvested('JavaMail 1.6.5 and Jakarta Mail 2.0.0 on Java 17') },
  { id: 'javamail-pkix', library: 'javamail', pattern: /PKIX path (?:building|validation) failed|unable to find valid certification path/, hint: 'tls-untrusted', trust: true, next_step: `The bot's Java does not trust the chain the server (or something on the path) presents. ${JAVA_CACERTS}`, source: JAVAMAIL_FAQ },
  { id: 'javamail-plaintext', library: 'javamail', pattern: /Unrecognized SSL message, plaintext connection\?|SSLException: Unsupported or unrecognized SSL message/, hint: 'tls-implicit-on-plaintext-port', next_step: `${MODE_MISMATCH_NEXT} (JavaMail: mail.smtp.ssl.enable=true is implicit TLS, mail.smtp.starttls.enable=true is STARTTLS.)`, source: JAVAMAIL_FAQ },
  { id: 'javamail-no-protocol', library: 'javamail', pattern: /No appropriate protocol \(protocol is disabled or cipher suites are inappropriate\)|Received fatal alert: protocol_version/, hint: 'tls-protocol-version', next_step: 'The bot\'s Java has the server\'s TLS version disabled (jdk.tls.disabledAlgorithms in java.security), or the bot pins mail.smtp.ssl.protocols to an old version: allow TLSv1.2 or later.', source: 'https://github.com/apache/jmeter/issues/6282' },
  { id: 'javamail-handshake-eof', library: 'javamail', pattern: /SSLHandshakeException: Remote host (?:closed connection during handshake|terminated the handshake)/, hint: 'tls-reset', source: JAVAMAIL_FAQ },
  { id: 'java-unknown-host', library: 'javamail', pattern: /\bUnknownHostException\b/, hint: 'dns-nxdomain', summary: 'the bot\'s Java could not resolve the mail server\'s name', source: JAVAMAIL_FAQ },
  { id: 'java-connection-refused', library: 'javamail', pattern: /\bConnectException: Connection refused\b/, hint: 'connect-refused', source: JAVAMAIL_FAQ },
  { id: 'java-connect-timeout', library: 'javamail', pattern: /\bSocketTimeoutException\b|\bConnectException: Connection timed out\b/, hint: 'connect-timeout', source: JAVAMAIL_FAQ },
  { id: 'java-no-route', library: 'javamail', pattern: /\bNoRouteToHostException\b|\bConnectException: Network is unreachable\b/, hint: 'connect-unreachable', source: JAVAMAIL_FAQ },
  { id: 'java-connection-reset', library: 'javamail', pattern: /\bSocketException: Connection reset\b/, hint: 'connect-reset', source: JAVAMAIL_FAQ },
  { id: 'javamail-starttls-required', library: 'javamail', pattern: /STARTTLS is required but host does not support STARTTLS/, hint: 'tls-starttls-stripped', next_step: STRIPPED_NEXT, source: harvested('JavaMail 1.6.5 and Jakarta Mail 2.0.0 (mail.smtp.starttls.required=true)') },
  { id: 'javamail-address-failed', library: 'javamail', pattern: /\bSMTPAddressFailedException: \d{3}/, hint: 'smtp-policy-rejected', reply_stage: 'rcpt', source: harvested('JavaMail 1.6.5 and Jakarta Mail 2.0.0') },
  { id: 'javamail-sender-failed', library: 'javamail', pattern: /\bSMTPSenderFailedException: \d{3}/, hint: 'smtp-policy-rejected', reply_stage: 'mail', source: harvested('JavaMail 1.6.5 and Jakarta Mail 2.0.0') },
  { id: 'javamail-could-not-connect', library: 'javamail', pattern: /Could not connect to SMTP host/, hint: 'connect-refused', summary: 'JavaMail could not open the connection to the SMTP server (the nested exception says why)', next_step: 'Read the nested exception ("Caused by:" / "nested exception is:"): refused, timed out and unknown host have different fixes. Check host, port and that outbound SMTP is allowed from this runner.', source: JAVAMAIL_FAQ },
  { id: 'javamail-messaging', library: 'javamail', pattern: /\b(?:javax|jakarta)\.mail\.(?:MessagingException|SendFailedException)\b/, hint: 'unknown', reply_stage: 'any', summary: 'JavaMail failed; the message carries no known cause', next_step: 'Paste the whole trace including every "Caused by:" and "nested exception is:" line: the innermost one names the cause.', source: 'https://jakarta.ee/specifications/mail/2.0/apidocs/jakarta.mail/jakarta/mail/messagingexception' },

  // ---- MailKit (before .NET: its exceptions are .NET exceptions too) ----
  // MailKit lists the certificate's problems as bullet lines under its SslHandshakeException.
  { id: 'mailkit-reason-name', library: 'mailkit', pattern: /^The host name \([^)]{1,255}\) did not match any of the names given in the server's SSL certificate/, hint: 'tls-name-mismatch', source: harvested('MailKit 4.18.2 on .NET 10 (Linux)') },
  { id: 'mailkit-reason-untrusted', library: 'mailkit', pattern: /^• (?:unable to get local issuer certificate|unable to get issuer certificate|self[- ]signed certificate(?: in certificate chain)?)$/, hint: 'tls-untrusted', trust: true, source: harvested('MailKit 4.18.2 on .NET 10 (Linux)') },
  { id: 'mailkit-reason-expired', library: 'mailkit', pattern: /^• certificate has expired$/, hint: 'tls-cert-expired', source: harvested('MailKit 4.18.2 on .NET 10 (Linux)') },
  { id: 'mailkit-starttls-missing', library: 'mailkit', pattern: /The SMTP server does not support the STARTTLS extension/, hint: 'tls-starttls-stripped', next_step: STRIPPED_NEXT, source: harvested('MailKit 4.18.2 (SecureSocketOptions.StartTls)') },
  { id: 'mailkit-not-authenticated', library: 'mailkit', pattern: /MailKit\.ServiceNotAuthenticatedException\b/, hint: 'auth-failed', summary: 'the server wants the client to log in before it accepts a sender', next_step: 'Call Authenticate() before Send(), with the account\'s (app) password; check the bot has credentials configured.', source: harvested('MailKit 4.18.2') },
  { id: 'mailkit-timeout', library: 'mailkit', pattern: /System\.TimeoutException: The operation has timed out\./, hint: 'connect-timeout', summary: 'MailKit gave up waiting (SmtpClient.Timeout) for the server', source: harvested('MailKit 4.18.2 on .NET 10 (Linux)') },
  { id: 'mailkit-ssl-handshake', library: 'mailkit', pattern: /\bSslHandshakeException\b|An error occurred while attempting to establish an SSL or TLS connection/, hint: 'tls-untrusted', trust: true, summary: 'MailKit could not establish TLS: usually the certificate is not trusted, sometimes the wrong SecureSocketOptions for the port', next_step: 'MailKit\'s FAQ lists the causes: an untrusted or inspecting CA (check the issuer; add its root to the Windows store), or SslOnConnect on a STARTTLS port (use SecureSocketOptions.StartTls on 587, SslOnConnect on 465).', source: MAILKIT_FAQ },
  { id: 'mailkit-auth', library: 'mailkit', pattern: /MailKit\.Security\.AuthenticationException\b/, hint: 'auth-failed', reply_stage: 'auth', source: 'https://mimekit.net/docs/html/T_MailKit_Security_AuthenticationException.htm' },
  { id: 'mailkit-disconnected', library: 'mailkit', pattern: /The SMTP server has unexpectedly disconnected/, hint: 'connect-closed', source: 'https://mimekit.net/docs/html/T_MailKit_Net_Smtp_SmtpProtocolException.htm' },
  { id: 'mailkit-command', library: 'mailkit', pattern: /MailKit\.Net\.Smtp\.SmtpCommandException\b/, hint: 'smtp-policy-rejected', reply_stage: 'any', source: 'https://mimekit.net/docs/html/T_MailKit_Net_Smtp_SmtpCommandException.htm' },

  // ---- .NET System.Net.Mail.SmtpClient, SslStream and sockets ----
  { id: 'dotnet-name-mismatch', library: 'dotnet-smtpclient', pattern: /\bRemoteCertificateNameMismatch\b/, hint: 'tls-name-mismatch', source: SSL_POLICY },
  { id: 'dotnet-cert-expired', library: 'dotnet-smtpclient', pattern: /errors in the certificate chain: NotTimeValid\b/, hint: 'tls-cert-expired', source: harvested('System.Net.Mail on .NET 10 (Linux)') },
  { id: 'dotnet-cert-invalid', library: 'dotnet-smtpclient', pattern: /The remote certificate is invalid (?:according to the validation procedure|because of errors in the certificate chain)/, hint: 'tls-untrusted', trust: true, next_step: 'Windows does not trust the chain the server (or an inspecting device) presents: check its issuer in the probe\'s TLS evidence, and exclude the SMTP host from TLS inspection or install the inspecting root in the machine store.', source: 'https://github.com/jstedfast/MailKit/issues/307' },
  { id: 'dotnet-chain-errors', library: 'dotnet-smtpclient', pattern: /\bRemoteCertificateChainErrors\b|\bUntrustedRoot\b/, hint: 'tls-untrusted', trust: true, source: SSL_POLICY },
  { id: 'dotnet-transport-closed', library: 'dotnet-smtpclient', pattern: /Authentication failed because the remote party has closed the transport stream|Received an unexpected EOF or 0 bytes from the transport stream/, hint: 'tls-reset', summary: 'the server or a middlebox closed the connection during the TLS handshake', next_step: 'Usually a TLS version or mode mismatch: enable TLS 1.2 for .NET Framework (SchUseStrongCrypto, or ServicePointManager.SecurityProtocol), and note System.Net.Mail only does STARTTLS (EnableSsl on 587), never implicit TLS on 465.', source: 'https://learn.microsoft.com/en-us/dotnet/framework/network-programming/tls' },
  { id: 'dotnet-requires-secure', library: 'dotnet-smtpclient', pattern: /The SMTP server requires a secure connection or the client was not authenticated/, hint: 'auth-failed', reply_stage: 'auth', source: DOTNET_SMTP },
  { id: 'dotnet-mailbox-unavailable', library: 'dotnet-smtpclient', pattern: /Mailbox unavailable\. The server response was/, hint: 'smtp-policy-rejected', reply_stage: 'rcpt', source: DOTNET_SMTP },
  { id: 'dotnet-socket-refused', library: 'dotnet-smtpclient', pattern: /\b10061\b|target machine actively refused it|SocketException \(111\): Connection refused/, hint: 'connect-refused', source: WINSOCK },
  { id: 'dotnet-socket-timeout', library: 'dotnet-smtpclient', pattern: /\b10060\b|did not properly respond after a period of time|SocketException \(110\): Connection timed out/, hint: 'connect-timeout', source: WINSOCK },
  { id: 'dotnet-socket-unreachable', library: 'dotnet-smtpclient', pattern: /\b1005[01]\b|attempted to an unreachable (?:network|host)/, hint: 'connect-unreachable', source: WINSOCK },
  { id: 'dotnet-socket-reset', library: 'dotnet-smtpclient', pattern: /\b10054\b|forcibly closed by the remote host/, hint: 'connect-reset', source: WINSOCK },
  { id: 'dotnet-no-such-host', library: 'dotnet-smtpclient', pattern: /\b11001\b|No such host is known/, hint: 'dns-nxdomain', source: WINSOCK },
  { id: 'dotnet-timed-out', library: 'dotnet-smtpclient', pattern: /SmtpException: The operation has timed out/, hint: 'connect-timeout', summary: 'SmtpClient gave up waiting (SmtpClient.Timeout, 100 s by default) for the server', next_step: 'Outbound SMTP is dropped on the path, or the port expects implicit TLS (465), which System.Net.Mail cannot speak: use 587 with EnableSsl.', source: DOTNET_SMTP },
  { id: 'dotnet-no-secure-connection', library: 'dotnet-smtpclient', pattern: /SmtpException: Server does not support secure connections\./, hint: 'tls-starttls-stripped', next_step: STRIPPED_NEXT, source: harvested('System.Net.Mail on .NET 10 (EnableSsl = true)') },
  { id: 'dotnet-failure-sending', library: 'dotnet-smtpclient', pattern: /SmtpException: Failure sending mail/, hint: 'unknown', reply_stage: 'any', summary: 'SmtpClient could not send; the inner exception holds the cause', next_step: 'Paste the whole exception including every "--->" inner exception: the innermost one names the cause.', source: DOTNET_SMTP },

  // ---- Python smtplib, ssl, socket ----
  { id: 'python-auth', library: 'python-smtplib', pattern: /\bSMTPAuthenticationError\b/, hint: 'auth-failed', reply_stage: 'auth', source: `${PY_SMTPLIB}#smtplib.SMTPAuthenticationError` },
  { id: 'python-sender-refused', library: 'python-smtplib', pattern: /\bSMTPSenderRefused\b/, hint: 'smtp-policy-rejected', reply_stage: 'mail', source: `${PY_SMTPLIB}#smtplib.SMTPSenderRefused` },
  { id: 'python-recipients-refused', library: 'python-smtplib', pattern: /\bSMTPRecipientsRefused\b/, hint: 'smtp-policy-rejected', reply_stage: 'rcpt', source: `${PY_SMTPLIB}#smtplib.SMTPRecipientsRefused` },
  { id: 'python-data-error', library: 'python-smtplib', pattern: /\bSMTPDataError\b/, hint: 'smtp-policy-rejected', reply_stage: 'data', source: `${PY_SMTPLIB}#smtplib.SMTPDataError` },
  { id: 'python-connect-error', library: 'python-smtplib', pattern: /\bSMTPConnectError\b/, hint: 'connect-closed', reply_stage: 'banner', source: `${PY_SMTPLIB}#smtplib.SMTPConnectError` },
  { id: 'python-no-starttls', library: 'python-smtplib', pattern: /STARTTLS extension not supported by server/, hint: 'tls-starttls-stripped', next_step: STRIPPED_NEXT, source: harvested('Python 3.11 smtplib') },
  { id: 'python-no-auth-extension', library: 'python-smtplib', pattern: /SMTP AUTH extension not supported by server/, hint: 'auth-mechanism-not-offered', next_step: 'The server offers no AUTH before TLS (or on this port): call starttls() before login() on 587, or use SMTP_SSL on 465.', source: `${PY_SMTPLIB}#smtplib.SMTPNotSupportedError` },
  { id: 'python-disconnected', library: 'python-smtplib', pattern: /\bSMTPServerDisconnected\b/, hint: 'connect-closed', source: `${PY_SMTPLIB}#smtplib.SMTPServerDisconnected` },
  { id: 'python-wrong-version', library: 'python-ssl', pattern: /\[SSL: WRONG_VERSION_NUMBER\]/, hint: 'tls-implicit-on-plaintext-port', next_step: `${MODE_MISMATCH_NEXT} (Python: SMTP_SSL is implicit TLS, SMTP + starttls() is STARTTLS.)`, source: OBSERVED_PY },
  { id: 'python-cert-expired', library: 'python-ssl', pattern: /certificate verify failed: certificate has expired/, hint: 'tls-cert-expired', source: harvested('Python 3.11 ssl') },
  { id: 'python-name-mismatch', library: 'python-ssl', pattern: /certificate verify failed: (?:IP address|Hostname) mismatch/, hint: 'tls-name-mismatch', source: harvested('Python 3.11 ssl') },
  { id: 'python-cert-verify', library: 'python-ssl', pattern: /\bSSLCertVerificationError\b|\[SSL: CERTIFICATE_VERIFY_FAILED\]/, hint: 'tls-untrusted', trust: true, next_step: 'Python does not trust the chain: it uses OpenSSL\'s CA file (or certifi), not the Windows store. Check the issuer; for an inspecting or corporate root pass cafile= to ssl.create_default_context, or exclude the host from inspection.', source: `${PY_SSL}#ssl.SSLCertVerificationError` },
  { id: 'python-handshake-timeout', library: 'python-ssl', pattern: /The handshake operation timed out/, hint: 'tls-timeout', source: OBSERVED_PY },
  { id: 'python-gaierror', library: 'python-smtplib', pattern: /\bsocket\.gaierror\b|\bgaierror: \[Errno/, hint: 'dns-nxdomain', summary: 'the bot\'s Python could not resolve the mail server\'s name (getaddrinfo failed)', source: PY_SOCKET },
  { id: 'python-refused', library: 'python-smtplib', pattern: /\bConnectionRefusedError\b/, hint: 'connect-refused', source: OBSERVED_PY },
  { id: 'python-timeout', library: 'python-smtplib', pattern: /\b(?:TimeoutError|socket\.timeout): (?:timed out|\[Errno 110\])/, hint: 'connect-timeout', source: 'https://docs.python.org/3/library/exceptions.html#TimeoutError' },
  { id: 'python-reset', library: 'python-smtplib', pattern: /\bConnectionResetError\b/, hint: 'connect-reset', source: 'https://docs.python.org/3/library/exceptions.html#ConnectionResetError' },

  // ---- Nodemailer, then Node's own error codes ----
  { id: 'nodemailer-greeting', library: 'nodemailer', pattern: /Greeting never received/, hint: 'connect-no-banner', next_step: 'The connection opened but no "220" greeting came: with port 465 set secure: true (implicit TLS); otherwise something on the path holds the connection without speaking SMTP.', source: NODEMAILER_GREETING },
  { id: 'nodemailer-starttls-refused', library: 'nodemailer', pattern: /Error upgrading connection with STARTTLS/, hint: 'tls-starttls-refused', source: harvested('nodemailer 10.6 (requireTLS: true)') },
  { id: 'nodemailer-invalid-login', library: 'nodemailer', pattern: /\bInvalid login: /, hint: 'auth-failed', reply_stage: 'auth', source: NODEMAILER_SRC },
  { id: 'node-self-signed-chain', library: 'node', pattern: /\bSELF_SIGNED_CERT_IN_CHAIN\b|\bDEPTH_ZERO_SELF_SIGNED_CERT\b|self[- ]signed certificate in certificate chain/, hint: 'tls-untrusted', trust: true, next_step: 'Node does not trust the chain: it has its own bundled roots, not the Windows store. An inspecting or corporate root goes in NODE_EXTRA_CA_CERTS (or the library\'s ca option); otherwise exclude the host from TLS inspection.', source: NODE_X509 },
  { id: 'node-unable-to-verify', library: 'node', pattern: /\bUNABLE_TO_VERIFY_LEAF_SIGNATURE\b|\bUNABLE_TO_GET_ISSUER_CERT(?:_LOCALLY)?\b/, hint: 'tls-untrusted', trust: true, source: NODE_X509 },
  { id: 'node-cert-expired', library: 'node', pattern: /\bCERT_HAS_EXPIRED\b/, hint: 'tls-cert-expired', source: NODE_X509 },
  { id: 'node-altname', library: 'node', pattern: /\bERR_TLS_CERT_ALTNAME_INVALID\b/, hint: 'tls-name-mismatch', source: 'https://nodejs.org/api/errors.html#err_tls_cert_altname_invalid' },
  { id: 'node-dns-refused', library: 'node', pattern: /\bquery[A-Za-z]{0,5} EREFUSED\b/, hint: 'dns-servfail', summary: 'the DNS server refused the query', next_step: 'The resolver this runner uses refuses to answer (an internal resolver that does not recurse for outside names, or an ACL): check the resolvers in the DNS snapshot.', source: NODE_DNS },
  { id: 'node-eai-again', library: 'node', pattern: /\bEAI_AGAIN\b/, hint: 'dns-timeout', summary: 'name resolution failed temporarily: the resolver did not answer', source: NODE_DNS },
  { id: 'node-enotfound', library: 'node', pattern: /\bENOTFOUND\b/, hint: 'dns-nxdomain', source: NODE_DNS },
  { id: 'node-econnrefused', library: 'node', pattern: /\bECONNREFUSED\b/, hint: 'connect-refused', source: NODE_ERRORS },
  { id: 'node-etimedout', library: 'node', pattern: /\bETIMEDOUT\b/, hint: 'connect-timeout', source: NODE_ERRORS },
  { id: 'node-econnreset', library: 'node', pattern: /\bECONNRESET\b/, hint: 'connect-reset', source: NODE_ERRORS },
  { id: 'node-unreachable', library: 'node', pattern: /\bE(?:NETUNREACH|HOSTUNREACH)\b/, hint: 'connect-unreachable', source: 'https://man7.org/linux/man-pages/man2/connect.2.html' },

  // ---- curl (before OpenSSL: curl prints OpenSSL's words after its own code) ----
  { id: 'curl-resolve', library: 'curl', pattern: /curl: \(6\) Could not resolve host/, hint: 'dns-nxdomain', source: CURL_ERRORS },
  { id: 'curl-connect', library: 'curl', pattern: /curl: \(7\) Failed to connect/, hint: 'connect-refused', summary: 'curl could not connect (refused, or no route)', source: CURL_ERRORS },
  { id: 'curl-timeout', library: 'curl', pattern: /curl: \(28\)/, hint: 'connect-timeout', source: CURL_ERRORS },
  { id: 'curl-mail-auth-required', library: 'curl', pattern: /curl: \(55\) MAIL failed: 530\b/, hint: 'auth-failed', summary: 'the server wants the client to log in before it accepts a sender (530 to MAIL FROM)', next_step: 'Pass the account with --user (and its app password); curl sends no AUTH without it.', source: harvested('curl 7.88.1') },
  { id: 'curl-mail-rejected', library: 'curl', pattern: /curl: \(55\) (?:MAIL|RCPT) failed: 5\d\d\b/, hint: 'smtp-policy-rejected', source: harvested('curl 7.88.1') },
  { id: 'curl-mail-deferred', library: 'curl', pattern: /curl: \(55\) (?:MAIL|RCPT) failed: 4\d\d\b/, hint: 'rate-limit-temporary', source: CURL_ERRORS },
  { id: 'curl-421', library: 'curl', pattern: /curl: \(8\) Got unexpected smtp-server response: 421\b/, hint: 'rate-limit-421', source: harvested('curl 7.88.1') },
  { id: 'curl-starttls-missing', library: 'curl', pattern: /curl: \(64\) STARTTLS not supported/, hint: 'tls-starttls-stripped', next_step: STRIPPED_NEXT, source: harvested('curl 7.88.1 --ssl-reqd') },
  { id: 'curl-cert-expired', library: 'curl', pattern: /curl: \(60\) SSL certificate problem: certificate has expired/, hint: 'tls-cert-expired', source: harvested('curl 7.88.1') },
  { id: 'curl-name-mismatch', library: 'curl', pattern: /curl: \(60\) SSL: no alternative certificate subject name matches/, hint: 'tls-name-mismatch', source: harvested('curl 7.88.1') },
  { id: 'curl-login-denied', library: 'curl', pattern: /curl: \(67\)/, hint: 'auth-failed', source: CURL_ERRORS },
  { id: 'curl-cert', library: 'curl', pattern: /curl: \(60\)|SSL certificate problem: /, hint: 'tls-untrusted', trust: true, source: OBSERVED_CURL },

  // ---- swaks: a transcript; "<** 421" / "<~* 535" mark the reply it failed on, "***" its own complaints ----
  { id: 'swaks-error-reply', library: 'swaks', pattern: /^<[-~*]\* [2-5]\d\d[ -]/, hint: 'smtp-policy-rejected', reply_stage: 'any', source: harvested('swaks 20201014.0') },
  { id: 'swaks-no-greeting', library: 'swaks', pattern: /^<\*\* Timeout \(\d{1,5} secs\) waiting for server response/, hint: 'connect-no-banner', source: harvested('swaks 20201014.0') },
  { id: 'swaks-no-starttls', library: 'swaks', pattern: /^\*\*\* Host did not advertise STARTTLS/, hint: 'tls-starttls-stripped', next_step: STRIPPED_NEXT, source: harvested('swaks 20201014.0 --tls') },
  { id: 'swaks-refused', library: 'swaks', pattern: /IO::Socket::INET6?: connect: Connection refused/, hint: 'connect-refused', source: harvested('swaks 20201014.0') },
  { id: 'swaks-timeout', library: 'swaks', pattern: /IO::Socket::INET6?: connect: timeout/, hint: 'connect-timeout', source: harvested('swaks 20201014.0') },
  { id: 'swaks-bad-hostname', library: 'swaks', pattern: /IO::Socket::INET6?: Bad hostname/, hint: 'dns-nxdomain', source: harvested('swaks 20201014.0') },

  // ---- PHPMailer ----
  { id: 'phpmailer-auth', library: 'phpmailer', pattern: /SMTP Error: Could not authenticate\./, hint: 'auth-failed', source: PHPMAILER_LANG },
  { id: 'phpmailer-connect', library: 'phpmailer', pattern: /SMTP Error: Could not connect to SMTP host\.|SMTP connect\(\) failed\./, hint: 'connect-refused', summary: 'PHPMailer could not connect to the SMTP server (or could not start TLS on it)', next_step: 'PHPMailer prints this for refused, timed-out and TLS failures alike: turn on SMTPDebug = 2 to see which; check Host, Port and SMTPSecure (ssl for 465, tls for 587).', source: PHPMAILER_TROUBLE },

  // ---- rustls ----
  { id: 'rustls-unknown-issuer', library: 'rustls', pattern: /invalid peer certificate: UnknownIssuer/, hint: 'tls-untrusted', trust: true, source: RUSTLS_ERRORS },
  { id: 'rustls-name', library: 'rustls', pattern: /invalid peer certificate: NotValidForName/, hint: 'tls-name-mismatch', source: RUSTLS_ERRORS },
  { id: 'rustls-expired', library: 'rustls', pattern: /invalid peer certificate: Expired/, hint: 'tls-cert-expired', source: RUSTLS_ERRORS },
  { id: 'rustls-corrupt', library: 'rustls', pattern: /received corrupt message of type InvalidContentType/, hint: 'tls-implicit-on-plaintext-port', next_step: MODE_MISMATCH_NEXT, source: 'https://docs.rs/rustls/latest/rustls/enum.InvalidMessage.html' },

  // ---- OpenSSL's own words, whoever prints them (PHP streams, Ruby, curl without its prefix) ----
  { id: 'openssl-starttls-missing', library: 'openssl', pattern: /^Didn't find STARTTLS in server response/, hint: 'tls-starttls-stripped', next_step: STRIPPED_NEXT, source: harvested('OpenSSL 3.0 s_client -starttls smtp') },
  { id: 'openssl-legacy-sigalg', library: 'openssl', pattern: /\blegacy sigalg disallowed or unsupported\b/, hint: 'tls-protocol-version', summary: 'the server offers only old TLS (1.0/1.1) with SHA-1 or MD5 signatures, which this client\'s OpenSSL 3 refuses', source: harvested('Python 3.11, curl 7.88.1 and s_client on OpenSSL 3.0 against a TLS 1.0-only server') },
  { id: 'openssl-connect-refused', library: 'openssl', pattern: /:BIO_connect:Connection refused:/, hint: 'connect-refused', source: harvested('OpenSSL 3.0 s_client') },
  // getaddrinfo's EAI_NONAME text, printed as is by OpenSSL's BIO and by .NET on Linux.
  { id: 'eai-noname', library: 'openssl', pattern: /\bName or service not known\b/, hint: 'dns-nxdomain', source: harvested('OpenSSL 3.0 s_client, System.Net.Mail and MailKit on .NET 10 (Linux)') },
  { id: 'openssl-wrong-version', library: 'openssl', pattern: /\bwrong version number\b/i, hint: 'tls-implicit-on-plaintext-port', next_step: MODE_MISMATCH_NEXT, source: OBSERVED_OPENSSL },
  { id: 'openssl-verify-failed', library: 'openssl', pattern: /\bcertificate verify failed\b/i, hint: 'tls-untrusted', trust: true, source: 'https://docs.openssl.org/3.0/man1/openssl-verification-options/' },
  { id: 'openssl-protocol-version', library: 'openssl', pattern: /\b(?:tlsv1 alert protocol version|unsupported protocol)\b/i, hint: 'tls-protocol-version', source: 'https://docs.openssl.org/3.0/man3/SSL_CTX_set_min_proto_version/' },
  { id: 'openssl-handshake-failure', library: 'openssl', pattern: /\b(?:sslv3|tlsv1) alert handshake failure\b/i, hint: 'tls-handshake-failure', source: 'https://datatracker.ietf.org/doc/html/rfc8446#section-6.2' },
];

export const CLIENT_RULES: readonly ClientRule[] = RAW.map((r) => {
  const h = hint(r.hint);
  return {
    id: r.id,
    library: r.library,
    pattern: r.pattern,
    class: h.class,
    hint_id: r.hint,
    summary: r.summary ?? h.summary,
    next_step: r.next_step ?? h.next_step,
    reply_stage: r.reply_stage ?? null,
    trust: r.trust ?? false,
    source: r.source,
  };
});

/** Which library printed a trace, from its class and module names, when no rule names it. */
export const LIBRARY_SIGNATURES: ReadonlyArray<{ library: Library; pattern: RegExp }> = [
  { library: 'javamail', pattern: /\b(?:javax\.mail|jakarta\.mail|com\.sun\.mail|org\.eclipse\.angus\.mail)\./ },
  { library: 'mailkit', pattern: /\bMailKit\./ },
  { library: 'dotnet-smtpclient', pattern: /\bSystem\.Net\.(?:Mail|Sockets|Security)\./ },
  { library: 'python-smtplib', pattern: /\bsmtplib\b/ },
  { library: 'python-ssl', pattern: /\bssl\.SSL\w{0,30}Error\b/ },
  { library: 'nodemailer', pattern: /\bnodemailer\b/ },
  { library: 'phpmailer', pattern: /\bPHPMailer\b/ },
  { library: 'curl', pattern: /^curl: \(\d+\)/m },
  { library: 'openssl', pattern: /^Certificate chain$|^CONNECTED\(\d+\)$/m },
  { library: 'rustls', pattern: /\brustls\b/ },
  { library: 'swaks', pattern: /^=== Trying [^\n]{1,300}\.\.\.$/m },
];
