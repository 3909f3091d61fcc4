// kubernetes-models and @kubernetes-models/* export only the "import" condition; the preset
// transforms them to CommonJS, so the resolver may pick their ESM entry points.
module.exports = require('@hybrid/tools/jest-preset').preset(__dirname, {
  testEnvironmentOptions: { customExportConditions: ['development', 'node', 'require', 'default', 'import'] },
});
