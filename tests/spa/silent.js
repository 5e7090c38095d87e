// The silent_redirect_uri: hands the iframe's answer to the UserManager of the page that opened it.
"use strict";
new oidc.UserManager(settings).signinSilentCallback();
