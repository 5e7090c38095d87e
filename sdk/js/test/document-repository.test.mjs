// The README's TypeScript samples, run as written: the document API (Express, the Verifier and the Authorizer)
// and a caller that gets a token with its access key, against keygate.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ServiceClientTokenProvider } from "@keygate/sdk";
import { client, grant, issuer, tenant } from "./keygate.mjs";

const readme = readFileSync(process.env.KEYGATE_README ?? new URL("../../../README.md", import.meta.url), "utf8");
const section = readme.slice(readme.indexOf("## The TypeScript SDK"));
const samples = [...section.slice(0, section.indexOf("\n## ", 1)).matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
const children = [];
after(() => children.forEach((child) => child.kill()));

/** Writes a README sample into the package (where `@keygate/sdk` resolves to itself) and starts it. */
function run(name, env) {
  const sample = samples.find((text) => text.includes(`// ${name}`));
  assert.ok(sample, `the README has the sample "${name}"`);
  const file = fileURLToPath(new URL(`../${name}.mjs`, import.meta.url));
  writeFileSync(file, sample);
  const child = spawn(process.execPath, [file], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  return child;
}

async function firstLine(child) {
  const [line] = await once(createInterface({ input: child.stdout }), "line");
  return line;
}

test("the README's document API lets callers in three ways and follows their permissions", async () => {
  const tenantId = await tenant();
  const reader = await client(tenantId);
  await grant(tenantId, reader.id, "Reader", ["documents:read"]);
  const documentsApi = await client(tenantId, { scopes: ["keygate:authorize"] });

  const server = run("documents-api", { KEYGATE_ISSUER: issuer, KEYGATE_ACCESS_KEY: documentsApi.key, PORT: "0" });
  const listening = await firstLine(server);
  const documents = `http://127.0.0.1:${listening.match(/port (\d+)/)[1]}`;

  const caller = run("call-the-api", { KEYGATE_ISSUER: issuer, KEYGATE_ACCESS_KEY: reader.key, DOCUMENTS_URL: documents });
  const [output] = await Promise.all([firstLine(caller), once(caller, "exit")]);
  assert.equal(output, '200 {"id":"welcome","text":"Hello from the document repository."}');

  const token = await new ServiceClientTokenProvider(reader.key, { issuer }).getToken();
  const verify = run("verify-a-token", { KEYGATE_ISSUER: issuer, USER_TOKEN: token });
  const [verified] = await Promise.all([firstLine(verify), once(verify, "exit")]);
  assert.equal(verified, `${reader.id} ${tenantId} false`);

  const welcome = `${documents}/documents/welcome`;
  const basic = `Basic ${btoa(`${reader.id}:${reader.key}`)}`;
  for (const authorization of [`Bearer ${reader.key}`, basic]) {
    assert.equal((await fetch(welcome, { headers: { authorization } })).status, 200, authorization.split(" ")[0]);
  }
  const denied = await fetch(welcome, { method: "PUT", headers: { authorization: `Bearer ${reader.key}` }, body: "mine" });
  assert.equal(denied.status, 403);
  assert.deepEqual(await denied.json(), { error: "forbidden", message: "documents:write on /documents/welcome is not allowed" });

  const anonymous = await fetch(welcome);
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.headers.get("www-authenticate"), 'Bearer realm="documents", Basic realm="documents"');
  const bad = await fetch(welcome, { headers: { authorization: "Bearer kg_sk_acc_0000000000000000000000_nope" } });
  assert.equal(bad.status, 401);
});

test("the CommonJS build is the same SDK", async () => {
  const { createRequire } = await import("node:module");
  const sdk = createRequire(import.meta.url)("@keygate/sdk");
  assert.equal(typeof sdk.ServiceClientTokenProvider, "function");
  const made = await client(await tenant());
  const token = await new sdk.ServiceClientTokenProvider(made.key, { issuer }).getToken();
  assert.equal((await new sdk.Verifier(issuer).verifyToken(token)).clientId, made.id);
});
