// Realistic server replies and bounces with the rule each must match: the table the
// reply-rules tests check and the corpus the explain benchmark runs over.
import type { FailureClass } from '../payload/classify/classes.js';
import type { Protocol, Provider, ReplyStage } from '../payload/classify/replies.js';

export interface Sample {
  name: string;
  reply: string;
  stage?: ReplyStage;
  provider?: Provider;
  host?: string;
  protocol?: Protocol;
  id: string;
  cls: FailureClass;
}

export const G = 'a1-20020a05600c4e0100b0041c - gsmtp';
const MS = '[AM0PR02MB5123.eurprd02.prod.outlook.com 2025-03-04T09:15:22.431Z 08DD5A3C1F2B7E44]';
export const O365 = 'smtp.office365.com';

export const SAMPLES: Sample[] = [
  // ---- Gmail: AUTH ----
  {
    name: 'Gmail 535 5.7.8 bad credentials (multi-line)',
    reply: `535-5.7.8 Username and Password not accepted. Learn more at\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials ${G}`,
    stage: 'auth',
    id: 'gmail-535-bad-credentials',
    cls: 'auth',
  },
  {
    name: 'Gmail 535 5.7.8 single line, as the lab words it',
    reply: `535 5.7.8 Username and Password not accepted. For more information, go to https://support.google.com/mail/?p=BadCredentials ${G}`,
    stage: 'auth',
    id: 'gmail-535-bad-credentials',
    cls: 'auth',
  },
  {
    name: 'Gmail 534 5.7.9 app password required',
    reply: `534-5.7.9 Application-specific password required. Learn more at\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor ${G}`,
    stage: 'auth',
    id: 'gmail-534-app-password',
    cls: 'auth',
  },
  {
    name: 'Gmail 534 5.7.14 log in via web browser',
    reply: `534-5.7.14 <https://accounts.google.com/signin/continue?sarp=1&scc=1&plt=AKgnsbt> Please log in via your web browser and\n534-5.7.14 then try again.\n534-5.7.14  Learn more at\n534 5.7.14  https://support.google.com/mail/answer/78754 ${G}`,
    stage: 'auth',
    id: 'gmail-534-web-login-required',
    cls: 'auth',
  },
  {
    name: 'Gmail XOAUTH2: 334 error challenge, then 535 5.7.8',
    reply: `334 eyJzdGF0dXMiOiI0MDAiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==\n535-5.7.8 Username and Password not accepted. Learn more at\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials ${G}`,
    stage: 'auth',
    id: 'gmail-535-xoauth2-rejected',
    cls: 'auth',
  },
  {
    name: 'Gmail 535 5.7.8 naming an invalid OAuth token',
    reply: '535 5.7.8 Invalid OAuth token, the access token has expired',
    stage: 'auth',
    provider: 'gmail',
    id: 'gmail-535-xoauth2-rejected',
    cls: 'auth',
  },
  {
    name: 'Gmail 501 5.5.2 cannot decode the AUTH string',
    reply: `501 5.5.2 Cannot Decode response ${G}`,
    stage: 'auth',
    id: 'gmail-501-cannot-decode',
    cls: 'auth',
  },
  { name: 'Gmail 504 5.7.4 unrecognized auth type', reply: `504 5.7.4 Unrecognized Authentication Type ${G}`, stage: 'auth', id: 'gmail-504-unrecognized-auth-type', cls: 'auth' },
  { name: 'Gmail 538 5.7.11 encryption required', reply: `538 5.7.11 Encryption required for requested authentication mechanism ${G}`, stage: 'auth', id: 'gmail-538-encryption-required', cls: 'tls' },
  { name: 'Gmail 530 5.7.0 STARTTLS first', reply: `530 5.7.0 Must issue a STARTTLS command first. ${G}`, stage: 'mail', id: 'gmail-530-starttls-first', cls: 'tls' },
  {
    name: 'Gmail 530 5.7.0 authentication required at MAIL FROM',
    reply: `530-5.7.0 Authentication Required. Learn more at\n530 5.7.0  https://support.google.com/mail/?p=WantAuthError ${G}`,
    stage: 'mail',
    id: 'gmail-530-auth-required',
    cls: 'auth',
  },
  { name: 'Gmail 454 4.7.0 too many login attempts', reply: `454 4.7.0 Too many login attempts, please try again later. ${G}`, stage: 'auth', id: 'gmail-454-too-many-logins', cls: 'rate-limit' },
  { name: 'Gmail 454 4.7.0 temporary auth problem', reply: `454 4.7.0 Cannot authenticate due to temporary system problem. Try again later. ${G}`, stage: 'auth', id: 'gmail-454-auth-temporary', cls: 'rate-limit' },
  // ---- Gmail: 421 at connect and EHLO ----
  { name: 'Gmail 421 4.7.0 try again later, at EHLO', reply: `421 4.7.0 Try again later, closing connection. ${G}`, stage: 'ehlo', id: 'gmail-421-at-ehlo', cls: 'rate-limit' },
  { name: 'Gmail 421 4.7.0 try again later, at the banner', reply: `421 4.7.0 Try again later, closing connection. ${G}`, stage: 'banner', id: 'gmail-421-try-again-later', cls: 'rate-limit' },
  { name: 'Gmail 421 4.7.0 with the (EHLO) marker', reply: `421 4.7.0 Try again later, closing connection. (EHLO) ${G}`, stage: 'ehlo', id: 'gmail-421-ehlo-rejected', cls: 'rate-limit' },
  { name: 'Gmail 421 4.7.0 temporary system problem at EHLO', reply: `421 4.7.0 Temporary System Problem. Try again later. ${G}`, stage: 'ehlo', id: 'gmail-temporary-system-problem', cls: 'rate-limit' },
  {
    name: 'Gmail 421 4.7.28 unusual rate',
    reply: `421-4.7.28 [203.0.113.7      15] Our system has detected an unusual rate of\n421-4.7.28 unsolicited mail originating from your IP address. To protect our\n421 4.7.28 users from spam, mail sent from your IP address has been temporarily blocked. ${G}`,
    stage: 'rcpt',
    id: 'gmail-421-unusual-rate',
    cls: 'rate-limit',
  },
  { name: 'Workspace relay 421 IP not in whitelist', reply: '421 4.7.0 IP not in whitelist for RCPT domain, closing connection.', stage: 'rcpt', host: 'smtp-relay.gmail.com', id: 'gmail-421-ip-not-whitelisted', cls: 'smtp-policy' },
  // ---- Gmail: deferrals ----
  {
    name: 'Gmail 450 4.2.1 recipient receiving too quickly',
    reply: `450-4.2.1 The user you are trying to contact is receiving mail too quickly. Please\n450-4.2.1 resend your message at a later time. ${G}`,
    stage: 'rcpt',
    id: 'gmail-450-receiving-too-quickly',
    cls: 'rate-limit',
  },
  { name: 'Gmail 451 4.3.0 temporarily rejected', reply: `451 4.3.0 Mail server temporarily rejected message. ${G}`, stage: 'data', id: 'gmail-451-temporarily-rejected', cls: 'rate-limit' },
  { name: 'Gmail 452 4.5.3 too many recipients', reply: `452 4.5.3 Your message has too many recipients. ${G}`, stage: 'rcpt', id: 'gmail-452-too-many-recipients', cls: 'rate-limit' },
  // ---- Gmail: policy ----
  {
    name: 'Gmail 550 5.4.5 daily user sending limit',
    reply: `550-5.4.5 Daily user sending limit exceeded. For more information on Gmail\n550-5.4.5 sending limits go to\n550 5.4.5  https://support.google.com/a/answer/166852 ${G}`,
    stage: 'mail',
    id: 'gmail-550-daily-sending-limit',
    cls: 'smtp-policy',
  },
  { name: 'Workspace relay 550 5.4.5 daily relay limit', reply: '550 5.4.5 Daily SMTP relay limit exceeded for user.', stage: 'mail', host: 'smtp-relay.gmail.com', id: 'gmail-550-daily-relay-limit', cls: 'smtp-policy' },
  {
    name: 'Workspace relay 550 5.7.0 mail relay denied',
    reply: `550-5.7.0 Mail relay denied [203.0.113.7]. Invalid credentials for\n550-5.7.0 relay for one of the domains in: example.com (as obtained from HELO and\n550 5.7.0 MAIL FROM). ${G}`,
    stage: 'rcpt',
    id: 'gmail-550-relay-denied',
    cls: 'smtp-policy',
  },
  {
    name: 'Gmail 550 5.7.1 likely unsolicited, at DATA',
    reply: `550-5.7.1 [203.0.113.7] Our system has detected that this message is\n550-5.7.1 likely unsolicited mail. To reduce the amount of spam sent to Gmail,\n550-5.7.1 this message has been blocked. Please visit\n550 5.7.1  https://support.google.com/mail/?p=UnsolicitedMessageError ${G}`,
    stage: 'data',
    id: 'gmail-550-spam',
    cls: 'smtp-policy',
  },
  {
    name: 'Gmail 550 5.7.26 unauthenticated sender',
    reply: `550-5.7.26 This mail has been blocked because the sender is unauthenticated.\n550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.\n550 5.7.26  https://support.google.com/mail/answer/81126 ${G}`,
    stage: 'data',
    id: 'gmail-550-dmarc-unauthenticated',
    cls: 'smtp-policy',
  },
  {
    name: 'Gmail 552 5.7.0 attachment blocked at DATA',
    reply: `552-5.7.0 This message was blocked because its content presents a potential\n552-5.7.0 security issue. Please visit\n552-5.7.0  https://support.google.com/mail/?p=BlockedMessage to review our\n552 5.7.0 message content and attachment content guidelines. ${G}`,
    stage: 'data',
    id: 'gmail-552-content-blocked',
    cls: 'smtp-policy',
  },
  { name: 'Gmail 552 5.2.3 too big', reply: `552-5.2.3 Your message exceeded Google's message size limits. Please visit\n552 5.2.3  https://support.google.com/mail/?p=MaxSizeError ${G}`, stage: 'data', id: 'gmail-552-size-limit', cls: 'smtp-policy' },
  { name: 'Gmail 553 5.1.2 recipient domain not found', reply: `553-5.1.2 We weren't able to find the recipient domain. Please check for any\n553 5.1.2 spelling errors. ${G}`, stage: 'rcpt', id: 'gmail-553-recipient-domain', cls: 'smtp-policy' },
  {
    name: 'Gmail 550 5.1.1 no such user',
    reply: `550-5.1.1 The email account that you tried to reach does not exist. Please try\n550-5.1.1 double-checking the recipient's email address for typos.\n550 5.1.1  https://support.google.com/mail/?p=NoSuchUser ${G}`,
    stage: 'rcpt',
    id: 'gmail-550-no-such-user',
    cls: 'smtp-policy',
  },
  { name: 'Gmail 552 5.2.2 mailbox full', reply: `552-5.2.2 The email account that you tried to reach is over quota.\n552 5.2.2  https://support.google.com/mail/?p=OverQuotaPerm ${G}`, stage: 'rcpt', id: 'gmail-552-mailbox-full', cls: 'smtp-policy' },
  { name: 'Workspace admin content rule (gcdp)', reply: '550 5.7.1 This message violates example.com email policy. - gcdp 1a2b3c4d - gsmtp', stage: 'data', id: 'gmail-550-admin-policy', cls: 'smtp-policy' },
  { name: 'Gmail 555 5.5.2 syntax error', reply: `555 5.5.2 Syntax error. ${G}`, stage: 'mail', id: 'gmail-555-syntax-error', cls: 'unknown' },

  // ---- Microsoft 365 ----
  { name: 'Microsoft 535 5.7.3 authentication unsuccessful (detected from the server name)', reply: `535 5.7.3 Authentication unsuccessful ${MS}`, stage: 'auth', id: 'ms-authentication-unsuccessful', cls: 'auth' },
  {
    name: 'Microsoft 5.7.139 SMTP AUTH off for the tenant',
    reply: `535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. ${MS}`,
    stage: 'auth',
    host: O365,
    id: 'ms-smtp-auth-disabled-tenant',
    cls: 'auth',
  },
  {
    name: 'Microsoft 5.7.139 SMTP AUTH off for the mailbox',
    reply: `535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information. ${MS}`,
    stage: 'auth',
    host: O365,
    id: 'ms-smtp-auth-disabled-mailbox',
    cls: 'auth',
  },
  // SendGrid words every refused login this way; its host name tells the provider.
  { name: 'SendGrid 535 bad username / password', reply: '535 Authentication failed: Bad username / password', stage: 'auth', host: 'smtp.sendgrid.net', id: 'sendgrid-535-apikey-user', cls: 'auth' },
  { name: 'Microsoft 5.7.139 basic auth disabled', reply: `535 5.7.139 Authentication unsuccessful, basic authentication is disabled. ${MS}`, stage: 'auth', host: O365, id: 'ms-basic-auth-disabled', cls: 'auth' },
  {
    name: 'Microsoft 5.7.139 security defaults',
    reply: `535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy. Contact your administrator. ${MS}`,
    stage: 'auth',
    host: O365,
    id: 'ms-security-defaults',
    cls: 'auth',
  },
  {
    name: 'Microsoft 5.7.139 Conditional Access',
    reply: `535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator. ${MS}`,
    stage: 'auth',
    host: O365,
    id: 'ms-conditional-access',
    cls: 'auth',
  },
  { name: 'Microsoft 5.7.139 account disabled', reply: `535 5.7.139 Authentication unsuccessful, account is disabled. ${MS}`, stage: 'auth', host: O365, id: 'ms-account-disabled', cls: 'auth' },
  { name: 'Microsoft 5.7.30 Basic auth retired for client submission', reply: `550 5.7.30 Basic authentication is not supported for Client Submission. ${MS}`, stage: 'auth', host: O365, id: 'ms-basic-auth-client-submission-retired', cls: 'auth' },
  { name: 'Microsoft 530 5.7.57 client not authenticated', reply: `530 5.7.57 Client not authenticated to send mail. ${MS}`, stage: 'mail', host: O365, id: 'ms-client-not-authenticated', cls: 'auth' },
  {
    name: 'Postfix log line relaying to Office 365, 5.7.57',
    reply: 'Nov 29 09:52:57 runner07 postfix/smtp[29893]: C53C9141028: to=<ops@contoso.com>, relay=smtp.office365.com[52.96.1.2]:587, dsn=5.7.57, status=bounced (host smtp.office365.com[52.96.1.2] said: 530 5.7.57 Client not authenticated to send mail. [BN1P110CA0052.NAMP110.PROD.OUTLOOK.COM 2025-11-29T14:52:57.126Z 08DBE7319275F6BA] (in reply to MAIL FROM command))',
    id: 'ms-client-not-authenticated',
    cls: 'auth',
  },
  { name: 'Microsoft 550 5.7.60 send as', reply: `550 5.7.60 SMTP; Client does not have permissions to send as this sender ${MS}`, stage: 'data', host: O365, id: 'ms-send-as-denied', cls: 'smtp-policy' },
  {
    name: 'Microsoft 554 5.2.252 SendAsDenied',
    reply: `554 5.2.252 SendAsDenied; bot@contoso.com not allowed to send as finance@contoso.com; STOREDRV.Submit; Exception:SendAsDeniedException.MapiExceptionSendAsDenied ${MS}`,
    stage: 'data',
    host: O365,
    id: 'ms-send-as-denied',
    cls: 'smtp-policy',
  },
  { name: 'Microsoft 550 5.7.64 TenantAttribution', reply: `550 5.7.64 TenantAttribution; Relay Access Denied ${MS}`, stage: 'rcpt', host: 'contoso-com.mail.protection.outlook.com', id: 'ms-tenant-attribution', cls: 'smtp-policy' },
  { name: 'Microsoft 451 4.7.500 server busy', reply: `451 4.7.500 Server busy. Please try again later from [203.0.113.7]. (S77719) ${MS}`, stage: 'rcpt', host: O365, id: 'exo-4-7-5xx-deferral', cls: 'rate-limit' },
  { name: 'Microsoft 550 5.1.8 bad outbound sender', reply: `550 5.1.8 Access denied, bad outbound sender. AS(42003) ${MS}`, stage: 'mail', host: O365, id: 'ms-bad-outbound-sender', cls: 'smtp-policy' },
  { name: 'Microsoft 550 5.4.1 recipient access denied', reply: `550 5.4.1 Recipient address rejected: Access denied. AS(201806281) ${MS}`, stage: 'rcpt', host: 'contoso-com.mail.protection.outlook.com', id: 'ms-recipient-access-denied', cls: 'smtp-policy' },
  { name: 'Microsoft 550 5.1.10 recipient not found', reply: `550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup ${MS}`, stage: 'rcpt', host: O365, id: 'ms-recipient-not-found', cls: 'smtp-policy' },
  { name: 'Microsoft 421 4.7.66 legacy TLS', reply: `421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls. ${MS}`, stage: 'ehlo', id: 'ms-tls-legacy-version', cls: 'tls' },
  {
    name: 'Microsoft 554 5.2.0 submission quota',
    reply: `554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message Cannot submit message. ${MS}`,
    stage: 'data',
    host: O365,
    id: 'ms-submission-quota',
    cls: 'smtp-policy',
  },
  {
    name: 'Microsoft 550 5.7.606 banned sending IP',
    reply: '550 5.7.606 Access denied, banned sending IP [203.0.113.7]. To request removal from this list please visit https://sender.office.com/ and follow the directions. AS(1430)',
    stage: 'rcpt',
    host: 'contoso-com.mail.protection.outlook.com',
    id: 'exo-5-7-606',
    cls: 'smtp-policy',
  },
  { name: 'Microsoft 550 5.7.708 IP not accepted', reply: '550 5.7.708 Access denied, traffic not accepted from this IP.', stage: 'mail', host: O365, id: 'exo-5-7-708', cls: 'smtp-policy' },
  { name: 'Microsoft 550 5.7.750 unregistered domain', reply: '550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains.', stage: 'mail', host: O365, id: 'exo-5-7-750', cls: 'smtp-policy' },
  { name: 'Microsoft 550 5.7.124 not an allowed sender', reply: '550 5.7.124 Sender not in allowed-senders list', stage: 'rcpt', host: O365, id: 'exo-5-7-124', cls: 'smtp-policy' },
  { name: 'Microsoft 5.2.2 without telling text means the sender quota', reply: `550 5.2.2 Submission refused ${MS}`, stage: 'data', host: O365, id: 'ms-5-2-2-sending-limit', cls: 'smtp-policy' },
  { name: 'the same 5.2.2 elsewhere means a full mailbox', reply: '550 5.2.2 Submission refused', stage: 'rcpt', id: 'rfc-5-2-2', cls: 'smtp-policy' },

  // ---- generic servers ----
  { name: 'Postfix relay access denied', reply: '554 5.7.1 <someone@example.org>: Relay access denied', stage: 'rcpt', id: 'generic-relay-denied', cls: 'smtp-policy' },
  { name: 'Postfix sender login mismatch', reply: '553 5.7.1 <ceo@lab.test>: Sender address rejected: not owned by user good@lab.test', stage: 'mail', id: 'generic-sender-rejected', cls: 'smtp-policy' },
  // Real Postgrey 1.37 behind Postfix 3.7 (test/esmtp.lab.test.ts checks these word for word): the default text, and --greylist-text 'Greylisted for %s seconds'.
  { name: 'Postgrey greylisting (Debian default text)', reply: '450 4.2.0 <to@grey.lab.test>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/grey.lab.test.html', stage: 'rcpt', id: 'generic-greylisting', cls: 'rate-limit' },
  { name: 'Postgrey greylisting (--greylist-text with %s)', reply: '450 4.2.0 <to@grey.lab.test>: Recipient address rejected: Greylisted for 2 seconds', stage: 'rcpt', id: 'generic-greylisting', cls: 'rate-limit' },
  { name: 'Exim greylisting', reply: '451 4.7.1 Please try again later', stage: 'rcpt', id: 'generic-greylisting', cls: 'rate-limit' },
  { name: 'Dovecot SASL failure', reply: '535 5.7.8 Error: authentication failed: authentication failure', stage: 'auth', id: 'rfc-5-7-8', cls: 'auth' },
  { name: 'Postfix STARTTLS first', reply: '530 5.7.0 Must issue a STARTTLS command first', stage: 'mail', id: 'generic-starttls-required', cls: 'tls' },
  { name: 'STARTTLS refused for a local problem', reply: '454 4.7.0 TLS not available due to local problem', stage: 'starttls', id: 'generic-tls-not-available', cls: 'tls' },
  { name: 'implicit TLS on the STARTTLS port (OpenSSL error text)', reply: 'Error: 40E8F2A1F87F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number', id: 'generic-tls-port-mismatch', cls: 'tls' },
  { name: 'generic 421 greeting', reply: '421 4.7.0 Try again later, closing connection.', stage: 'banner', id: 'generic-421-try-again-later', cls: 'rate-limit' },
  { name: 'RBL rejection', reply: '554 5.7.1 Service unavailable; Client host [203.0.113.7] blocked using zen.spamhaus.org', stage: 'rcpt', id: 'generic-blocklisted', cls: 'smtp-policy' },
  { name: 'message too big (Postfix)', reply: '552 5.3.4 Message size exceeds fixed limit', stage: 'data', id: 'rfc-5-3-4', cls: 'smtp-policy' },
  { name: 'no reverse DNS', reply: '550 5.7.25 The IP address sending this message does not have a PTR record setup', stage: 'mail', id: 'rfc-5-7-23', cls: 'smtp-policy' },
  { name: 'bad sequence of commands', reply: '503 5.5.1 Bad sequence of commands', stage: 'rcpt', id: 'rfc-x-5-x', cls: 'unknown' },
  { name: 'bare 502 without enhanced code', reply: '502 Command not implemented', stage: 'mail', id: 'code-5xx-protocol', cls: 'unknown' },
  { name: 'bare 421 service not available', reply: '421 Service not available, closing transmission channel', stage: 'banner', id: 'generic-421-try-again-later', cls: 'rate-limit' },
  { name: 'bare 452 storage', reply: '452 Requested action not taken: insufficient system storage', stage: 'data', id: 'code-45x', cls: 'rate-limit' },
  { name: 'bare 550 mailbox unavailable', reply: '550 Requested action not taken: mailbox unavailable', stage: 'rcpt', id: 'generic-recipient-rejected', cls: 'smtp-policy' },
  { name: 'bare 535 without text we know', reply: '535 Go away', stage: 'auth', id: 'code-534-535', cls: 'auth' },
  { name: '5.7.0 with a 530 and no stage is about logging in', reply: '530 5.7.0 Not allowed', id: 'rfc-5-7-0-login', cls: 'auth' },
  { name: '5.7.0 with a 550 and no stage is a policy refusal', reply: '550 5.7.0 Not allowed', id: 'rfc-5-7-0-content', cls: 'smtp-policy' },
  { name: '5.7.0 at AUTH is about logging in', reply: '554 5.7.0 Rejected by local policy', stage: 'auth', id: 'rfc-5-7-0-auth', cls: 'auth' },
  { name: 'the same 5.7.0 at DATA is about content', reply: '554 5.7.0 Rejected by local policy', stage: 'data', id: 'rfc-5-7-0-content', cls: 'smtp-policy' },

  // ---- IMAP ----
  { name: 'IMAP AUTHENTICATIONFAILED', reply: 'a1 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)', id: 'imap-authenticationfailed', cls: 'auth' },
  { name: 'IMAP LOGIN failed (Exchange Online)', reply: 'A001 NO LOGIN failed.', id: 'imap-login-failed', cls: 'auth' },
  { name: 'IMAP LOGINDISABLED before TLS', reply: '* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE STARTTLS LOGINDISABLED', id: 'imap-logindisabled', cls: 'tls' },
  { name: 'IMAP PRIVACYREQUIRED', reply: 'a2 NO [PRIVACYREQUIRED] Connection is not encrypted', id: 'imap-privacyrequired', cls: 'tls' },
  { name: 'IMAP UNAVAILABLE', reply: 'a3 NO [UNAVAILABLE] Mailbox backend temporarily unavailable', id: 'imap-unavailable', cls: 'unknown' },
  { name: 'IMAP CLIENTBUG', reply: 'a4 BAD [CLIENTBUG] FETCH without a selected mailbox', id: 'imap-clientbug', cls: 'unknown' },
  { name: 'IMAP ALERT', reply: '* OK [ALERT] Your mailbox is at 98% of its quota', id: 'imap-alert', cls: 'unknown' },
  { name: 'Gmail IMAP app password alert', reply: 'a1 NO [ALERT] Application-specific password required: https://support.google.com/accounts/answer/185833 (Failure)', id: 'gmail-imap-web-login', cls: 'auth' },
  { name: 'Dovecot IMAP LOGIN before STARTTLS', reply: 'a2 NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.', id: 'imap-plaintext-disallowed', cls: 'tls' },
  { name: 'Microsoft 365 IMAP AUTHENTICATE failed', reply: 'A01 NO AUTHENTICATE failed.', id: 'imap-authenticate-failed', cls: 'auth' },
  { name: 'Gmail IMAP web login required', reply: 'a1 NO [ALERT] Web login required: https://support.google.com/mail/answer/78754 (Failure)', id: 'gmail-imap-web-login', cls: 'auth' },
  { name: 'IMAP response forced with protocol', reply: 'NO [AUTHENTICATIONFAILED] Authentication failed.', protocol: 'imap', id: 'imap-authenticationfailed', cls: 'auth' },

  // ---- POP3 ----
  { name: 'POP authentication failed', reply: '-ERR authentication failed', id: 'pop-authentication-failed', cls: 'auth' },
  { name: 'POP logon failure (Exchange)', reply: '-ERR Logon failure: unknown user name or bad password.', id: 'pop-logon-failure', cls: 'auth' },
  { name: 'POP command not implemented', reply: '-ERR Command not implemented', id: 'pop-not-implemented', cls: 'unknown' },
  { name: 'POP disabled', reply: '-ERR POP3 is disabled for this account', id: 'pop-disabled', cls: 'auth' },
  { name: 'Gmail POP credentials', reply: '-ERR [AUTH] Username and password not accepted.', id: 'pop-authentication-failed', cls: 'auth' },
  // Dovecot 2.3 (Debian) with disable_plaintext_auth, as the mailread lab test sees it.
  { name: 'Dovecot POP USER before STLS', reply: '-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.', id: 'pop-plaintext-disallowed', cls: 'tls' },
  { name: 'POP SYS/TEMP (RFC 3206)', reply: '-ERR [SYS/TEMP] Mail store temporarily unavailable, try again later', id: 'pop-sys-temp', cls: 'unknown' },
  { name: 'POP SYS/PERM (RFC 3206)', reply: '-ERR [SYS/PERM] Maildrop damaged, contact your administrator', id: 'pop-sys-perm', cls: 'unknown' },
  { name: 'POP LOGIN-DELAY (RFC 2449)', reply: '-ERR [LOGIN-DELAY] minimum time between mail checks violated', id: 'pop-login-delay', cls: 'rate-limit' },
  { name: 'POP IN-USE (RFC 2449)', reply: '-ERR [IN-USE] Do you have another POP session running?', id: 'pop-in-use', cls: 'unknown' },

  // ---- Gmail "Send mail as" bounces ----
  {
    name: 'English "Send mail as" bounce quoting a Microsoft 5.7.139',
    reply: [
      'Delivery to the following recipient failed permanently:',
      '',
      '     j.jansen@contoso.com',
      '',
      'Technical details of permanent failure:',
      "This message went out through 'Send mail as' for an alias, and Gmail's saved login for that alias was refused.",
      'The response from the remote server was:',
      '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.',
    ].join('\n'),
    provider: 'microsoft',
    id: 'gmail-send-mail-as-bounce',
    cls: 'auth',
  },
  {
    name: 'English "Send mail as" bounce quoting a Gmail 535',
    reply: "Your 'Send mail as' alias could not sign in.\nThe response from the remote server was:\n535-5.7.8 Username and Password not accepted. Learn more at\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials x2-20020a - gsmtp",
    id: 'gmail-send-mail-as-bounce',
    cls: 'auth',
  },
  {
    name: 'English "Send mail as" bounce without a quoted reply',
    reply: "Message not delivered. You used 'Send mail as' for this address, and the account details saved for it are wrong or outdated.",
    id: 'gmail-send-mail-as-bounce-text',
    cls: 'auth',
  },
  {
    name: 'Dutch "Mail sturen als" bounce quoting a 535 5.7.3',
    reply: "Je bericht is niet bezorgd. Dit adres gebruikt 'Mail sturen als' en de andere server weigerde de bewaarde inloggegevens.\nHet antwoord van de externe server was:\n535 5.7.3 Authentication unsuccessful",
    id: 'gmail-mail-sturen-als-bounce',
    cls: 'auth',
  },
  {
    name: 'Dutch "Mail sturen als" bounce without a quoted reply',
    reply: "Je bericht is niet bezorgd: de instellingen voor 'Mail sturen als' van dit adres zijn onjuist of verlopen.",
    id: 'gmail-mail-sturen-als-bounce-text',
    cls: 'auth',
  },

  // ======================================================================================
  // Samples that give every rule a reply it wins (issue 13). Each group names where the
  // wording comes from; RFC wording is used where a rule exists for the RFC's own text.
  // ======================================================================================

  // ---- Gmail and Workspace relay: wording of https://support.google.com/a/answer/3726730 ----
  { name: 'Gmail 421 4.7.0 TLS required for RCPT domain (Google SMTP errors page)', reply: `421-4.7.0 TLS required for RCPT domain, closing connection. ${G}`, stage: 'rcpt', id: 'gmail-421-tls-required', cls: 'tls' },
  { name: 'Gmail 421 4.4.5 server busy (Google SMTP errors page)', reply: `421 4.4.5 Server busy, try again later. ${G}`, stage: 'banner', id: 'gmail-421-server-busy', cls: 'rate-limit' },
  // A Gmail 421 4.7.0 without any of the texts the Gmail 421 rules know: the whole bounce as
  // quoted in a Zimbra scripts README on GitHub (Gmail help answer 188131).
  {
    name: 'Gmail 421 4.7.0 suspicious content, deferred at DATA',
    reply: `421 4.7.0 [167.89.55.59 15] Our system has detected that this message is suspicious due to the nature of the content and/or the links within. To best protect our users from spam, the message has been blocked. Please visit https://support.google.com/mail/answer/188131 for more information. u22si16671234pfl.244 - gsmtp`,
    stage: 'data',
    id: 'gmail-421-4-7-0',
    cls: 'rate-limit',
  },
  {
    name: 'Workspace relay 450 4.2.1 peak relay limit (Google SMTP errors page; sendlayer.com/docs/error-450-4-2-1-peak-smtp-relay-limit-exceeded-for-customer)',
    reply: '450 4.2.1 Peak SMTP relay limit exceeded for customer. This is a temporary error. For more information on SMTP relay limits, please contact your administrator or visit https://support.google.com/a/answer/6140680',
    stage: 'rcpt',
    host: 'smtp-relay.gmail.com',
    id: 'gmail-450-peak-relay-limit',
    cls: 'rate-limit',
  },
  { name: 'Gmail 454 4.5.0 commands pipelined after STARTTLS (Google SMTP errors page)', reply: `454 4.5.0 SMTP protocol violation, no commands allowed to pipeline after STARTTLS, see RFC 3207. ${G}`, stage: 'starttls', id: 'gmail-454-starttls-pipelining', cls: 'unknown' },
  { name: 'Gmail 554 5.7.0 too many unauthenticated commands (Google SMTP errors page)', reply: `554 5.7.0 Too many unauthenticated commands. ${G}`, stage: 'mail', id: 'gmail-554-too-many-unauthenticated', cls: 'auth' },
  {
    name: 'Workspace relay 550 5.7.0 mail sending denied (Google SMTP errors page)',
    reply: '550 5.7.0 Mail Sending denied. This error occurs if the sender account is disabled or not registered within your Google Workspace domain.',
    stage: 'mail',
    host: 'smtp-relay.gmail.com',
    id: 'gmail-550-sending-denied',
    cls: 'smtp-policy',
  },
  // These two are the single-line wording of the Google page: Gmail's own multi-line reply
  // breaks the phrase across lines, and each continuation line repeats the enhanced code
  // ("...not authorized to 5.7.1 send email directly"), which the text patterns do not expect.
  {
    name: 'Gmail 550 5.7.1 IP not authorized to send directly (Google SMTP errors page, one line)',
    reply: `550 5.7.1 The IP you're using to send mail is not authorized to send email directly to our servers. Please use the SMTP relay at your service provider instead. ${G}`,
    stage: 'mail',
    id: 'gmail-550-ip-not-authorized',
    cls: 'smtp-policy',
  },
  { name: 'Gmail 553 5.1.3 recipient not a valid RFC 5321 address (Google SMTP errors page, one line)', reply: `553 5.1.3 The recipient address <bob@example> is not a valid RFC 5321 address. ${G}`, stage: 'rcpt', id: 'gmail-553-invalid-address', cls: 'smtp-policy' },
  {
    name: 'Gmail 550 5.2.1 recipient account disabled (Google SMTP errors page)',
    reply: `550-5.2.1 The email account that you tried to reach is disabled. Learn more at\n550 5.2.1  https://support.google.com/mail/?p=DisabledUser ${G}`,
    stage: 'rcpt',
    id: 'gmail-550-recipient-disabled',
    cls: 'smtp-policy',
  },

  // ---- Microsoft 365 / Exchange Online throttling ----
  // github.com/timeoff-management/timeoff-management-application/issues/308 and
  // github.com/v2board/v2board/issues/148: three concurrent SMTP submissions per mailbox.
  {
    name: 'Exchange Online 432 4.3.2 sender thread limit (timeoff-management issue 308)',
    reply: '432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded [Hostname=DM5SPR00MB2471.namprd08.prod.outlook.com]',
    stage: 'data',
    host: O365,
    id: 'ms-concurrency-limit',
    cls: 'rate-limit',
  },
  // serverfault.com/questions/833887 and lockstep.zendesk.com (Email error message 421 4.4.2):
  // the MessageRateLimit of the receive connector / throttling policy.
  { name: 'Exchange 421 4.4.2 message submission rate exceeded, at smtp.office365.com (serverfault 833887)', reply: '421 4.4.2 Message submission rate for this client has exceeded the configured limit', stage: 'data', host: O365, id: 'ms-message-rate-limit', cls: 'rate-limit' },
  { name: 'on-premises Exchange 432 4.3.2 sender thread limit (no Microsoft host: the RFC subject rule)', reply: '432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded', stage: 'data', host: 'mail.contoso.com', id: 'rfc-4-3-2', cls: 'rate-limit' },
  { name: 'on-premises Exchange 421 4.4.2 submission rate (serverfault 833887, no Microsoft host)', reply: '421 4.4.2 Message submission rate for this client has exceeded the configured limit', stage: 'data', host: 'mail.contoso.com', id: 'rfc-4-4-2', cls: 'rate-limit' },

  // ---- Microsoft NDR codes as pasted without the server name (Outlook NDRs, .NET SmtpException
  // messages); wording from Microsoft Learn "Exchange Online NDR and SMTP errors" ----
  {
    name: 'System.Net.Mail SmtpException text quoting 5.7.57 (classic .NET wording)',
    reply: 'The SMTP server requires a secure connection or the client was not authenticated. The server response was: 5.7.57 Client not authenticated to send mail. [AM0PR02MB5123.eurprd02.prod.outlook.com 2025-03-04T09:15:22.431Z 08DD5A3C1F2B7E44]',
    id: 'exo-5-7-57',
    cls: 'auth',
  },
  {
    name: 'System.Net.Mail SmtpException text quoting 5.7.60 send-as (pastebin.com/wtU9XT6T reply)',
    reply: 'Mailbox unavailable. The server response was: 5.7.60 SMTP; Client does not have permissions to send as this sender [BY2PR1001MB1094.namprd10.prod.outlook.com]',
    id: 'exo-5-7-60',
    cls: 'smtp-policy',
  },
  { name: 'Exchange Online 550 5.7.30 pasted without the server name', reply: '550 5.7.30 Basic authentication is not supported for Client Submission.', stage: 'auth', id: 'exo-5-7-30', cls: 'auth' },
  { name: 'Exchange Online 535 5.7.139 Conditional Access, pasted without the server name', reply: '535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator.', stage: 'auth', id: 'exo-5-7-139', cls: 'auth' },
  { name: 'on-premises Exchange 535 5.7.3 authentication unsuccessful', reply: '535 5.7.3 Authentication unsuccessful', stage: 'auth', host: 'mail.contoso.com', id: 'rfc-5-7-3', cls: 'auth' },
  { name: 'Outlook NDR line: 550 5.1.8 bad outbound sender', reply: "Remote Server returned '550 5.1.8 Access denied, bad outbound sender AS(42003)'", id: 'rfc-5-1-8', cls: 'smtp-policy' },
  { name: 'Exchange Online 550 5.1.10 pasted without the server name', reply: '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup', stage: 'rcpt', id: 'exo-5-1-10', cls: 'smtp-policy' },
  { name: 'Outlook NDR line: 550 5.7.64 TenantAttribution', reply: "Remote Server returned '550 5.7.64 TenantAttribution; Relay Access Denied'", id: 'exo-5-7-64', cls: 'smtp-policy' },
  { name: 'on-premises Exchange 550 5.1.1 recipient not found', reply: '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found', stage: 'rcpt', host: 'mail.contoso.com', id: 'rfc-5-1-1', cls: 'smtp-policy' },
  { name: 'on-premises Exchange 530 5.7.1 client was not authenticated', reply: '530 5.7.1 Client was not authenticated', stage: 'mail', host: 'mail.contoso.com', id: 'generic-client-not-authenticated', cls: 'auth' },

  // ---- Exchange Online Protection blocks: Microsoft Learn "Exchange Online NDR 5.7.x"
  // (learn.microsoft.com/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online) ----
  {
    name: 'EOP 550 5.7.508 IP over its permitted limits',
    reply: '550 5.7.508 Access denied, [203.0.113.7] has exceeded permitted limits within 203.0.113.0/24 range. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653',
    stage: 'rcpt',
    host: 'contoso-com.mail.protection.outlook.com',
    id: 'exo-5-7-508',
    cls: 'rate-limit',
  },
  {
    name: 'EOP 550 5.7.511 banned sender',
    reply: '550 5.7.511 Access denied, banned sender[203.0.113.7]. To request removal from this list please forward this message to delist@microsoft.com. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653.',
    stage: 'rcpt',
    host: 'contoso-com.mail.protection.outlook.com',
    id: 'exo-5-7-511',
    cls: 'smtp-policy',
  },
  { name: 'Exchange Online 550 5.7.705 tenant over the abuse threshold', reply: `550 5.7.705 Access denied, tenant has exceeded threshold. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653 ${MS}`, stage: 'data', host: O365, id: 'exo-5-7-705', cls: 'smtp-policy' },
  { name: 'Exchange Online 550 5.7.520 external forwarding not allowed (a 5.7 code without a rule of its own)', reply: `550 5.7.520 Access denied, Your organization does not allow external forwarding. Please contact your administrator for further assistance. AS(7555) ${MS}`, stage: 'data', host: O365, id: 'rfc-5-7-x', cls: 'smtp-policy' },
  { name: 'Exchange 554 5.4.14 hop count exceeded', reply: `554 5.4.14 Hop count exceeded - possible mail loop ATTR34 ${MS}`, stage: 'data', host: O365, id: 'rfc-5-4-x', cls: 'smtp-policy' },
  { name: 'Exchange 554 5.6.0 corrupt message content', reply: '554 5.6.0 Corrupt message content; STOREDRV.Deliver.Exception:ConversionFailedPermanentException', stage: 'data', id: 'rfc-x-6-x', cls: 'smtp-policy' },
  {
    name: 'Exchange 554 5.2.2 recipient mailbox full (QuotaExceededException)',
    reply: `554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded; Failed to process message due to a permanent exception with message Cannot open mailbox ${MS}`,
    stage: 'data',
    id: 'generic-mailbox-full',
    cls: 'smtp-policy',
  },
  { name: 'Exchange queue 451 4.4.0 DNS query failed', reply: '451 4.4.0 DNS query failed. The error was: DNS query failed with error ErrorRetry', stage: 'any', host: 'mail.contoso.com', id: 'rfc-4-4-x', cls: 'rate-limit' },

  // ---- Postfix (postconf(5), access(5) and smtpd wording) ----
  { name: 'Postfix 504 5.5.2 HELO needs a fully-qualified hostname', reply: '504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname', stage: 'rcpt', id: 'generic-helo-rejected', cls: 'smtp-policy' },
  // pastebin.com/HxJ9vMwM (Postfix log of a check_client_access reject).
  { name: 'Postfix 554 5.7.1 client host rejected by access table', reply: '554 5.7.1 <unknown[203.0.113.7]>: Client host rejected: Access denied', stage: 'rcpt', id: 'rfc-5-7-1', cls: 'smtp-policy' },
  { name: 'Postfix 501 5.1.7 bad sender address syntax', reply: '501 5.1.7 Bad sender address syntax', stage: 'mail', id: 'rfc-5-1-7', cls: 'smtp-policy' },
  { name: 'Postfix 452 4.5.3 too many recipients (smtpd_recipient_limit)', reply: '452 4.5.3 Error: too many recipients', stage: 'rcpt', id: 'rfc-x-5-3', cls: 'rate-limit' },
  { name: 'Postfix 3 450 4.7.25 client hostname not found (reject_unknown_client_hostname)', reply: '450 4.7.25 Client host rejected: cannot find your hostname, [203.0.113.7]', stage: 'rcpt', id: 'rfc-4-7-x', cls: 'rate-limit' },
  { name: 'Postfix 452 4.3.1 insufficient system storage (queue_minfree)', reply: '452 4.3.1 Insufficient system storage', stage: 'mail', id: 'rfc-4-3-x', cls: 'rate-limit' },
  { name: 'Postfix 421 4.4.2 smtpd timeout', reply: '421 4.4.2 mail.example.org Error: timeout exceeded', stage: 'data', id: 'rfc-4-4-2', cls: 'rate-limit' },
  { name: 'rspamd reject through the Postfix milter (rspamd default reject message)', reply: '554 5.7.1 Spam message rejected', stage: 'data', id: 'generic-content-rejected', cls: 'smtp-policy' },
  // Dovecot's default quota_exceeded_message, returned by LMTP with quota_full_tempfail=yes.
  { name: 'Dovecot LMTP 452 4.2.2 quota exceeded (quota_full_tempfail)', reply: '452 4.2.2 <bob@example.org> Quota exceeded (mailbox for user is full)', stage: 'rcpt', id: 'rfc-4-2-x', cls: 'rate-limit' },

  // ---- Exim (src/smtp_in.c wording; the 454 also in github.com/openwrt list mail "454 TLS currently unavailable on openwrt.org email") ----
  { name: 'Exim 421 SMTP command timeout', reply: '421 mail.example.org: SMTP command timeout - closing connection', stage: 'mail', id: 'code-421', cls: 'rate-limit' },
  { name: 'Exim 454 TLS currently unavailable', reply: '454 TLS currently unavailable', stage: 'starttls', id: 'code-454', cls: 'rate-limit' },
  { name: 'Exim 550 administrative prohibition (default ACL deny)', reply: '550 Administrative prohibition', stage: 'rcpt', id: 'code-550-554', cls: 'smtp-policy' },

  // ---- Sendmail (collect.c, srvrsmtp.c and cf/m4/proto.m4 wording) ----
  { name: 'Sendmail 552 5.2.3 message exceeds maximum fixed size', reply: '552 5.2.3 Message exceeds maximum fixed size (10485760)', stage: 'data', id: 'rfc-5-2-3', cls: 'smtp-policy' },
  { name: 'Sendmail 550 5.1.2 host unknown', reply: '550 5.1.2 <bob@nosuch.example>... Host unknown (Name server: nosuch.example: host not found)', stage: 'rcpt', id: 'rfc-5-1-2', cls: 'smtp-policy' },
  { name: 'Sendmail 451 4.1.8 sender domain does not resolve', reply: '451 4.1.8 Domain of sender address alice@nosuch.example does not resolve', stage: 'mail', id: 'rfc-x-1-x', cls: 'smtp-policy' },
  { name: 'Sendmail 554 5.3.5 local configuration error (mail loops back)', reply: '554 5.3.5 Local configuration error', stage: 'rcpt', id: 'rfc-5-3-x', cls: 'smtp-policy' },

  // ---- other providers ----
  // github.com/docusealco/docuseal/issues/524 (Yahoo's authentication-failure bounce).
  {
    name: 'Yahoo 550 5.7.9 sender unauthenticated, SPF or DKIM (docuseal issue 524)',
    reply: '550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo requires all senders to authenticate with either SPF or DKIM. Authentication results: DKIM = FAILURE - SPF example.com with ip 209.85.215.170 = FAILURE. See https://senders.yahooinc.com/smtp-error-codes/#authentication-failures for more information.',
    stage: 'data',
    host: 'mta7.am0.yahoodns.net',
    id: 'generic-spf-dkim-dmarc',
    cls: 'smtp-policy',
  },
  // docs.aws.amazon.com/ses/latest/dg/troubleshoot-smtp.html (Amazon SES SMTP throttling).
  { name: 'Amazon SES 454 throttling: maximum sending rate exceeded', reply: '454 Throttling failure: Maximum sending rate exceeded.', stage: 'data', host: 'email-smtp.us-east-1.amazonaws.com', id: 'generic-rate-limited', cls: 'rate-limit' },

  // ---- RFC wording: RFC 4954 section 6, RFC 3463 and the RFC 5248 registry ----
  { name: 'RFC 4954 454 4.7.0 temporary authentication failure', reply: '454 4.7.0 Temporary authentication failure', stage: 'auth', id: 'rfc-4-7-0', cls: 'rate-limit' },
  { name: 'RFC 4954 534 5.7.9 authentication mechanism is too weak', reply: '534 5.7.9 Authentication mechanism is too weak', stage: 'auth', id: 'rfc-5-7-9', cls: 'auth' },
  { name: 'RFC 4954 432 4.7.12 a password transition is needed', reply: '432 4.7.12 A password transition is needed', stage: 'auth', id: 'rfc-4-7-12', cls: 'auth' },
  { name: 'RFC 4954 501 5.5.2 cannot Base64-decode client responses', reply: '501 5.5.2 Cannot Base64-decode Client responses', stage: 'auth', id: 'rfc-5-5-2-auth', cls: 'auth' },
  { name: 'RFC 5248 523 5.7.10 encryption needed', reply: '523 5.7.10 Encryption Needed', stage: 'auth', id: 'rfc-5-7-10', cls: 'tls' },
  { name: 'RFC 5248 525 5.7.13 user account disabled', reply: '525 5.7.13 User Account Disabled', stage: 'auth', id: 'rfc-5-7-13', cls: 'auth' },
  { name: 'RFC 5248 535 5.7.14 trust relationship required', reply: '535 5.7.14 Trust relationship required', stage: 'auth', id: 'rfc-5-7-14', cls: 'auth' },
  { name: 'RFC 3463 550 5.2.1 mailbox disabled', reply: '550 5.2.1 Mailbox disabled, not accepting messages', stage: 'rcpt', id: 'rfc-5-2-1', cls: 'smtp-policy' },
  { name: 'RFC 5321 552 exceeded storage allocation', reply: '552 Requested mail action aborted: exceeded storage allocation', stage: 'data', id: 'code-552', cls: 'smtp-policy' },

  // ---- more Microsoft wording ----
  { name: 'on-premises Exchange 504 5.7.4 unrecognized authentication type', reply: '504 5.7.4 Unrecognized authentication type', stage: 'auth', host: 'mail.contoso.com', id: 'generic-auth-mechanism-unsupported', cls: 'auth' },
  // pastebin.com/xDUr7BjE and pastebin.com/BkSdGH0x (Exchange Online NDRs). As a raw SMTP
  // reply the same text goes to generic-content-rejected ("spam"); the quoted form is what a user pastes from Outlook.
  {
    name: "Outlook NDR line: 550 5.7.501 spam abuse detected (pastebin xDUr7BjE)",
    reply: "Remote Server returned '550 5.7.501 Access denied, spam abuse detected. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653'",
    id: 'exo-5-7-501',
    cls: 'smtp-policy',
  },
  // Old Gmail wording quoted on freeport-outlet.ru's list of SMTP sending errors (answer 14257 is
  // Gmail's "Username and Password not accepted" page); no gsmtp tag and no text rule of Gmail's.
  { name: 'old Gmail 535 5.7.1 with only the help link', reply: '535 5.7.1 http://support.google.com/mail/bin/answer.py?answer=14257 o5sm1396905lbg.5', stage: 'auth', id: 'rfc-5-7-1-auth', cls: 'auth' },
  // hMailServer's reply to RCPT TO for a local domain without SMTP AUTH (its documented
  // "530 SMTP authentication is required."; also quoted in ORA-29279 errors from Oracle UTL_SMTP).
  { name: 'hMailServer 530 SMTP authentication is required', reply: '530 SMTP authentication is required.', stage: 'rcpt', id: 'code-530', cls: 'auth' },
  { name: 'RFC 3463 504 5.7.4 security features not supported', reply: '504 5.7.4 Security features not supported', stage: 'auth', id: 'rfc-5-7-4', cls: 'auth' },
  { name: 'RFC 3463 550 5.2.4 mailing list expansion problem', reply: '550 5.2.4 Mailing list expansion problem', stage: 'rcpt', id: 'rfc-5-2-x', cls: 'smtp-policy' },

  // ---- rules settled in the data conversion (priorities, see payload/classify/data/README.md) ----
  { name: 'RFC 4954 535 5.7.8 authentication credentials invalid (also ref-network-smtp-check)', reply: '535 5.7.8 Authentication credentials invalid', stage: 'auth', id: 'rfc-5-7-8', cls: 'auth' },
  // Exim's default wordings (its smtp_in.c and the Exim specification), which carry no enhanced code.
  { name: 'Exim 535 incorrect authentication data', reply: '535 Incorrect authentication data', stage: 'auth', id: 'generic-auth-failed', cls: 'auth' },
  { name: 'Exim 552 message size exceeds maximum permitted', reply: '552 Message size exceeds maximum permitted', stage: 'data', id: 'generic-message-too-large', cls: 'smtp-policy' },
  { name: 'RFC 3463 554 5.3.4 message too big for system (also ref-network-smtp-check)', reply: '554 5.3.4 Message too big for system', stage: 'data', id: 'rfc-5-3-4', cls: 'smtp-policy' },
  // Amazon SES Developer Guide, "SMTP response codes": the daily sending quota.
  { name: 'Amazon SES 454 throttling failure: daily message quota exceeded', reply: '454 Throttling failure: Daily message quota exceeded.', stage: 'data', host: 'email-smtp.us-east-1.amazonaws.com', id: 'generic-daily-limit', cls: 'smtp-policy' },
  // Microsoft Learn, "Fix NDR error 5.7.133 in Exchange Online".
  {
    name: 'Exchange Online 550 5.7.133 sender not authenticated for group',
    reply: '550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required; Delivery restriction check failed because the sender was not authenticated when sending to this group',
    stage: 'rcpt',
    id: 'exo-5-7-135',
    cls: 'smtp-policy',
  },
  // The reference tool's explanation of 5.7.500 (../shared/spec/ref-smtp-test-tool-hints.txt): no public capture found.
  { name: 'Exchange Online 535 5.7.135 credentials expired (reference tool wording)', reply: '535 5.7.135 Authentication unsuccessful, the user credentials have expired', stage: 'auth', id: 'exo-5-7-135-auth', cls: 'auth' },
  { name: 'Exchange Online 550 5.7.500 access denied, sending domain disabled (reference tool wording)', reply: '550 5.7.500 Access denied, sending domain disabled', stage: 'mail', host: O365, id: 'exo-5-7-500', cls: 'smtp-policy' },

  // ---- success replies (RFC 5321 / RFC 3207 wording; Gmail's as its servers print them in
  // nodemailer's and swaks' public debug logs, and as the lab's Gmail personality answers) ----
  { name: 'Gmail greeting 220 ESMTP ready', reply: `220 smtp.gmail.com ESMTP ${G}`, stage: 'banner', id: 'ok-greeting', cls: 'ok' },
  { name: 'Postfix greeting', reply: '220 mail.example.com ESMTP Postfix (Debian/GNU)', stage: 'banner', id: 'ok-greeting', cls: 'ok' },
  {
    name: "Gmail's EHLO answer before TLS",
    reply: '250-smtp.gmail.com at your service, [203.0.113.7]\n250-SIZE 35882577\n250-8BITMIME\n250-STARTTLS\n250-ENHANCEDSTATUSCODES\n250-PIPELINING\n250-CHUNKING\n250 SMTPUTF8',
    stage: 'ehlo',
    id: 'ok-ehlo',
    cls: 'ok',
  },
  { name: 'STARTTLS accepted (Gmail, Postfix: RFC 3207 wording)', reply: '220 2.0.0 Ready to start TLS', stage: 'starttls', id: 'ok-starttls-ready', cls: 'ok' },
  { name: 'Gmail 235 accepted', reply: '235 2.7.0 Accepted', stage: 'auth', id: 'ok-auth-accepted', cls: 'ok' },
  { name: 'Gmail 250 message queued', reply: `250 2.0.0 OK  1733150000 ${G}`, stage: 'data', id: 'ok-accepted', cls: 'ok' },
  // ---- proxies and interception on the path ----
  // squid's answer to a CONNECT without credentials, and to a CONNECT its ACLs deny (the lab's real squid prints both).
  { name: 'squid 407 to a CONNECT without credentials', reply: 'HTTP/1.1 407 Proxy Authentication Required\nServer: squid/5.7\nProxy-Authenticate: Basic realm="proxy"', id: 'proxy-http-407', cls: 'proxy' },
  { name: 'squid 403 to a CONNECT to port 587', reply: 'HTTP/1.1 403 Forbidden\nServer: squid/5.7\nX-Squid-Error: ERR_ACCESS_DENIED 0', id: 'proxy-http-403', cls: 'proxy' },
  { name: 'a web proxy answering on the SMTP port', reply: 'HTTP/1.1 400 Bad Request\nServer: squid/5.7', stage: 'banner', id: 'proxy-http-answer', cls: 'proxy' },
  // Cisco ASA ESMTP inspection replaces the banner's characters with asterisks (Cisco ASA configuration guide, "ESMTP inspection").
  { name: 'Cisco ASA ESMTP inspection masked banner', reply: '220 ****************************************************************', stage: 'banner', id: 'proxy-masked-banner', cls: 'proxy' },
  // McAfee VirusScan Enterprise's on-delivery email scanner, as quoted in public forum threads.
  { name: 'McAfee MFE proxy banner', reply: '220 MFE proxy SMTP ready', stage: 'banner', id: 'proxy-av-mail-scanner', cls: 'proxy' },
  { name: 'antivirus mail proxy: cannot connect to the SMTP server, connect error 10060', reply: '421 Cannot connect to SMTP server 142.250.102.108 (142.250.102.108:587), connect error 10060', stage: 'banner', id: 'proxy-av-upstream-connect-error', cls: 'proxy' },

  // ---- temporary server-side and relay refusals ----
  // Postfix with soft_bounce=yes (or defer_unauth_destination) turns its relay refusal into a 4xx (postconf(5)).
  { name: 'Postfix 454 4.7.1 relay access denied (deferred form)', reply: '454 4.7.1 <bob@example.org>: Relay access denied', stage: 'rcpt', id: 'generic-relay-denied', cls: 'smtp-policy' },
];
