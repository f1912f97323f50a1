#!/usr/bin/env node
// The package's command: `npx hardhat-anonify init` (see src/cli/main.ts). Runs the compiled dist/ build.
"use strict";
let cli;
try {
  cli = require("../dist/src/cli/main.js");
} catch (error) {
  if (error && error.code === "MODULE_NOT_FOUND" && String(error.message).includes("dist/src/cli/main.js")) {
    console.error("hardhat-anonify: dist/ is missing; in a checkout of the package run `npm run build` first");
    process.exit(1);
  }
  throw error;
}
process.exitCode = cli.main(process.argv.slice(2));
