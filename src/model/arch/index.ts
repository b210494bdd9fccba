/** Registers every supported architecture; import this module (not the files) to use the registry. */
import './llama.js';
import './gpt2.js';
import { ARCHITECTURE_NAMES } from '../../config/names.js';
import { architectures } from './registry.js';

// Each architecture registers itself from its own module: check once that together they are the list.
architectures.expectNames(ARCHITECTURE_NAMES);

export { architectures, type Architecture, type ArchGraph, type BodyContext } from './registry.js';
