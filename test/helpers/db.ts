/**
 * Real SQL databases for the strategy tests, benches and demo: the embedded PGlite (always) and a
 * Postgres server at `DATABASE_URL` (when set), behind one tiny interface, plus a versioned key/value
 * table that plays the `Source` of the strategies and counts its queries and rows.
 */
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** Runs one statement; rows come back as plain objects. */
export type Query = <R = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;

/** A connection to PGlite or a Postgres server. */
export interface SqlDb {
  readonly kind: 'pglite' | 'postgres';
  query: Query;
  /** Runs `fn` in one transaction (BEGIN … COMMIT, ROLLBACK on throw). */
  transaction<R>(fn: (query: Query) => Promise<R>): Promise<R>;
  close(): Promise<void>;
}

/** An in-process PGlite database (in memory). */
export async function openPglite(): Promise<SqlDb> {
  const db = await PGlite.create();
  return {
    kind: 'pglite',
    query: async <R>(sql: string, params?: unknown[]) => (await db.query<R>(sql, params)).rows,
    transaction: (fn) =>
      db.transaction((tx) =>
        fn(async <R>(sql: string, params?: unknown[]) => (await tx.query<R>(sql, params)).rows),
      ),
    close: () => db.close(),
  };
}

/** A pool of connections to the Postgres server at `url`. */
export async function openPostgres(url: string): Promise<SqlDb> {
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000 });
  pool.on('error', () => undefined);
  await pool.query('SELECT 1');
  return {
    kind: 'postgres',
    query: async <R>(sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows as R[],
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(
          async <R>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as R[],
        );
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** The databases to run a suite against: PGlite always, Postgres when `DATABASE_URL` is set. */
export const DATABASES: ReadonlyArray<{ name: string; open: () => Promise<SqlDb> }> = [
  { name: 'pglite', open: openPglite },
  ...(process.env.DATABASE_URL
    ? [{ name: 'postgres', open: () => openPostgres(process.env.DATABASE_URL as string) }]
    : []),
];

/** One effective change of a row: written only when a save or delete actually changed the row. */
export interface LogRow {
  key: string;
  version: number;
  value: unknown;
}

/**
 * A versioned key/value table (`key text primary key, value jsonb, version bigint`) with a change log.
 * Saves are idempotent: a row changes only for a higher version, and each effective change is logged,
 * so "applied twice" and "out of order" are visible in `log()`. Deletes are tombstones (`value` null).
 */
export class KvSource<T = unknown> {
  readonly table: string;
  readonly #db: SqlDb;
  /** Source calls made (load, loadMany, saveMany, deleteMany, save). */
  queries = 0;
  /** Rows sent to the database by saves and deletes (effective or not). */
  rowsWritten = 0;
  /** While true, every call throws (an outage). */
  down = false;
  /** A key for which every save throws (a poison entry). */
  poison: ((key: string) => boolean) | undefined;
  #version = 0;

  private constructor(db: SqlDb, table: string) {
    this.#db = db;
    this.table = table;
  }

  /** Creates a fresh table (unique name) in `db`. */
  static async create<T>(db: SqlDb): Promise<KvSource<T>> {
    const table = `kv_${randomBytes(5).toString('hex')}`;
    await db.query(`CREATE TABLE ${table} (key text PRIMARY KEY, value jsonb, version bigint NOT NULL)`);
    await db.query(
      `CREATE TABLE ${table}_log (seq bigserial PRIMARY KEY, key text NOT NULL, version bigint NOT NULL, value jsonb)`,
    );
    return new KvSource<T>(db, table);
  }

  #enter(keys: readonly string[]): void {
    this.queries++;
    if (this.down) throw new Error('database unreachable (test outage)');
    const bad = this.poison === undefined ? undefined : keys.find((k) => this.poison?.(k));
    if (bad !== undefined) throw new Error(`poison row \`${bad}\``);
  }

  async load(key: string): Promise<T | undefined> {
    this.#enter([]);
    const rows = await this.#db.query<{ value: T | null }>(`SELECT value FROM ${this.table} WHERE key = $1`, [
      key,
    ]);
    return rows[0]?.value ?? undefined;
  }

  async loadMany(keys: string[]): Promise<Map<string, T>> {
    this.#enter([]);
    const rows = await this.#db.query<{ key: string; value: T | null }>(
      `SELECT key, value FROM ${this.table} WHERE key = ANY($1::text[])`,
      [keys],
    );
    const out = new Map<string, T>();
    for (const r of rows) if (r.value !== null) out.set(r.key, r.value);
    return out;
  }

  /** Writes one row with the next local version (for write-through and benches). */
  async save(key: string, value: T): Promise<void> {
    await this.saveMany([[key, value]], { versions: [Date.now() * 1000 + ++this.#version] });
  }

  /** Upserts the rows whose version is newer than the stored one, and logs those, in one transaction. */
  async saveMany(entries: Array<[string, T | null]>, info: { versions: readonly number[] }): Promise<void> {
    this.#enter(entries.map(([k]) => k));
    this.rowsWritten += entries.length;
    const params: unknown[] = [];
    const tuples = entries.map(([key, value], i) => {
      params.push(key, value === null ? null : JSON.stringify(value), info.versions[i]);
      return `($${3 * i + 1}, $${3 * i + 2}::jsonb, $${3 * i + 3}::bigint)`;
    });
    const t = this.table;
    await this.#db.transaction(async (query) => {
      await query(
        `WITH changed AS (
           INSERT INTO ${t} (key, value, version) VALUES ${tuples.join(', ')}
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version
           WHERE ${t}.version < excluded.version
           RETURNING key, version, value)
         INSERT INTO ${t}_log (key, version, value) SELECT key, version, value FROM changed`,
        params,
      );
    });
  }

  /** Tombstones the keys (versioned like saves). */
  deleteMany(keys: string[], info: { versions: readonly number[] }): Promise<void> {
    return this.saveMany(
      keys.map((k) => [k, null]),
      info,
    );
  }

  /** The current rows (tombstones excluded). */
  async rows(): Promise<Map<string, { value: T; version: number }>> {
    const rows = await this.#db.query<{ key: string; value: T | null; version: string }>(
      `SELECT key, value, version FROM ${this.table}`,
    );
    const out = new Map<string, { value: T; version: number }>();
    for (const r of rows)
      if (r.value !== null) out.set(r.key, { value: r.value, version: Number(r.version) });
    return out;
  }

  /** Every effective change, in commit order. */
  async log(): Promise<LogRow[]> {
    const rows = await this.#db.query<{ key: string; version: string; value: unknown }>(
      `SELECT key, version, value FROM ${this.table}_log ORDER BY seq`,
    );
    return rows.map((r) => ({ key: r.key, version: Number(r.version), value: r.value }));
  }

  async drop(): Promise<void> {
    await this.#db.query(`DROP TABLE IF EXISTS ${this.table}, ${this.table}_log`);
  }
}
