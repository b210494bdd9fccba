#!/usr/bin/env node
// The `introspect` CLI (compiled commands in dist/; `npm ci` builds them via the prepare script).
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
