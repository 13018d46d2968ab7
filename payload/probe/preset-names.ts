// The `--provider` names for --help, kept apart from the providers file so the CLI's start
// does not load the classifier's knowledge; test/unit/presets.test.ts keeps the two equal.
export const PRESET_NAMES = ['gmail', 'workspace', 'microsoft365', 'outlook', 'ses', 'yahoo', 'icloud', 'zoho', 'fastmail', 'sendgrid', 'mailgun', 'postmark'] as const;
