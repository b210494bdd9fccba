import { CapabilityMissingError } from '../util/errors.js';

export interface GradeFileOptions {
  input: string;
  task?: string;
}

export interface GradeFileResult {
  verdicts: { line: number; extracted: string | null; correct: boolean }[];
  accuracy: number;
}

/** Grades a JSON-lines file of responses against answers with the verifier. */
export async function gradeFile(_options: GradeFileOptions): Promise<GradeFileResult> {
  throw new CapabilityMissingError('answer verification (the eval issue)');
}
