import { execFileSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { startRedisSentinel } from '../../helpers/servers.js';

test('sentinel topology', async () => {
  const t = await startRedisSentinel();
  try {
    const out = execFileSync('redis-cli', [
      '-p',
      String(t.sentinels[0]?.port),
      'sentinel',
      'get-master-addr-by-name',
      t.name,
    ]).toString();
    expect(out).toContain(String(t.primary.port));
  } finally {
    await t.stop();
  }
}, 30000);
