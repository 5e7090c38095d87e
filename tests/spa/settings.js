// The UserManager settings of a typical SPA; window.keygate (config.js) names the issuer and the client.
"use strict";
const settings = {
  authority: window.keygate.issuer,
  client_id: window.keygate.client_id,
  redirect_uri: window.location.origin + "/",
  silent_redirect_uri: window.location.origin + "/silent.html",
  post_logout_redirect_uri: window.location.origin + "/",
  scope: "openid profile email documents:read",
  loadUserInfo: true,
  // Keep auth_time and the other protocol claims in user.profile, for the test to compare.
  filterProtocolClaims: false,
  automaticSilentRenew: false,
};
