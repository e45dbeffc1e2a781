import { describe, expect, it } from 'vitest';
import { parseConfig, UsageError } from '../../../demo/config.js';

/** No DEMO_QUICK. */
const env = {} as NodeJS.ProcessEnv;

describe('demo options', () => {
  it('serves the dashboard on a free port and writes to demo-output by default', () => {
    const c = parseConfig([], env);
    expect(c.port).toBe(0);
    expect(c.outDir).toBe('demo-output');
  });

  it('takes --port N (0..65535) and --out DIR', () => {
    const c = parseConfig(['--port', '9464', '--out', '/tmp/pictures', '--quick'], env);
    expect(c.port).toBe(9464);
    expect(c.outDir).toBe('/tmp/pictures');
    expect(parseConfig(['--port', '0'], env).port).toBe(0);
  });

  it('rejects a bad port or a missing folder', () => {
    for (const argv of [['--port', '-1'], ['--port', '65536'], ['--port', ''], ['--port', 'x'], ['--port']]) {
      expect(() => parseConfig(argv, env)).toThrow(UsageError);
    }
    expect(() => parseConfig(['--port', '70000'], env)).toThrow(
      'Expected `--port` to be an integer in 0..65535, got "70000"',
    );
    expect(() => parseConfig(['--out'], env)).toThrow('Expected `--out` to be a folder, got undefined');
    expect(() => parseConfig(['--out', '--quick'], env)).toThrow(UsageError);
  });
});
