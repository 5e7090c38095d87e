// The keygate the tests run against (KEYGATE_URL, started by tests/api/sdk_js.rs on a random port with its own
// database) and a few management calls, made with the SDK's own token provider for the admin key.
import { createServer } from "node:net";
import { ServiceClientTokenProvider } from "@keygate/sdk";

export const issuer = process.env.KEYGATE_URL;
const adminKey = process.env.KEYGATE_ADMIN_KEY;
if (!issuer || !adminKey) throw new Error("set KEYGATE_URL and KEYGATE_ADMIN_KEY (a global admin's kg_sk_ key)");
const admin = new ServiceClientTokenProvider(adminKey, { issuer });

/** A management API call as the global admin; the answer's JSON (or null for 204). */
export async function api(method, path, body) {
  const response = await fetch(`${issuer}${path}`, {
    method,
    headers: { authorization: `Bearer ${await admin.getToken()}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

let tenants = 0;
/** A fresh tenant, so that no test sees another's data. */
export async function tenant(extra = {}) {
  tenants += 1;
  const slug = `sdk-${process.pid}-${tenants}`;
  return (await api("POST", "/v1/tenants", { name: slug, slug, ...extra })).id;
}

/** A service client of `tenantId` and one access key of `kind` (`secret` or `private_key` with `alg`). */
export async function client(tenantId, { scopes, kind = "secret", alg } = {}) {
  const made = await api("POST", "/v1/clients", { name: "sdk test client", tenant_id: tenantId, scopes });
  const key = await api("POST", `/v1/clients/${made.id}/keys`, alg ? { kind, alg } : { kind });
  return { id: made.id, key: key.key, keyId: key.id };
}

/** A role of `tenantId` with `permissions`, and an access record giving it to `subjectId` on `/documents/*`. */
export async function grant(tenantId, subjectId, role, permissions) {
  await api("POST", "/v1/roles", { tenant_id: tenantId, name: role, permissions });
  await api("POST", "/v1/records", {
    tenant_id: tenantId,
    name: `${role} on documents`,
    subjects: [subjectId],
    statements: [{ roles: [role], resources: ["/documents/*"] }],
  });
}

export function revoke(made) {
  return api("DELETE", `/v1/clients/${made.id}/keys/${made.keyId}`);
}

/** A fetch that counts the requests to each path, for the caching tests. */
export function countingFetch() {
  const counts = new Map();
  const counted = (input, init) => {
    const path = new URL(input instanceof Request ? input.url : input).pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    return fetch(input, init);
  };
  return { fetch: counted, count: (path) => counts.get(path) ?? 0 };
}

/** A URL where nothing listens: a port taken from the system and given back. */
export async function deadUrl() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}
