// Shared jest settings: TypeScript through swc (CommonJS), workspace packages resolved to their
// sources through the "development" export condition, ESM-only dependencies transformed too.
const ESM_ONLY = ['jose', 'kubernetes-models', '@kubernetes-models', 'typebox', 'node-pg-migrate'];

/** @param {string} dir the package directory */
exports.preset = (dir, overrides = {}) => ({
  rootDir: dir,
  displayName: require(`${dir}/package.json`).name,
  testEnvironment: 'node',
  testEnvironmentOptions: { customExportConditions: ['development', 'node', 'require', 'default'] },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj|cj)sx?$': [
      require.resolve('@swc/jest'),
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: [
    `/node_modules/(?!(\\.pnpm/)?(${ESM_ONLY.map((m) => m.replace('/', '\\+?/?')).join('|')}))`,
  ],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testTimeout: 30000,
  ...overrides,
});
