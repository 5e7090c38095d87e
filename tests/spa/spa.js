// A test SPA on oidc-client-ts: sign in (code + PKCE + nonce), renew by refresh token or in an iframe with
// prompt=none, sign out at the end_session_endpoint. Each action writes its outcome to #status and the user to #user.
"use strict";

const manager = new oidc.UserManager(settings);
const $ = (id) => document.getElementById(id);

function show(status, user) {
  $("status").textContent = status;
  $("user").textContent = user
    ? JSON.stringify({ profile: user.profile, scope: user.scope, refresh_token: user.refresh_token || null })
    : "";
}

function on(id, action) {
  $(id).addEventListener("click", () =>
    action().catch((error) => show("Error: " + (error.error || error.message))),
  );
}

on("sign-in", () => manager.signinRedirect({ nonce: crypto.randomUUID() }));
on("renew", async () => {
  const user = await manager.signinSilent();
  show("Renewed with the refresh token", user);
});
on("renew-in-iframe", async () => {
  const user = await manager.signinSilent({ forceIframeAuth: true });
  show("Renewed in an iframe", user);
});
// A state makes the end_session_endpoint send it back, which is how the page knows it returns from signing out.
on("sign-out", () => manager.signoutRedirect({ state: { returnTo: "/" } }));

async function start() {
  const params = new URLSearchParams(window.location.search);
  if (params.has("code") || params.has("error")) {
    const user = await manager.signinCallback();
    window.history.replaceState({}, "", "/");
    return show("Signed in", user);
  }
  if (params.has("state")) {
    await manager.signoutCallback();
    window.history.replaceState({}, "", "/");
    return show("Signed out");
  }
  const user = await manager.getUser();
  show(user ? "Signed in" : "Signed out", user);
}

start().catch((error) => show("Error: " + (error.error || error.message)));
