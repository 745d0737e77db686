// Statistics shared by the risk benches.

/**
 * DeLong et al. (1988) test of two correlated AUCs on the same test commits: the difference, and
 * its two-sided p-value from the structural components' covariance.
 */
export function delong(a: number[], b: number[], y: number[]): { diff: number; p: number } {
  const P = y.flatMap((v, i) => (v ? [i] : []));
  const N = y.flatMap((v, i) => (v ? [] : [i]));
  const comp = (s: number[]) => {
    const psi = (x: number, z: number) => (x > z ? 1 : x === z ? 0.5 : 0);
    const v10 = P.map((i) => N.reduce((t, j) => t + psi(s[i]!, s[j]!), 0) / N.length);
    const v01 = N.map((j) => P.reduce((t, i) => t + psi(s[i]!, s[j]!), 0) / P.length);
    return { v10, v01, auc: v10.reduce((t, v) => t + v, 0) / P.length };
  };
  const A = comp(a);
  const B = comp(b);
  const cov = (x: number[], z: number[], mx: number, mz: number) =>
    x.reduce((t, v, k) => t + (v - mx) * (z[k]! - mz), 0) / (x.length - 1);
  const var10 = cov(A.v10, A.v10, A.auc, A.auc) + cov(B.v10, B.v10, B.auc, B.auc) - 2 * cov(A.v10, B.v10, A.auc, B.auc);
  const var01 = cov(A.v01, A.v01, A.auc, A.auc) + cov(B.v01, B.v01, B.auc, B.auc) - 2 * cov(A.v01, B.v01, A.auc, B.auc);
  const se = Math.sqrt(var10 / P.length + var01 / N.length);
  const diff = A.auc - B.auc;
  const z = se > 0 ? Math.abs(diff) / se : 0;
  return { diff, p: se > 0 ? 2 * (1 - normalCdf(z)) : 1 };
}
function normalCdf(z: number): number {
  // Abramowitz & Stegun 7.1.26
  const t = 1 / (1 + 0.3275911 * (z / Math.SQRT2));
  const e =
    1 -
    t *
      (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) *
      Math.exp(-(z * z) / 2);
  return 0.5 * (1 + e);
}
