// Beacon's version, reported by `beacon --version` and the HTTP APIs.
export const VERSION = '0.1.0';
