module.exports = require('@hybrid/tools/jest-preset').preset(__dirname);
