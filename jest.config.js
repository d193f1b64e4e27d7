// Jest runs TypeScript through ts-jest in ESM mode (the @actions/* 3.x and
// @kubernetes/client-node 2.x packages are ESM-only). Projects split fast pure tests from the
// ones that need the real local cluster (`npm run cluster:up`).
const transform = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
};
const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  transform,
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
  // The local cluster's state (etcd's *.snap files among it) is not ours to crawl or report on.
  modulePathIgnorePatterns: ['<rootDir>/.cluster/'],
};

// Suites that drive the real cluster; their per-test timeout is set in setup-timeouts.ts.
const slow = { ...shared, setupFilesAfterEnv: ['<rootDir>/__tests__/integration/setup-timeouts.ts'] };

export default {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/__tests__/unit/**/*.test.ts'] },
    {
      ...slow,
      displayName: 'integration',
      testMatch: ['<rootDir>/__tests__/integration/**/*.test.ts'],
    },
    { ...slow, displayName: 'e2e', testMatch: ['<rootDir>/__tests__/e2e/**/*.test.ts'] },
    { ...slow, displayName: 'chaos', testMatch: ['<rootDir>/__tests__/chaos/**/*.test.ts'] },
  ],
};
