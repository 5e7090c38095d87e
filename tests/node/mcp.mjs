// The official MCP TypeScript SDK's client authorizing itself against a resource protected by keygate, as an MCP
// client (a desktop or CLI agent) does when a tool's server answers 401: it reads the resource's RFC 9728 document
// from the challenge, discovers keygate, registers itself (RFC 7591, open registration), sends the user to the
// login page with code + PKCE + a resource indicator (RFC 8707), and exchanges the code. Nothing here knows keygate:
// the "browser" opens the authorization URL, fills in whatever form the page shows with the user's name and
// password, and reads the code from the redirect, the way a person at a browser would.
//   node mcp.mjs RESOURCE_URL USERNAME PASSWORD
//     -> {"first_status", "client_id", "registered_auth_method", "authorization_url", "token_type", "scope",
//         "status", "document", "refreshed"}
import { auth, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';

const [resourceUrl, username, password] = process.argv.slice(2);
const redirectUrl = 'http://127.0.0.1:33418/callback';

// What an MCP client keeps between runs, here in memory.
class Provider {
  stored = {};
  get redirectUrl() { return redirectUrl; }
  get clientMetadata() {
    return {
      client_name: 'MCP SDK agent',
      redirect_uris: [redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() { return this.stored.client; }
  saveClientInformation(client) { this.stored.client = client; }
  tokens() { return this.stored.tokens; }
  saveTokens(tokens) { this.stored.tokens = tokens; }
  saveCodeVerifier(verifier) { this.stored.verifier = verifier; }
  codeVerifier() { return this.stored.verifier; }
  async redirectToAuthorization(url) {
    this.stored.authorizationUrl = url;
    this.stored.code = await signInAtBrowser(url);
  }
}

// The user at the browser: open the page, keep its cookie, submit its form with name and password, and read the
// code from where the answer redirects.
async function signInAtBrowser(url) {
  const page = await fetch(url, { redirect: 'manual' });
  if (page.status !== 200) throw new Error(`the authorization page answered ${page.status}: ${await page.text()}`);
  const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const html = await page.text();
  const form = html.match(/<form[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/i);
  if (!form) throw new Error(`no form on the page: ${html}`);
  const action = new URL(attribute(form[0], 'action') ?? url.pathname, url);
  const fields = new URLSearchParams();
  for (const input of form[1].matchAll(/<input\b[^>]*>/gi)) {
    const name = attribute(input[0], 'name');
    if (!name) continue;
    const value = name === 'username' ? username : name === 'password' ? password : attribute(input[0], 'value') ?? '';
    fields.append(name, value);
  }
  const answer = await fetch(action, {
    method: 'POST', redirect: 'manual', body: fields,
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
  });
  const location = answer.headers.get('location');
  if (answer.status !== 303 || !location) throw new Error(`sign-in answered ${answer.status}: ${await answer.text()}`);
  const back = new URL(location);
  if (back.searchParams.get('error')) throw new Error(`authorization refused: ${location}`);
  return back.searchParams.get('code');
}

function attribute(tag, name) {
  const found = tag.match(new RegExp(`\\s${name}="([^"]*)"`, 'i'));
  return found ? unescapeHtml(found[1]) : undefined;
}

function unescapeHtml(text) {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi, (_, entity) => {
    const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[entity.toLowerCase()];
    if (named) return named;
    return String.fromCodePoint(entity[1].toLowerCase() === 'x' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10));
  });
}

const get = (token) => fetch(resourceUrl, token ? { headers: { authorization: `Bearer ${token}` } } : {});

// What the SDK's transport does on a 401: authorize with what the challenge names, then try again.
const provider = new Provider();
const first = await get();
const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(first);
const serverUrl = new URL(resourceUrl).origin;
const started = await auth(provider, { serverUrl, resourceMetadataUrl, scope });
if (started !== 'REDIRECT') throw new Error(`expected a redirect to sign in, got ${started}`);
const authorized = await auth(provider, { serverUrl, resourceMetadataUrl, scope, authorizationCode: provider.stored.code });
if (authorized !== 'AUTHORIZED') throw new Error(`expected authorization, got ${authorized}`);
const tokens = provider.stored.tokens;
const read = await get(tokens.access_token);
const document = await read.json();

// The SDK refreshes with the refresh token when asked again with an expired token; ask it the same way.
provider.stored.tokens = { ...tokens, access_token: 'expired' };
const again = await auth(provider, { serverUrl, resourceMetadataUrl, scope });
const refreshed = again === 'AUTHORIZED' && provider.stored.tokens.access_token !== 'expired'
  && (await get(provider.stored.tokens.access_token)).status === 200;

const authorizationUrl = new URL(provider.stored.authorizationUrl);
console.log(JSON.stringify({
  first_status: first.status,
  client_id: provider.stored.client.client_id,
  registered_auth_method: provider.stored.client.token_endpoint_auth_method,
  authorization_url: Object.fromEntries(authorizationUrl.searchParams),
  token_type: tokens.token_type,
  scope: tokens.scope,
  access_token: tokens.access_token,
  status: read.status,
  document,
  refreshed,
}));
