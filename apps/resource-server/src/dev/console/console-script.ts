/**
 * The console page's script, inlined under the page's CSP nonce. Everything it shows from a
 * token, a claim or a response goes in through `textContent`, never as markup, so a claim such
 * as `<img src=x onerror=…>` is shown, not run. It talks only to this origin.
 */

// Plain ES2020 for the browser; no template literals, so this file needs no escaping.
/** The script's source text. */
export const CONSOLE_SCRIPT = String.raw`
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var state = { token: '', bound: false, key: null, jwk: null, last: null };

  function show(id, value) { $(id).textContent = value; }
  function pretty(value) { return value === undefined ? '(none)' : JSON.stringify(value, null, 2); }

  function fromB64url(segment) {
    var s = segment.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var bin = atob(s);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new TextDecoder().decode(bytes);
  }
  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function utf8(text) { return new TextEncoder().encode(text); }
  function firstHeader(token) {
    try { return JSON.parse(fromB64url(token.split('.')[0])); } catch (e) { return undefined; }
  }
  async function sha256(text) { return toB64url(await crypto.subtle.digest('SHA-256', utf8(text))); }

  // DPoP (RFC 9449): a P-256 key made here, never leaving the page; the token is bound to its
  // RFC 7638 thumbprint, and each call carries a fresh proof signed with it.
  async function dpopJwk() {
    if (state.key === null) {
      state.key = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
      var jwk = await crypto.subtle.exportKey('jwk', state.key.publicKey);
      state.jwk = { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
    }
    return state.jwk;
  }
  async function dpopProof(method, url) {
    var jwk = await dpopJwk();
    var header = { typ: 'dpop+jwt', alg: 'ES256', jwk: jwk };
    var payload = {
      jti: toB64url(crypto.getRandomValues(new Uint8Array(16))),
      htm: method,
      htu: url.split('?')[0],
      iat: Math.floor(Date.now() / 1000),
      ath: await sha256(state.token),
    };
    var input = toB64url(utf8(JSON.stringify(header))) + '.' + toB64url(utf8(JSON.stringify(payload)));
    var signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, state.key.privateKey, utf8(input));
    return input + '.' + toB64url(signature);
  }

  async function explain(token) {
    var res = await fetch('/dev/explain', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: token }),
    });
    var body = await res.json();
    if (!res.ok) throw new Error(res.status + ' ' + (body.message || body.error || ''));
    return body;
  }

  function showLayers(token, answer) {
    var outer = firstHeader(token);
    var encrypted = token.split('.').length === 5;
    show('outer-kind', encrypted ? 'JWE protected header (decoded in this page)' : 'not encrypted: the JWS header (decoded in this page)');
    show('outer-header', pretty(outer));
    show('inner-header', answer === undefined ? '' : pretty(answer.layers.header));
    show('claims', answer === undefined ? '' : pretty(answer.layers.claims));
  }

  function showStages(answer) {
    var list = $('stages');
    list.replaceChildren();
    answer.stages.forEach(function (line) {
      var item = document.createElement('li');
      item.className = 'stage-' + line.status.replace(' ', '-');
      var name = document.createElement('strong');
      name.textContent = line.stage;
      var status = document.createElement('span');
      status.className = 'status';
      status.textContent = line.status;
      var detail = document.createElement('span');
      detail.className = 'detail';
      detail.textContent = line.detail;
      item.append(name, ' ', status, ' ', detail);
      list.append(item);
    });
    show('explain-verdict', answer.accepted ? 'ACCEPTED' : 'REFUSED: ' + answer.error.code);
    show('explain-text', answer.text);
  }

  $('mint-form').addEventListener('submit', async function (event) {
    event.preventDefault();
    show('mint-status', 'minting…');
    try {
      var query = new URLSearchParams();
      var scope = $('scope').value.trim();
      var roles = $('roles').value.trim();
      var sub = $('sub').value.trim();
      if (scope !== '') query.set('scope', scope);
      if (roles !== '') query.set('roles', roles);
      if (sub !== '') query.set('sub', sub);
      query.set('encrypted', $('form-encrypted').checked ? 'true' : 'false');
      var bound = $('dpop').checked;
      if (bound) {
        var jwk = await dpopJwk();
        query.set('dpop_jkt', await sha256(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })));
      }
      var res = await fetch('/dev/token?' + query.toString());
      var body = await res.json();
      if (!res.ok) {
        show('mint-status', 'refused: ' + res.status + ' ' + (body.message || ''));
        return;
      }
      state.token = body.access_token;
      state.bound = bound;
      show('token', state.token);
      show('mint-status', 'minted a ' + body.token_type + ' token (' + (body.encrypted ? 'encrypted' : 'signed only') + ')');
      showLayers(state.token, undefined);
      showLayers(state.token, await explain(state.token));
    } catch (error) {
      show('mint-status', 'failed: ' + error.message);
    }
  });

  $('explain-form').addEventListener('submit', async function (event) {
    event.preventDefault();
    show('explain-status', 'explaining…');
    try {
      showStages(await explain($('explain-token').value.trim()));
      show('explain-status', '');
    } catch (error) {
      show('explain-status', 'failed: ' + error.message);
    }
  });
  $('explain-minted').addEventListener('click', function () { $('explain-token').value = state.token; });

  $('call-form').addEventListener('submit', async function (event) {
    event.preventDefault();
    var parts = $('route').value.split(' ');
    var method = parts[0];
    var path = parts[1].replace(':id', encodeURIComponent($('message-id').value.trim()));
    var url = location.origin + path;
    show('call-status', 'sending…');
    try {
      var headers = {};
      if (state.token !== '') {
        headers.Authorization = (state.bound ? 'DPoP ' : 'Bearer ') + state.token;
        if (state.bound) headers.DPoP = await dpopProof(method, url);
      }
      var body = method === 'POST' ? $('body').value : undefined;
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      state.last = { method: method, url: url, headers: headers, body: body };
      var res = await fetch(url, { method: method, headers: headers, body: body });
      var lines = [];
      res.headers.forEach(function (value, name) { lines.push(name + ': ' + value); });
      show('call-status', res.status + ' ' + res.statusText);
      show('call-headers', lines.join('\n'));
      show('call-body', await res.text());
    } catch (error) {
      show('call-status', 'failed: ' + error.message);
    }
  });

  function quote(text) { return "'" + text.replace(/'/g, "'\\''") + "'"; }
  $('copy-curl').addEventListener('click', function () {
    var last = state.last;
    if (last === null) { show('copy-status', 'call a route first'); return; }
    var line = 'curl -i -X ' + last.method;
    Object.keys(last.headers).forEach(function (name) { line += ' -H ' + quote(name + ': ' + last.headers[name]); });
    if (last.body !== undefined) line += ' --data-raw ' + quote(last.body);
    line += ' ' + quote(last.url);
    $('curl').value = line;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(line).then(
        function () { show('copy-status', 'copied to the clipboard'); },
        function () { show('copy-status', 'select the line to copy it (no clipboard access)'); },
      );
    } else {
      show('copy-status', 'select the line to copy it (no clipboard access)');
    }
  });
})();
`;
