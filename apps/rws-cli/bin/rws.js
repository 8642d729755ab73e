#!/usr/bin/env node
// The package's `bin`: a file that exists before any build, so `pnpm install` in the
// workspace links `rws` for the packages that depend on @rws/cli without a "Failed to create
// bin" warning. The command itself is the built dist/cli.js.
await import('../dist/cli.js');
