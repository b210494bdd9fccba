import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPhaseSchedule, phaseSchedules } from '../../src/rl/phase-schedule.js';

/** Phases of iterations 0..n-1 as a compact string: K = token, T = temperature, J = joint. */
function sequence(name: string, n: number, phases?: Parameters<typeof createPhaseSchedule>[1]): string {
  const schedule = createPhaseSchedule(name, phases);
  let out = '';
  for (let i = 0; i < n; i++) {
    const p = schedule.phaseAt(i);
    const letter = p.updateToken && p.updateTemperature ? 'J' : p.updateToken ? 'K' : p.updateTemperature ? 'T' : '-';
    assert.equal(p.phase, { J: 'joint', K: 'token', T: 'temperature' }[letter as 'J' | 'K' | 'T']);
    out += letter;
  }
  return out;
}

test('coordinate ascent cycles through its blocks', () => {
  assert.equal(
    sequence('coordinate-ascent', 10, {
      phases: [
        { phase: 'temperature', iterations: 2 },
        { phase: 'token', iterations: 2 },
      ],
    }),
    'TTKKTTKKTT',
  );
  assert.equal(
    sequence('coordinate-ascent', 9, {
      phases: [
        { phase: 'token', iterations: 1 },
        { phase: 'temperature', iterations: 3 },
      ],
    }),
    'KTTTKTTTK',
  );
  assert.equal(sequence('coordinate-ascent', 3, { phases: [{ phase: 'token', iterations: 1 }] }), 'KKK');
  assert.deepEqual(
    createPhaseSchedule('coordinate-ascent', {
      phases: [
        { phase: 'token', iterations: 3 },
        { phase: 'temperature', iterations: 5 },
      ],
    }).phaseAt(1000003),
    {
      updateToken: false,
      updateTemperature: true,
      phase: 'temperature', // 1000003 % 8 = 3
    },
  );
});

test('fixed schedules: joint, token-only (plain GRPO), temperature-only', () => {
  assert.equal(sequence('joint', 4), 'JJJJ');
  assert.equal(sequence('token-only', 4), 'KKKK');
  assert.equal(sequence('temperature-only', 4), 'TTTT');
  assert.deepEqual(phaseSchedules.names(), ['coordinate-ascent', 'joint', 'token-only', 'temperature-only']);
});

test('phase schedules reject bad options and iterations', () => {
  assert.throws(() => createPhaseSchedule('coordinate-ascent'), /non-empty list/);
  assert.throws(() => createPhaseSchedule('coordinate-ascent', { phases: [{ phase: 'token', iterations: 0 }] }), /iterations >= 1/);
  // @ts-expect-error an invalid phase name, as a YAML file could hold
  assert.throws(() => createPhaseSchedule('coordinate-ascent', { phases: [{ phase: 'head', iterations: 1 }] }), /"token" or "temperature"/);
  assert.throws(() => createPhaseSchedule('joint').phaseAt(-1), /iteration must be/);
  assert.throws(() => createPhaseSchedule('alternate'), /valid: coordinate-ascent/);
});
