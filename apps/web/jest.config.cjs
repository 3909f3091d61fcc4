module.exports = require('@hybrid/tools/jest-preset').preset(__dirname, {
  // Makes Debian chromium available for the browser tests and builds the site once.
  globalSetup: '<rootDir>/test/global-setup.cjs',
});
