// Writes the job-file reference generated from the schema: `npm run docs:config` -> configs/README.md.
import { writeFileSync } from 'node:fs';
import { configReference } from '../src/config/docs.js';

const target = process.argv[2] ?? 'configs/README.md';
writeFileSync(target, configReference());
console.log(`wrote ${target}`);
