// Diagnose's defaults that the command line shows before any diagnose module is loaded.
/** The SNTP server the clock check asks unless told otherwise. */
export const DEFAULT_NTP = 'pool.ntp.org';
