// gitops-health/report: finding writers, by format.
export { findingWriters, WriterRegistry, type Writer, type WriteContext } from "../report/writers.js";
export type { ScanReport, ScanStats } from "../report/findings.js";
