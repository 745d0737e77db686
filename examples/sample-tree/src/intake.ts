// Patient intake handler (synthetic example)
export const testPatient = {
  name: "Jonathan Whitfield",
  dob: "1957-03-14",
  ssn: "219-09-9999",
  email: "j.whitfield@example.org",
  phone: "(617) 555-0187",
};

// TODO: move to a secret store
const AWS_ACCESS_KEY_ID = "AKIAZ7VQ3K2LMN4PQR5T";
export const region = "us-east-1";
export const keyId = AWS_ACCESS_KEY_ID;
