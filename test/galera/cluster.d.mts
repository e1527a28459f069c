/** Types of cluster.mjs, for the TypeScript suites that use it. */
export declare const GALERA_PROVIDER: string;
export declare function galeraMissing(): string | null;

export interface GaleraCluster {
  readonly dir: string;
  /** mysql:// URL of node n (root without password, over TCP), with the given database. */
  url(n: number, database?: string): string;
  port(n: number): number;
  kill(n: number): Promise<void>;
  restart(n: number): Promise<void>;
  waitClusterSize(n: number, size: number, ms?: number): Promise<void>;
  stop(): Promise<void>;
  status(n: number): Promise<Record<string, string>>;
}

export declare function startCluster(options?: { log?: (line: string) => void; timeoutMs?: number }): Promise<GaleraCluster>;
