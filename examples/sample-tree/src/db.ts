// Database settings (synthetic example: the password below is invented)
export const databaseUrl = "postgres://ehr_app:Tr0ub4dor-And-3@db.internal.example:5432/ehr";
export const githubToken = "ghp_4tN8qZ2mW7rK1sV9xB3cL6yH0pD5fJ8gT2aE";
