// Shared Jest setup: ESM + SWC with legacy decorators and decorator metadata.
// Run through `npm test` (Node 24, --experimental-vm-modules).
const reporter = new URL('./scripts/jest-summary-reporter.js', import.meta.url).pathname;

export function jestConfig(overrides = {}) {
  return {
    reporters: ['default', reporter],
    testEnvironment: 'node',
    extensionsToTreatAsEsm: ['.ts'],
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        {
          jsc: {
            parser: { syntax: 'typescript', decorators: true },
            transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
            target: 'es2023',
            keepClassNames: true,
          },
          module: { type: 'es6' },
          sourceMaps: 'inline',
        },
      ],
    },
    setupFiles: ['reflect-metadata'],
    testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
    testTimeout: 60_000,
    maxWorkers: 1,
    ...overrides,
  };
}
