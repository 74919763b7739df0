// Projects: `unit` needs no services; `integration` talks to the real Kafka and ClickHouse, which its
// global setup starts through the same code as `insider services up`; `deploy` renders the Helm chart;
// `e2e` drives the dashboard in Chromium.
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
  // fastify's inject() requires `cookie` and @fastify/static requires `content-disposition`, which ship
  // only as ES modules (Node 20.19+ loads them; Jest cannot), as do openid-client and its oauth4webapi and
  // jose, and the tests' event-stream client `eventsource` (with `eventsource-parser`); @fastify/cookie
  // imports `cookie` dynamically: compiled to CommonJS for Jest.
  '/node_modules/(cookie|content-disposition|openid-client|oauth4webapi|jose|@fastify/cookie|eventsource|eventsource-parser)/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
};
const transformIgnorePatterns = ['/node_modules/(?!(cookie|content-disposition|openid-client|oauth4webapi|jose|@fastify/cookie|eventsource|eventsource-parser)/)'];

module.exports = {
  projects: [
    {
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      testEnvironment: 'node',
    },
    {
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      testEnvironment: 'node',
      globalSetup: '<rootDir>/test/helpers/global-setup.ts',
      slowTestThreshold: 60,
    },
    {
      // The Helm chart (deploy/helm): rendered by Helm (built from the Go module proxy) and every object
      // checked against the Kubernetes schemas; no cluster needed.
      displayName: 'deploy',
      testMatch: ['<rootDir>/test/deploy/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      testEnvironment: 'node',
      globalSetup: '<rootDir>/test/helpers/helm-setup.ts',
    },
    {
      // The dashboard in the real Chromium (Debian's), against the real pipeline: see test/e2e/.
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      testEnvironment: 'node',
      globalSetup: '<rootDir>/test/helpers/global-setup.ts',
      slowTestThreshold: 120,
    },
  ],
  testTimeout: 120000,
};
