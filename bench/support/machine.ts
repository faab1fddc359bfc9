import os from 'node:os';
import { Client } from 'pg';
import { Redis } from 'ioredis';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  postgres: string;
  redis: string;
  /** 1-minute load average when the bench started: others' work on the shared machine. */
  loadAverage: number;
  /** Connections to the shared PostgreSQL not opened by the bench, when it started. */
  otherPostgresConnections: number;
}

export async function machineInfo(postgresUrl: string, redisUrl: string): Promise<MachineInfo> {
  const pg = new Client({ connectionString: postgresUrl });
  await pg.connect();
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    const { rows } = await pg.query<{ version: string; others: string }>(
      `SELECT current_setting('server_version') AS version,
              (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()) AS others`,
    );
    await redis.connect();
    const info = await redis.info('server');
    return {
      cores: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
      postgres: rows[0].version,
      redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
      loadAverage: os.loadavg()[0],
      otherPostgresConnections: Number(rows[0].others),
    };
  } finally {
    await pg.end();
    redis.disconnect();
  }
}
