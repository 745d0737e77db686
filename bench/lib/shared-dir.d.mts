/** Where the shared data is (bench/lib/shared-dir.mjs). */
export declare function sharedDir(root: string): string;
