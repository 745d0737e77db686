// The request bodies the HTTP service benches send: a 1 KB clinical note (prose) and a 4 KB code
// snippet (code), each the same text in every bench so their figures compare.
export const NOTE = (
  "Patient Maria Gonzalez (MRN 4481923, DOB 03/14/1962) was seen on 2024-02-11 at Mercy General for chest pain radiating to the left arm. " +
  "History of hypertension and type 2 diabetes. Phone 415-555-0132. Plan: troponin series, ECG, aspirin 325 mg, follow up with Dr. Alan Cho in two weeks. "
)
  .repeat(4)
  .slice(0, 1024);
export const CODE = (
  "export async function loadPatient(id: string) {\n  const res = await fetch(`${BASE}/fhir/Patient/${id}`, { headers: { authorization: `Bearer ${token}` } });\n" +
  '  if (!res.ok) throw new Error(`patient ${id}: ${res.status}`);\n  const p = (await res.json()) as { name?: { given?: string[]; family?: string }[] };\n  return p.name?.[0]?.family ?? "unknown";\n}\n'
)
  .repeat(12)
  .slice(0, 4096);
