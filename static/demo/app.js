// keygate demo SPA: OpenID Connect sign-in with the authorization code flow and PKCE (RFC 7636, S256) against the
// keygate that serves this page, using only what discovery names: the authorization, token, userinfo and
// end-session endpoints.
"use strict";

const issuer = window.location.origin;
const redirectUri = issuer + "/demo/";
const scope = "openid profile email";
const store = window.sessionStorage;
const $ = (id) => document.getElementById(id);

function base64url(bytes) {
  let text = "";
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(bytes) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function challengeOf(verifier) {
  return base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
}

// The claims of a JWT. The demo reads the ID token without checking its signature: it comes straight from the token
// endpoint over the page's own connection, which OpenID Connect Core 1.0 §3.1.3.7 accepts in place of one.
function claimsOf(jwt) {
  const payload = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function show(status) {
  $("status").textContent = status;
}

async function discovery() {
  const response = await fetch(issuer + "/.well-known/openid-configuration");
  if (!response.ok) throw new Error("discovery answered " + response.status);
  return response.json();
}

async function answerOf(response) {
  const text = await response.text();
  const body = text ? JSON.parse(text) : {};
  if (!response.ok) throw new Error(body.error_description || body.error || response.status);
  return body;
}

async function tokenRequest(provider, params) {
  const response = await fetch(provider.token_endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: store.getItem("client_id"), ...params }),
  });
  return answerOf(response);
}

async function signedIn(provider, tokens, status) {
  const idToken = claimsOf(tokens.id_token);
  const expected = store.getItem("nonce");
  if (expected && idToken.nonce !== expected) throw new Error("the ID token's nonce is not this sign-in's");
  store.removeItem("nonce");
  store.setItem("refresh_token", tokens.refresh_token);
  store.setItem("id_token", tokens.id_token);
  const userinfo = await fetch(provider.userinfo_endpoint, {
    headers: { Authorization: "Bearer " + tokens.access_token },
  }).then(answerOf);
  $("id-token").textContent = JSON.stringify(idToken, null, 2);
  $("userinfo").textContent = JSON.stringify(userinfo, null, 2);
  $("claims").textContent = JSON.stringify(claimsOf(tokens.access_token), null, 2);
  $("session").hidden = false;
  $("sign-in").hidden = true;
  show(status + " as " + (userinfo.name || userinfo.preferred_username || idToken.sub) + " (" + idToken.sub + ")");
}

function signedOut(status) {
  for (const key of ["refresh_token", "id_token", "state", "pkce_verifier", "nonce"]) store.removeItem(key);
  $("session").hidden = true;
  $("sign-in").hidden = false;
  show(status);
}

async function signIn(provider) {
  const verifier = randomString(32);
  const state = randomString(16);
  const nonce = randomString(16);
  store.setItem("pkce_verifier", verifier);
  store.setItem("state", state);
  store.setItem("nonce", nonce);
  const query = new URLSearchParams({
    response_type: "code",
    client_id: store.getItem("client_id"),
    redirect_uri: redirectUri,
    scope: scope,
    state: state,
    nonce: nonce,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: "S256",
  });
  window.location.assign(provider.authorization_endpoint + "?" + query);
}

function checkState(params) {
  const expected = store.getItem("state");
  store.removeItem("state");
  if (!expected || params.get("state") !== expected) throw new Error("state mismatch");
}

async function finishSignIn(provider, params) {
  checkState(params);
  const tokens = await tokenRequest(provider, {
    grant_type: "authorization_code",
    code: params.get("code"),
    redirect_uri: redirectUri,
    code_verifier: store.getItem("pkce_verifier"),
  });
  store.removeItem("pkce_verifier");
  window.history.replaceState({}, "", redirectUri);
  await signedIn(provider, tokens, "Signed in");
}

async function refresh(provider) {
  const tokens = await tokenRequest(provider, {
    grant_type: "refresh_token",
    refresh_token: store.getItem("refresh_token"),
  });
  await signedIn(provider, tokens, "Refreshed");
}

// RP-Initiated Logout 1.0: keygate ends the sign-in session and its refresh tokens, then sends the browser back here.
function signOut(provider) {
  const state = randomString(16);
  store.setItem("state", state);
  const query = new URLSearchParams({
    id_token_hint: store.getItem("id_token"),
    post_logout_redirect_uri: redirectUri,
    state: state,
  });
  window.location.assign(provider.end_session_endpoint + "?" + query);
}

async function start() {
  const params = new URLSearchParams(window.location.search);
  if (params.get("client_id")) store.setItem("client_id", params.get("client_id"));
  if (!store.getItem("client_id")) return show("Open this page with ?client_id=<a public client>");
  const provider = await discovery();
  const act = (action) => () => Promise.resolve(action(provider)).catch((e) => show("Error: " + e.message));
  $("sign-in").addEventListener("click", act(signIn));
  $("refresh").addEventListener("click", act(refresh));
  $("sign-out").addEventListener("click", act(signOut));
  if (params.get("error")) return signedOut("Error: " + (params.get("error_description") || params.get("error")));
  if (params.get("code")) return finishSignIn(provider, params);
  if (params.get("state")) {
    checkState(params);
    window.history.replaceState({}, "", redirectUri);
    return signedOut("Signed out");
  }
  signedOut("Signed out");
}

start().catch((e) => show("Error: " + e.message));
