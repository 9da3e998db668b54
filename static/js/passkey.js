// Area Clienti: the WebAuthn ceremonies of passkeys. Each form marked `data-passkey`
// ("registra", "accedi" or "verifica") stays hidden until this script finds a browser
// that supports passkeys; then its submit asks the server for the options, lets the
// browser create or use the passkey, and posts the answer back. Binary fields travel as
// base64url, as webauthn-rs expects; the CSRF token goes in the X-CSRF-Token header.
(function () {
  'use strict';

  var CANCELLED = 'La passkey non è stata usata: l\'operazione è stata annullata o è scaduta. Riprova.';
  var FAILED = 'Non è stato possibile completare l\'operazione con la passkey. Riprova tra poco.';
  var ALREADY = 'Su questo dispositivo c\'è già una tua passkey per l\'Area Clienti.';

  function toBytes(text) {
    var base64 = text.replace(/-/g, '+').replace(/_/g, '/');
    while (base64.length % 4) {
      base64 += '=';
    }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = '';
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function post(url, token, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) {
          var refused = new Error(json.error || FAILED);
          refused.fromServer = true;
          throw refused;
        }
        return json;
      });
    });
  }

  function withIds(list) {
    return (list || []).map(function (c) {
      return { type: c.type, id: toBytes(c.id), transports: c.transports };
    });
  }

  function create(options) {
    var o = options.publicKey;
    o.challenge = toBytes(o.challenge);
    o.user.id = toBytes(o.user.id);
    o.excludeCredentials = withIds(o.excludeCredentials);
    return navigator.credentials.create({ publicKey: o }).then(function (c) {
      var transports = c.response.getTransports ? c.response.getTransports() : undefined;
      return {
        id: c.id,
        rawId: toText(c.rawId),
        type: c.type,
        extensions: {},
        response: {
          attestationObject: toText(c.response.attestationObject),
          clientDataJSON: toText(c.response.clientDataJSON),
          transports: transports
        }
      };
    });
  }

  function get(options) {
    var o = options.publicKey;
    o.challenge = toBytes(o.challenge);
    o.allowCredentials = withIds(o.allowCredentials);
    return navigator.credentials.get({ publicKey: o }).then(function (c) {
      return {
        id: c.id,
        rawId: toText(c.rawId),
        type: c.type,
        extensions: {},
        response: {
          authenticatorData: toText(c.response.authenticatorData),
          clientDataJSON: toText(c.response.clientDataJSON),
          signature: toText(c.response.signature),
          userHandle: c.response.userHandle ? toText(c.response.userHandle) : null
        }
      };
    });
  }

  function ceremony(form, token) {
    var kind = form.getAttribute('data-passkey');
    var start = post(form.getAttribute('data-options'), token, { second_step: kind === 'verifica' });
    if (kind === 'registra') {
      var name = form.querySelector('[name="name"]');
      return start.then(create).then(function (credential) {
        return post(form.getAttribute('data-confirm'), token, {
          credential: credential,
          name: name ? name.value : ''
        });
      });
    }
    return start.then(get).then(function (credential) {
      return post(form.getAttribute('data-confirm'), token, credential);
    });
  }

  function wire(form) {
    var error = form.querySelector('[data-passkey-error]');
    var button = form.querySelector('button[type="submit"]');
    var token = form.querySelector('[name="csrf_token"]').value;
    form.hidden = false;
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      error.hidden = true;
      button.disabled = true;
      ceremony(form, token).then(function (answer) {
        window.location.assign(answer.redirect);
      }).catch(function (e) {
        var name = e && e.name;
        var message = e && e.fromServer ? e.message : FAILED;
        if (name === 'NotAllowedError' || name === 'AbortError') {
          message = CANCELLED;
        } else if (name === 'InvalidStateError') {
          message = ALREADY;
        }
        error.textContent = message;
        error.hidden = false;
        button.disabled = false;
      });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var forms = document.querySelectorAll('form[data-passkey]');
    if (!window.PublicKeyCredential || !window.fetch) {
      var notes = document.querySelectorAll('[data-passkey-unsupported]');
      for (var i = 0; i < notes.length; i++) {
        notes[i].hidden = false;
      }
      return;
    }
    for (var j = 0; j < forms.length; j++) {
      wire(forms[j]);
    }
  });
})();
