// page_account.js - my account: change the password, and API tokens
// (create: the secret is shown once; list; revoke).
import { h, clear, field, statusLine, showError, showOk, fmtTime } from './dom.js';
import { get, post, del, session } from './session.js';

export async function render(ctx) {
  const pmsg = statusLine();
  const cur = h('input', { type: 'password', name: 'current', autocomplete: 'current-password', required: true });
  const nw = h('input', { type: 'password', name: 'new', autocomplete: 'new-password', required: true, minlength: 8 });
  const again = h('input', { type: 'password', name: 'again', autocomplete: 'new-password', required: true });
  const pwForm = h('form', { class: 'card narrow-form', 'aria-labelledby': 'pw-h', onsubmit: async (e) => {
    e.preventDefault();
    if (nw.value !== again.value) { showError(pmsg, new Error('The new passwords differ.')); again.focus(); return; }
    try {
      await post('/auth/password', { current: cur.value, new: nw.value });
      cur.value = nw.value = again.value = '';
      showOk(pmsg, 'Password changed.');
    } catch (err) { showError(pmsg, err); }
  } },
  h('h2', { id: 'pw-h' }, 'Password'),
  field('Current password', cur), field('New password', nw), field('New password again', again),
  h('button', { type: 'submit', class: 'primary' }, 'Change password'), pmsg);

  const tmsg = statusLine();
  const tbody = h('tbody');
  const secret = h('div', { class: 'secret-box' });
  const tname = h('input', { name: 'token-name', required: true, maxlength: 64, placeholder: 'e.g. training script' });
  const draw = async () => {
    const r = await get('/auth/tokens');
    clear(tbody, r.tokens.length ? r.tokens.map((t) => h('tr', null,
      h('td', null, t.name), h('td', null, fmtTime(t.created_at)), h('td', null, t.last_used_at ? fmtTime(t.last_used_at) : 'never'),
      h('td', null, h('button', { type: 'button', class: 'small danger', 'aria-label': `Revoke ${t.name}`, onclick: async () => {
        try { await del(`/auth/tokens/${t.id}`); showOk(tmsg, `Token ${t.name} revoked.`); await draw(); } catch (err) { showError(tmsg, err); }
      } }, 'Revoke'))))
      : h('tr', null, h('td', { colspan: 4, class: 'empty' }, 'No API tokens.')));
  };
  const tokForm = h('form', { class: 'row inline-form', 'aria-label': 'Create an API token', onsubmit: async (e) => {
    e.preventDefault();
    if (!tname.value.trim()) { showError(tmsg, new Error('Give the token a name.')); tname.focus(); return; }
    try {
      const r = await post('/auth/tokens', { name: tname.value.trim() });
      const out = h('input', { readonly: true, value: r.token, class: 'code token-out', id: 'new-token' });
      const copy = h('button', { type: 'button', onclick: async () => {
        try { await navigator.clipboard.writeText(r.token); showOk(tmsg, 'Copied.'); } catch { out.select(); }
      } }, 'Copy');
      clear(secret, h('p', { class: 'msg warn', role: 'alert' }, `Token "${r.name}" created. Copy it now: it is shown only once.`),
        h('label', { for: 'new-token', class: 'label' }, 'New token'), h('div', { class: 'token-row' }, out, copy));
      tname.value = '';
      await draw();
      out.focus();
      out.select();
    } catch (err) { showError(tmsg, err); }
  } }, field('Token name', tname), h('button', { type: 'submit', class: 'primary' }, 'Create token'));

  clear(ctx.main, h('h1', null, 'Account'),
    h('p', null, 'Signed in as ', h('strong', null, session.user.name), session.user.admin ? ' (administrator)' : '', '.'),
    h('div', { class: 'two-col' },
      h('section', { class: 'col-main card', 'aria-labelledby': 'tok-h' }, h('h2', { id: 'tok-h' }, 'API tokens'),
        h('p', { class: 'hint' }, 'For scripts: send it as "Authorization: Bearer …". Tokens do not expire; revoke the ones you no longer use.'),
        tokForm, secret, tmsg,
        h('table', { class: 'grid-table' }, h('caption', { class: 'sr' }, 'My API tokens'),
          h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Created'), h('th', null, 'Last used'), h('th', null, h('span', { class: 'sr' }, 'Actions')))),
          tbody)),
      h('section', { class: 'col-side' }, pwForm)));
  await draw();
}
