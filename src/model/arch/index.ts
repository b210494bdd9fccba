/** Registers every supported architecture; import this module (not the files) to use the registry. */
import './llama.js';
import './gpt2.js';

export { architectures, type Architecture, type ArchGraph, type BodyContext } from './registry.js';
