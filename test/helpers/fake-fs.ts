// Moved to src/testing/ (shipped as ftps-client/testing); kept so the tests' imports stay unchanged.
export * from '../../src/testing/fake-fs.js';
