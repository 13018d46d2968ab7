// Kept in step with package.json by a test; a constant (not a JSON import) so the
// payload bundles into one file and `--version` loads nothing else.
export const VERSION = '0.1.0';
