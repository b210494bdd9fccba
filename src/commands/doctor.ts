import { runDoctor, type DoctorReport } from '../api/doctor.js';
import { BaseCommand } from '../cli/base.js';

export default class Doctor extends BaseCommand {
  static override summary = 'Check Node.js, ONNX Runtime and which execution providers (cpu, cuda, webgpu) work here.';
  static override description =
    'Creates a session on a one-node graph with each provider and runs it; for providers that fail, says how to enable them.';
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json'];

  async run(): Promise<DoctorReport> {
    await this.parse(Doctor);
    const report = await runDoctor();
    this.log(`node         ${report.node}`);
    this.log(`onnxruntime  ${report.onnxruntime} (onnxruntime-node)`);
    this.log(`platform     ${report.platform}`);
    this.log('execution providers:');
    for (const p of report.providers) {
      if (p.ok) {
        const adapter = p.adapter
          ? `, adapter: ${p.adapter.name}${p.adapter.software ? ' (software: runs on the CPU, correct but slow)' : ''} from ${p.adapter.manifest}`
          : '';
        this.log(`  ${p.provider.padEnd(7)} ok (${p.ms!.toFixed(0)} ms)${adapter}`);
      } else this.log(`  ${p.provider.padEnd(7)} unavailable: ${p.error}\n          to enable: ${p.hint}`);
    }
    return report;
  }
}
