/** The parts of `memjs` (a benchmark peer, a devDependency without types) the bench suite uses. */
declare module 'memjs' {
  interface MemjsClient {
    get(key: string): Promise<{ value: Buffer | null; flags: Buffer | null }>;
    set(key: string, value: Buffer | string, options?: { expires?: number }): Promise<boolean>;
    close(): void;
  }
  const memjs: {
    Client: { create(servers: string, options?: Record<string, unknown>): MemjsClient };
  };
  export default memjs;
}
