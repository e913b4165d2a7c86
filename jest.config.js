// Jest runs TypeScript as native ES modules: @swc/jest strips types and keeps `import`/`export`,
// and the npm scripts start Node with --experimental-vm-modules so Jest can load them as ESM.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', importAttributes: true },
      target: 'es2024',
      // Keep `with { type: 'json' }` so Node's ESM loader accepts JSON imports.
      experimental: { keepImportAttributes: true },
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

const common = {
  transform: { '^.+\\.ts$': swc },
  extensionsToTreatAsEsm: ['.ts'],
  testEnvironment: 'node',
  // SAM's build folders (the template tier stages a copy of the project there) hold package.json
  // files and node_modules that Jest must not crawl.
  // The same goes for the CLI package folder `npm run pack:cli` writes (its package.json is named
  // like the project's).
  modulePathIgnorePatterns: ['<rootDir>/.aws-sam/', '<rootDir>/dist/cli-package/'],
};

/** @type {import('jest').Config} */
export default {
  projects: [
    // The local cloud's own tests live beside it (local/test/), apart from the product's (test/).
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/local/test/unit/**/*.test.ts'],
    },
    { ...common, displayName: 'template', testMatch: ['<rootDir>/test/template/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts', '<rootDir>/local/test/integration/**/*.test.ts'],
    },
    // Real Airflow beside the local cloud (needs the Airflow venvs and PostgreSQL: npm run test:airflow).
    { ...common, displayName: 'airflow', testMatch: ['<rootDir>/test/airflow/**/*.test.ts'] },
  ],
};
