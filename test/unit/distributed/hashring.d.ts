/** The parts of the `hashring` package (the ring oracle, a devDependency without types) the tests use. */
declare module 'hashring' {
  type Servers = string | string[] | Record<string, number | { weight?: number; vnodes?: number }>;
  export default class HashRing {
    constructor(servers: Servers, algorithm?: string, options?: Record<string, unknown>);
    readonly size: number;
    get(key: string): string | undefined;
    points(servers?: string[]): Record<string, number[]>;
    add(servers: Servers): this;
    remove(server: string): this;
  }
}
