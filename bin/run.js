#!/usr/bin/env node
// The `introspect` CLI (compiled commands in dist/: `npm run build` compiles them).
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
