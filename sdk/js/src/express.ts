// Express (and Connect-style) middleware: the caller's identity on `req.identity`, or the right refusal.

import type { Identity } from "./identity.js";
import type { RequestHeaders, Verifier } from "./verifier.js";

/** The parts of Express's request and response the middleware uses, so that Express is no dependency. */
interface Request {
  headers: RequestHeaders;
  identity?: Identity;
}
interface Response {
  status(code: number): Response;
  set(headers: Record<string, string>): Response;
  json(body: unknown): unknown;
}

/**
 * Verifies every request's credentials with `verifier` and puts the caller on `req.identity`; answers 401 with the
 * `WWW-Authenticate` challenge (RFC 6750, RFC 7617), 429 with `Retry-After` when keygate throttles the caller, or
 * 503 when keygate cannot be reached.
 *
 * ```ts
 * app.use(keygate(new Verifier("https://auth.example.com", { audience: "https://api.example.com" })));
 * app.get("/documents/:id", (req, res) => res.json({ caller: req.identity.subject }));
 * ```
 */
export function keygate(verifier: Verifier) {
  return (req: Request, res: Response, next: (error?: unknown) => void): void => {
    verifier.verifyRequest(req.headers).then(
      (identity) => {
        req.identity = identity;
        next();
      },
      (error) => {
        const rejection = verifier.rejection(error);
        if (rejection.status === 500) return next(error);
        res.status(rejection.status).set(rejection.headers).json(rejection.body);
      },
    );
  };
}
