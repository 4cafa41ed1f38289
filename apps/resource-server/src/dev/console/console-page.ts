/**
 * The dev console page: one self-contained HTML document (inline CSS and script under a
 * per-response CSP nonce, nothing loaded from anywhere) and the security headers it is served with.
 */
import { randomBytes } from 'node:crypto';
import { CONSOLE_SCRIPT } from './console-script';

const STYLE = `
:root { color-scheme: light; font: 15px/1.45 system-ui, sans-serif; color: #1d1d1f; background: #f6f6f8; }
body { margin: 0 auto; max-width: 68rem; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 0; } h3 { font-size: 1rem; margin: .8rem 0 .3rem; }
section { background: #fff; border: 1px solid #d0d0d7; border-radius: 8px; padding: 1rem 1.25rem; margin: 1rem 0; }
label { display: block; font-weight: 600; margin: .6rem 0 .2rem; }
fieldset { border: 1px solid #d0d0d7; border-radius: 6px; margin: .6rem 0; }
fieldset label, .check label { display: inline; font-weight: 400; margin: 0 1rem 0 .3rem; }
input[type=text], select, textarea { box-sizing: border-box; width: 100%; font: 13px/1.4 ui-monospace, monospace; padding: .35rem .5rem; border: 1px solid #8a8a94; border-radius: 4px; }
textarea { min-height: 4.5rem; word-break: break-all; }
button { font: inherit; margin-top: .7rem; padding: .4rem 1rem; border: 1px solid #1a5fb4; border-radius: 4px; background: #1a5fb4; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #1a5fb4; }
:focus-visible { outline: 3px solid #e66100; outline-offset: 2px; }
pre { background: #f1f1f4; border-radius: 4px; padding: .5rem .7rem; white-space: pre-wrap; word-break: break-all; font: 13px/1.4 ui-monospace, monospace; min-height: 1.2rem; margin: 0; }
ol#stages { font: 13px/1.6 ui-monospace, monospace; padding-left: 1.5rem; }
ol#stages .status { display: inline-block; min-width: 6.5rem; }
.stage-refused { color: #a51d2d; font-weight: 700; } .stage-not-reached { color: #77767b; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 0 1.5rem; }
.note { color: #55545b; font-size: .9rem; }
`;

const BODY = `
<main>
<h1>tokenward dev console</h1>
<p class="note">Dev mode only, on this machine only. Tokens are minted by the embedded dev issuer (<code>/dev/token</code>) and explained by this app's verifier (<code>/dev/explain</code>).</p>

<section aria-labelledby="h-mint">
<h2 id="h-mint">1. Mint a token</h2>
<form id="mint-form">
<div class="grid">
<div><label for="scope">Scopes (space-separated)</label><input type="text" id="scope" value="messages:read" autocomplete="off"></div>
<div><label for="roles">Roles (comma-separated)</label><input type="text" id="roles" autocomplete="off"></div>
</div>
<label for="sub">Subject (default dev-user)</label><input type="text" id="sub" autocomplete="off">
<fieldset><legend>Form</legend>
<input type="radio" name="form" id="form-encrypted" value="encrypted" checked><label for="form-encrypted">encrypted (signed, then encrypted to this API)</label>
<input type="radio" name="form" id="form-signed" value="signed"><label for="form-signed">signed only</label>
</fieldset>
<div class="check"><input type="checkbox" id="dpop"><label for="dpop">DPoP-bound (to a key made in this page; the API accepts it with TOKENWARD_DPOP set)</label></div>
<button type="submit" id="mint">Mint</button>
</form>
<p id="mint-status" role="status"></p>
<label for="token">Token</label><textarea id="token" readonly></textarea>
</section>

<section aria-labelledby="h-layers">
<h2 id="h-layers">2. Layers</h2>
<h3>Outer header: <span id="outer-kind"></span></h3><pre id="outer-header"></pre>
<div class="grid">
<div><h3>Inner JWS header (verified by the server)</h3><pre id="inner-header"></pre></div>
<div><h3>Claims (verified by the server)</h3><pre id="claims"></pre></div>
</div>
</section>

<section aria-labelledby="h-explain">
<h2 id="h-explain">3. Explain a token</h2>
<form id="explain-form">
<label for="explain-token">Token (any: paste one)</label><textarea id="explain-token" autocomplete="off" spellcheck="false"></textarea>
<button type="submit" id="explain">Explain</button>
<button type="button" class="secondary" id="explain-minted">Use the minted token</button>
</form>
<p id="explain-status" role="status"></p>
<p>Verdict: <output id="explain-verdict"></output></p>
<ol id="stages" aria-label="stages"></ol>
<h3>As <code>tokenward explain</code> prints it</h3><pre id="explain-text"></pre>
</section>

<section aria-labelledby="h-call">
<h2 id="h-call">4. Call the API with the minted token</h2>
<form id="call-form">
<label for="route">Route</label>
<select id="route">
<option value="GET /api/me">GET /api/me</option>
<option value="GET /api/messages">GET /api/messages</option>
<option value="POST /api/messages">POST /api/messages</option>
<option value="DELETE /api/messages/:id">DELETE /api/messages/:id</option>
</select>
<div class="grid">
<div><label for="body">JSON body (POST)</label><textarea id="body" spellcheck="false">{"text":"hello"}</textarea></div>
<div><label for="message-id">Message id (DELETE)</label><input type="text" id="message-id" autocomplete="off"></div>
</div>
<button type="submit" id="call">Send</button>
</form>
<p>Status: <output id="call-status"></output></p>
<h3>Response headers</h3><pre id="call-headers"></pre>
<h3>Response body</h3><pre id="call-body"></pre>
</section>

<section aria-labelledby="h-curl">
<h2 id="h-curl">5. Copy as curl</h2>
<button type="button" id="copy-curl">Copy the last call as curl</button>
<p id="copy-status" role="status"></p>
<label for="curl">curl line</label><textarea id="curl" readonly></textarea>
</section>
</main>
`;

/**
 * The page, its inline style and script carrying `nonce`.
 *
 * @param nonce The CSP nonce of this response (base64, from {@link consoleSecurityHeaders}).
 * @example `res.type('html').send(consolePage(nonce))`
 */
export function consolePage(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tokenward dev console</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>${BODY}<script nonce="${nonce}">${CONSOLE_SCRIPT}</script>
</body>
</html>
`;
}

/**
 * A fresh nonce and the headers of the page: a CSP that runs only the page's own inline style and
 * script and lets it talk only to this origin, no framing, no referrer.
 *
 * @example `const { nonce, headers } = consoleSecurityHeaders()`
 */
export function consoleSecurityHeaders(): { nonce: string; headers: Record<string, string> } {
  const nonce = randomBytes(18).toString('base64');
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    nonce,
    headers: {
      'Content-Security-Policy': csp,
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
    },
  };
}
