// Area Clienti: a "Mostra password" button after every password field.
// Progressive enhancement: without JavaScript the fields stay ordinary password fields.
// The button is a toggle (aria-pressed) bound to its field (aria-controls); its name stays
// the same when pressed, as toggle buttons should, and CSS shows the pressed state.
(function () {
  'use strict';

  function addToggle(input) {
    if (!input.id) {
      return;
    }
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'password-toggle';
    button.textContent = 'Mostra password';
    button.setAttribute('aria-controls', input.id);
    button.setAttribute('aria-pressed', 'false');
    button.addEventListener('click', function () {
      var show = input.type === 'password';
      input.type = show ? 'text' : 'password';
      button.setAttribute('aria-pressed', show ? 'true' : 'false');
    });
    input.insertAdjacentElement('afterend', button);
    if (input.form) {
      // Never leave a shown password to the browser's form history.
      input.form.addEventListener('submit', function () {
        input.type = 'password';
        button.setAttribute('aria-pressed', 'false');
      });
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll('input[type="password"]'), addToggle);
})();
