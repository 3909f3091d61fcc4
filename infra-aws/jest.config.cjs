// The agreement test synthesizes infra-k8s, whose schema models (kubernetes-models,
// @kubernetes-models/*) export only the "import" condition; the preset transforms them to CommonJS.
module.exports = require('@hybrid/tools/jest-preset').preset(__dirname, {
  testEnvironmentOptions: { customExportConditions: ['development', 'node', 'require', 'default', 'import'] },
});
