// keygate demo SPA: authorization code + PKCE (RFC 7636, S256) against the keygate that serves this page.
"use strict";

const issuer = window.location.origin;
const redirectUri = issuer + "/demo/";
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

function claimsOf(jwt) {
  const payload = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(payload));
}

function show(status) {
  $("status").textContent = status;
}

async function post(path, params) {
  const response = await fetch(issuer + path, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params),
  });
  const text = await response.text();
  const body = text ? JSON.parse(text) : {};
  if (!response.ok) throw new Error(body.error_description || body.error || response.status);
  return body;
}

function signedIn(tokens) {
  store.setItem("refresh_token", tokens.refresh_token);
  const claims = claimsOf(tokens.access_token);
  $("claims").textContent = JSON.stringify(claims, null, 2);
  $("session").hidden = false;
  $("sign-in").hidden = true;
  show("Signed in as " + claims.sub);
}

function signedOut(status) {
  store.removeItem("refresh_token");
  $("session").hidden = true;
  $("sign-in").hidden = false;
  show(status);
}

async function signIn() {
  const verifier = randomString(32);
  const state = randomString(16);
  store.setItem("pkce_verifier", verifier);
  store.setItem("state", state);
  const query = new URLSearchParams({
    response_type: "code",
    client_id: store.getItem("client_id"),
    redirect_uri: redirectUri,
    state: state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: "S256",
  });
  window.location.assign(issuer + "/oauth/authorize?" + query);
}

async function finishSignIn(params) {
  if (params.get("state") !== store.getItem("state")) throw new Error("state mismatch");
  const tokens = await post("/oauth/token", {
    grant_type: "authorization_code",
    client_id: store.getItem("client_id"),
    code: params.get("code"),
    redirect_uri: redirectUri,
    code_verifier: store.getItem("pkce_verifier"),
  });
  store.removeItem("pkce_verifier");
  window.history.replaceState({}, "", redirectUri);
  signedIn(tokens);
}

async function refresh() {
  const tokens = await post("/oauth/token", {
    grant_type: "refresh_token",
    client_id: store.getItem("client_id"),
    refresh_token: store.getItem("refresh_token"),
  });
  signedIn(tokens);
  show($("status").textContent + " (refreshed)");
}

async function signOut() {
  await post("/oauth/revoke", { client_id: store.getItem("client_id"), token: store.getItem("refresh_token") });
  signedOut("Signed out");
}

async function start() {
  const params = new URLSearchParams(window.location.search);
  if (params.get("client_id")) store.setItem("client_id", params.get("client_id"));
  $("sign-in").addEventListener("click", () => signIn().catch((e) => show("Error: " + e.message)));
  $("refresh").addEventListener("click", () => refresh().catch((e) => show("Error: " + e.message)));
  $("sign-out").addEventListener("click", () => signOut().catch((e) => show("Error: " + e.message)));
  if (!store.getItem("client_id")) return show("Open this page with ?client_id=<a public client>");
  if (params.get("error")) return signedOut("Error: " + params.get("error_description"));
  if (params.get("code")) return finishSignIn(params);
  signedOut("Signed out");
}

start().catch((e) => show("Error: " + e.message));
