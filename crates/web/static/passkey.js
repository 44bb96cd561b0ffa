// Sealpost's only script, loaded by the two passkey pages alone (their
// Content-Security-Policy allows `script-src 'self'`; every other page runs none).
// It asks the browser for a passkey (navigator.credentials.create or .get) with
// the options the server put in the form's data-options, and posts the answer in
// the page's ordinary form, with its CSRF token. Binary fields travel as
// unpadded base64url, as webauthn-rs reads them.
"use strict";

(function () {
  function fromB64(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toB64(buffer) {
    if (!buffer) {
      return null;
    }
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) {
      raw += String.fromCharCode(bytes[i]);
    }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (c) {
      return Object.assign({}, c, { id: fromB64(c.id) });
    });
  }

  function create(options) {
    var key = options.publicKey;
    key.challenge = fromB64(key.challenge);
    key.user.id = fromB64(key.user.id);
    key.excludeCredentials = withIds(key.excludeCredentials);
    return navigator.credentials.create({ publicKey: key }).then(function (c) {
      return {
        id: c.id,
        rawId: toB64(c.rawId),
        type: c.type,
        response: {
          attestationObject: toB64(c.response.attestationObject),
          clientDataJSON: toB64(c.response.clientDataJSON),
        },
        extensions: {},
      };
    });
  }

  function get(options) {
    var key = options.publicKey;
    key.challenge = fromB64(key.challenge);
    key.allowCredentials = withIds(key.allowCredentials);
    return navigator.credentials.get({ publicKey: key }).then(function (c) {
      return {
        id: c.id,
        rawId: toB64(c.rawId),
        type: c.type,
        response: {
          authenticatorData: toB64(c.response.authenticatorData),
          clientDataJSON: toB64(c.response.clientDataJSON),
          signature: toB64(c.response.signature),
          userHandle: toB64(c.response.userHandle),
        },
        extensions: {},
      };
    });
  }

  function start(form, event) {
    event.preventDefault();
    var failed = document.getElementById("passkey-error");
    failed.hidden = true;
    var options = JSON.parse(form.dataset.options);
    var ask = form.dataset.passkey === "create" ? create : get;
    ask(options).then(
      function (answer) {
        form.elements.credential.value = JSON.stringify(answer);
        form.submit();
      },
      function () {
        failed.textContent = form.dataset.failed;
        failed.hidden = false;
      }
    );
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("passkey-form");
    if (!form || !window.PublicKeyCredential) {
      return;
    }
    form.addEventListener("submit", function (event) {
      start(form, event);
    });
  });
})();
