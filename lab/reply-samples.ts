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
  { name: 'Microsoft 451 4.7.500 server busy', reply: `451 4.7.500 Server busy. Please try again later from [203.0.113.7]. (S77719) ${MS}`, stage: 'rcpt', host: O365, id: 'ms-server-busy', cls: 'rate-limit' },
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
  { name: 'Postgrey greylisting', reply: '450 4.2.0 <greylist@lab.test>: Recipient address rejected: Greylisted, please try again in 300 seconds', stage: 'rcpt', id: 'generic-greylisting', cls: 'rate-limit' },
  { name: 'Exim greylisting', reply: '451 4.7.1 Please try again later', stage: 'rcpt', id: 'generic-greylisting', cls: 'rate-limit' },
  { name: 'Dovecot SASL failure', reply: '535 5.7.8 Error: authentication failed: authentication failure', stage: 'auth', id: 'generic-auth-failed', cls: 'auth' },
  { name: 'Postfix STARTTLS first', reply: '530 5.7.0 Must issue a STARTTLS command first', stage: 'mail', id: 'generic-starttls-required', cls: 'tls' },
  { name: 'STARTTLS refused for a local problem', reply: '454 4.7.0 TLS not available due to local problem', stage: 'starttls', id: 'generic-tls-not-available', cls: 'tls' },
  { name: 'implicit TLS on the STARTTLS port (OpenSSL error text)', reply: 'Error: 40E8F2A1F87F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number', id: 'generic-tls-port-mismatch', cls: 'tls' },
  { name: 'generic 421 greeting', reply: '421 4.7.0 Try again later, closing connection.', stage: 'banner', id: 'generic-421-try-again-later', cls: 'rate-limit' },
  { name: 'RBL rejection', reply: '554 5.7.1 Service unavailable; Client host [203.0.113.7] blocked using zen.spamhaus.org', stage: 'rcpt', id: 'generic-blocklisted', cls: 'smtp-policy' },
  { name: 'message too big', reply: '552 5.3.4 Message size exceeds fixed limit', stage: 'data', id: 'generic-message-too-large', cls: 'smtp-policy' },
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
  { name: 'IMAP response forced with protocol', reply: 'NO [AUTHENTICATIONFAILED] Authentication failed.', protocol: 'imap', id: 'imap-authenticationfailed', cls: 'auth' },

  // ---- POP3 ----
  { name: 'POP authentication failed', reply: '-ERR authentication failed', id: 'pop-authentication-failed', cls: 'auth' },
  { name: 'POP logon failure (Exchange)', reply: '-ERR Logon failure: unknown user name or bad password.', id: 'pop-logon-failure', cls: 'auth' },
  { name: 'POP command not implemented', reply: '-ERR Command not implemented', id: 'pop-not-implemented', cls: 'unknown' },
  { name: 'POP disabled', reply: '-ERR POP3 is disabled for this account', id: 'pop-disabled', cls: 'auth' },
  { name: 'Gmail POP credentials', reply: '-ERR [AUTH] Username and password not accepted.', id: 'pop-authentication-failed', cls: 'auth' },

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
];
