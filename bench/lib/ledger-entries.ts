// The ledger benches' entry and clock: one small "check" entry per index (what CI records), and
// this process's CPU time in seconds (other jobs on the machine barely move it).

export const checkEntry = (i: number) => ({
  type: "check",
  subject: `c0ffee${i.toString(16).padStart(10, "0")}`,
  actor: "ci@example.invalid",
  payload: { name: "test", status: "passed", run: i },
});

export const cpuSeconds = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};
